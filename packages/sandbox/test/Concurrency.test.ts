import { describe, expect, layer } from "@effect/vitest"
import { CallTest } from "@o1coder/domain"
import { Effect } from "effect"
import * as NodeFs from "node:fs"
import * as NodePath from "node:path"
import { Sandbox, sandboxLayer } from "../src/index.ts"

/** Processes of this test process's workers (bwrap, its init, the servers, candidates), from their pids cgroups. */
const workerProcesses = (): ReadonlyArray<number> => {
  const base = "/sys/fs/cgroup/pids"
  if (!NodeFs.existsSync(base)) return []
  return NodeFs.readdirSync(base)
    .filter((d) => d.startsWith(`o1coder-${process.pid}-`))
    .flatMap((d) => {
      try {
        return NodeFs.readFileSync(NodePath.join(base, d, "cgroup.procs"), "utf8").split("\n").filter((l) => l.trim() !== "").map(Number)
      } catch {
        return []
      }
    })
}

describe("concurrency", () => {
  layer(sandboxLayer({ workers: 2 }), { timeout: 60_000, excludeTestServices: true })((it) => {
    it.effect("1,000 executions through 2 workers with random worker kills lose no result", () =>
      Effect.gen(function* () {
        const sandbox = yield* Sandbox
        let kills = 0
        const killer = setInterval(() => {
          const procs = workerProcesses()
          const victim = procs[Math.floor(Math.random() * procs.length)]
          if (victim === undefined) return
          try {
            process.kill(victim, "SIGKILL")
            kills++
          } catch {
            // already gone
          }
        }, 300)
        const results = yield* Effect.forEach(
          Array.from({ length: 1000 }, (_, i) => i),
          (i) =>
            Effect.map(
              sandbox.run({
                code: `def f(x):\n    return x + ${i}\n`,
                kind: "function",
                entryPoint: "f",
                tests: [new CallTest({ args: "1", expected: String(1 + i) }), new CallTest({ args: "-1", expected: String(i - 1) })]
              }),
              (ex) => ({ i, ex })
            ),
          { concurrency: 8 }
        ).pipe(Effect.ensuring(Effect.sync(() => clearInterval(killer))))
        expect(results.length).toBe(1000)
        expect(new Set(results.map((r) => r.i)).size).toBe(1000)
        for (const { ex } of results) {
          expect(ex.total).toBe(2)
          // A kill can only ever cost a verdict (killed), never produce a wrong one.
          for (const v of ex.verdicts) expect(["passed", "killed"]).toContain(v.status)
        }
        const allPassed = results.filter((r) => r.ex.allPassed).length
        expect(kills).toBeGreaterThan(0)
        expect(allPassed).toBeGreaterThanOrEqual(1000 - 2 * kills)
        // Still healthy afterwards.
        const after = yield* sandbox.run({ code: "def f(x):\n    return x\n", kind: "function", entryPoint: "f", tests: [new CallTest({ args: "7", expected: "7" })] })
        expect(after.allPassed).toBe(true)
      }))
  })
})

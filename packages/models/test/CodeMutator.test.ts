import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import * as ChildProcess from "node:child_process"
import { fileURLToPath } from "node:url"
import * as CodeMutator from "../src/CodeMutator.ts"
import { mbppFile, readMbppRaw } from "./mbppFixture.ts"

const KILL_SCRIPT = fileURLToPath(new URL("./kill_mutants.py", import.meta.url))

interface KillResult {
  readonly id: string
  readonly referencePasses: boolean
  readonly mutantsCompile: ReadonlyArray<boolean>
  readonly mutantsPass: ReadonlyArray<boolean>
}

const runKill = (items: unknown): ReadonlyArray<KillResult> =>
  JSON.parse(
    ChildProcess.execFileSync(Effect.runSync(CodeMutator.trustedPython), [KILL_SCRIPT], { input: JSON.stringify(items), maxBuffer: 64 << 20, timeout: 110_000 }).toString()
  )

describe("CodeMutator", () => {
  it.effect("applies each operator, deterministically by seed, discarding non-compiling and unchanged mutants", () =>
    Effect.gen(function* () {
      const code = "def f(a, b):\n    if a < b and b > 0:\n        return max(a, b) + 1\n    x = a * 2\n    return x - b\n"
      const first = yield* CodeMutator.mutate([{ id: "f", code, seed: 1, max: 50 }])
      const again = yield* CodeMutator.mutate([{ id: "f", code, seed: 1, max: 50 }])
      const other = yield* CodeMutator.mutate([{ id: "f", code, seed: 2, max: 50 }])
      const mutants = first.get("f")!
      expect(again.get("f")).toEqual(mutants)
      expect(other.get("f")!.map((m) => m.code)).not.toEqual(mutants.map((m) => m.code))
      expect(new Set(mutants.map((m) => m.operator))).toEqual(
        new Set(["compare_swap", "arith_swap", "bool_swap", "off_by_one", "negate_condition", "swap_arguments", "drop_statement"])
      )
      expect(new Set(mutants.map((m) => m.code)).size).toBe(mutants.length)
      const unparsedReference = "def f(a, b):\n    if a < b and b > 0:\n        return max(a, b) + 1\n    x = a * 2\n    return x - b"
      expect(mutants.every((m) => m.code !== unparsedReference && m.code !== code)).toBe(true)
      const bad = yield* CodeMutator.mutate([{ id: "bad", code: "def (" }])
      expect(bad.get("bad")).toEqual([])
    })
  )

  it.effect.skipIf(mbppFile.missing !== undefined)(
    `mutants of MBPP problems compile and most problems have a mutant that fails a dataset test ${mbppFile.missing ?? ""}`,
    () =>
      Effect.gen(function* () {
        const records = readMbppRaw(150)
        const mutants = yield* CodeMutator.mutate(records.map((r) => ({ id: String(r.task_id), code: r.code, seed: 0, max: 3 })))
        const results = runKill(
          records.map((r) => ({
            id: String(r.task_id),
            setup: r.test_setup_code,
            reference: r.code,
            tests: r.test_list,
            mutants: (mutants.get(String(r.task_id)) ?? []).map((m) => m.code)
          }))
        )
        const usable = results.filter((r) => r.referencePasses && r.mutantsPass.length > 0)
        const killedProblems = usable.filter((r) => r.mutantsPass.some((p) => !p)).length
        const allMutants = usable.flatMap((r) => r.mutantsPass)
        const killedMutants = allMutants.filter((p) => !p).length
        const compile = results.flatMap((r) => r.mutantsCompile)
        const shareProblems = killedProblems / usable.length
        const shareMutants = killedMutants / allMutants.length
        console.log(
          `CodeMutator on MBPP tasks 1-150 (max 3 mutants, seed 0): ${results.filter((r) => r.mutantsPass.length > 0).length}/150 problems with mutants; ` +
            `${usable.length} usable (reference passes); problems with a mutant failing a dataset test: ${killedProblems}/${usable.length} = ${(100 * shareProblems).toFixed(1)}%; ` +
            `mutants failing: ${killedMutants}/${allMutants.length} = ${(100 * shareMutants).toFixed(1)}%`
        )
        expect(compile.every((c) => c)).toBe(true)
        expect(usable.length).toBeGreaterThan(120)
        expect(shareProblems).toBeGreaterThan(0.8)
      }),
    120_000
  )
})

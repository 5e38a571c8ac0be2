import { describe, expect, layer } from "@effect/vitest"
import { sharedDataFile } from "@o1coder/domain"
import { calledName, parseAssert } from "@o1coder/problems/PyAssert"
import { Effect } from "effect"
import * as NodeFs from "node:fs"
import { Limits, Sandbox, sandboxLayer } from "../src/index.ts"

/** Every MBPP reference solution passes its own test_list through the parsed call/expected route. */

const lf = (s: string) => s.replace(/\r\n?/g, "\n")

interface Suite {
  readonly task: number
  readonly code: string
  readonly setup: string
  readonly asserts: ReadonlyArray<string>
}

const full = sharedDataFile("mbpp/mbpp.jsonl")
const sanitized = sharedDataFile("mbpp/sanitized-mbpp.json")

const loadFull = (): ReadonlyArray<Suite> =>
  NodeFs.readFileSync(full.path, "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l))
    .map((r) => ({ task: r.task_id, code: lf(r.code), setup: lf(r.test_setup_code), asserts: r.test_list.map(lf) }))

const loadSanitized = (): ReadonlyArray<Suite> =>
  (JSON.parse(NodeFs.readFileSync(sanitized.path, "utf8")) as Array<any>).map((r) => ({
    task: r.task_id,
    code: lf(r.code),
    setup: r.test_imports.join("\n"),
    asserts: r.test_list.map(lf)
  }))

// MBPP task 123 (amicable numbers below 9999) takes ~5 s on a loaded 2-core machine.
const generous = new Limits({ testTimeoutMs: 30_000, totalTimeoutMs: 90_000, memoryBytes: 1024 ** 3, outputBytes: 1024 ** 2 })

const runAll = (suites: ReadonlyArray<Suite>) =>
  Effect.gen(function* () {
    const sandbox = yield* Sandbox
    const failures: Array<string> = []
    let calls = 0
    let tests = 0
    yield* Effect.forEach(
      suites,
      (s) =>
        Effect.gen(function* () {
          const entryPoint = calledName(s.asserts)
          const parsed = s.asserts.map((a) => parseAssert(a, entryPoint))
          calls += parsed.filter((t) => t._tag === "call").length
          tests += parsed.length
          const ex = yield* sandbox.run({ code: s.code, kind: "function", entryPoint, setup: s.setup, tests: parsed, limits: generous, purpose: "validation" })
          if (!ex.allPassed) failures.push(`task ${s.task}: ${JSON.stringify(ex.verdicts)} ${JSON.stringify(parsed)}`)
        }),
      { concurrency: 4, discard: true }
    )
    return { failures, calls, tests }
  })

describe("MBPP reference solutions", () => {
  layer(sandboxLayer({ workers: 2 }), { timeout: 120_000, excludeTestServices: true })((it) => {
    it.effect.skipIf(full.missing !== undefined)("all 974 of MBPP full pass their test_list", () =>
      Effect.gen(function* () {
        const suites = loadFull()
        expect(suites.length).toBe(974)
        const { calls, failures, tests } = yield* runAll(suites)
        expect(failures).toEqual([])
        // Most asserts go through the value route (compared outside the sandbox).
        expect(calls / tests).toBeGreaterThan(0.8)
      }), 120_000)

    it.effect.skipIf(sanitized.missing !== undefined)("all 427 of MBPP sanitized pass their test_list", () =>
      Effect.gen(function* () {
        const suites = loadSanitized()
        expect(suites.length).toBe(427)
        const { failures } = yield* runAll(suites)
        expect(failures).toEqual([])
      }), 120_000)
  })
})

import * as SqlClient from "@effect/sql/SqlClient"
import { describe, expect, it } from "@effect/vitest"
import type { Problem, Test } from "@o1coder/domain"
import { CallTest, sharedDataFile } from "@o1coder/domain"
import { demoProblemsPath, DEMO_DATASET } from "@o1coder/problems/Demo"
import { readProblems } from "@o1coder/problems/Import"
import { sandboxLayer } from "@o1coder/sandbox"
import { Sandbox } from "@o1coder/sandbox/Sandbox"
import { TestDatabase } from "@o1coder/store"
import { ProblemsRepo } from "@o1coder/store/ProblemsRepo"
import { SuitesRepo } from "@o1coder/store/SuitesRepo"
import { Effect, Layer } from "effect"
import { baselinesFor } from "../src/Baselines.ts"
import { checkSuite, exportable } from "../src/Integrity.ts"
import { TestGen, type BuiltSuite } from "../src/TestGen.ts"

const layer = TestGen.Default.pipe(
  Layer.provideMerge(Layer.mergeAll(SuitesRepo.Default, ProblemsRepo.Default)),
  Layer.provideMerge(sandboxLayer({ workers: 2 })),
  Layer.provideMerge(TestDatabase.pglite)
)

/** Problems of a file, stored (suites reference them). */
const stored = (file: string, format: "jsonl" | "mbpp", dataset: string) =>
  Effect.gen(function* () {
    const parsed = yield* readProblems(file, format, dataset)
    yield* (yield* ProblemsRepo).upsertMany(parsed.problems)
    return parsed.problems.map((r) => r.problem)
  })

const demoProblems = stored(demoProblemsPath(), "jsonl", DEMO_DATASET)

/** The demo's own suite options (packages/selfplay/src/Demo.ts, without its simulated TCG model). */
const DEMO_SUITE = { generator: "all", budget: 10, seed: 1, mutants: 0 } as const

const totals = (suites: ReadonlyArray<BuiltSuite>) => {
  const reports = suites.map((s) => s.stats.integrity!)
  const baselines = reports.reduce((a, r) => a + r.baselines, 0)
  const killed = reports.reduce((a, r) => a + r.killed, 0)
  return {
    suites: suites.length,
    gameableBefore: reports.filter((r) => r.initialSurvivors > 0).length,
    unsafe: reports.filter((r) => !r.rewardSafe).length,
    added: reports.reduce((a, r) => a + r.added, 0),
    killRate: killed / baselines,
    line: `${suites.length} suites, ${baselines} baselines, ${killed} killed (${((100 * killed) / baselines).toFixed(1)}%); ` +
      `${reports.filter((r) => r.initialSurvivors > 0).length} suites passed by a baseline before extension, ` +
      `${reports.reduce((a, r) => a + r.added, 0)} tests added, ${reports.filter((r) => !r.rewardSafe).length} left unsafe`
  }
}

const unsafeDetail = (suites: ReadonlyArray<BuiltSuite>) =>
  suites.filter((s) => !s.stats.integrity!.rewardSafe).map((s) => `${s.suite.problemId}: ${s.stats.integrity!.survivors.join(", ")}`)

describe("trivial baselines", () => {
  it("are made from the suite's outputs and arguments", () => {
    const tests: ReadonlyArray<Test> = [new CallTest({ args: "[3, 1], 2", expected: "-1" }), new CallTest({ args: "[], 5", expected: "-1.0" })]
    const names = baselinesFor({ kind: "function", entryPoint: "f" }, tests).map((b) => b.name)
    expect(names).toEqual(["constant -1", "constant -1.0", "argument 0", "argument 1", "empty list", "empty dict", "empty tuple", "empty set", "empty string", "zero", "None", "True", "False", "raises"])
    expect(baselinesFor({ kind: "stdio", entryPoint: undefined }, [{ _tag: "stdio", input: "1\n", output: "2\n" } as Test]).map((b) => b.name)).toEqual([
      "no output", "echo input", 'prints "2\\n"', "raises"
    ])
  })
})

describe("reward integrity on the real sandbox", () => {
  it.layer(layer, { timeout: 900_000 })((it) => {
    it.effect("demo/binary_search: the 11 tests that all expected -1 are extended until `return -1` fails", () =>
      Effect.gen(function* () {
        const problem = (yield* demoProblems).find((p) => p.id === "demo/binary_search")!
        const sandbox = yield* Sandbox
        const built = yield* (yield* TestGen).suiteFor(problem, DEMO_SUITE)
        const tests = built.suite.cases.map((c) => c.test)
        const integrity = built.stats.integrity!
        expect(integrity.initialSurvivors).toBeGreaterThan(0) // the regression: `return -1` passed every test
        expect(integrity.rewardSafe).toBe(true)
        expect(integrity.survivors).toEqual([])
        // What an export keeps (no case equal to a held-out test) no longer expects only -1.
        const exported = exportable(problem, tests)
        expect(new Set(exported.map((t) => (t._tag === "call" ? t.expected : "")))).not.toEqual(new Set(["-1"]))
        const minusOne = yield* sandbox.run({ code: "def binary_search(xs, target):\n    return -1\n", kind: "function", entryPoint: "binary_search", tests: exported, purpose: "validation" })
        expect(minusOne.passed).toBeLessThan(minusOne.total)
        // The reference still passes every test (the added ones are labelled by it).
        const reference = yield* sandbox.run({ code: problem.reference!, kind: "function", entryPoint: "binary_search", tests, purpose: "validation" })
        expect(reference.passed).toBe(reference.total)
      }),
      600_000
    )

    it.effect("every demo suite is passed by none of its baselines", () =>
      Effect.gen(function* () {
        const testGen = yield* TestGen
        const suites = yield* Effect.forEach(yield* demoProblems, (p) => testGen.suiteFor(p, DEMO_SUITE))
        const t = totals(suites)
        console.log(`demo baseline kill: ${t.line}`)
        expect(unsafeDetail(suites)).toEqual([])
        expect(t.killRate).toBe(1)
        expect(t.gameableBefore).toBeGreaterThan(0)
        // The store shows it: suite_quality pools the kills per dataset and generator.
        const sql = yield* SqlClient.SqlClient
        const [quality] = yield* sql<{ rate: number; unsafe: number; extended: number }>`
          select baseline_kill_rate as rate, unsafe_suites as unsafe, suites_extended as extended from suite_quality where dataset = 'demo' and generator = 'all'`
        expect(quality).toEqual({ rate: 1, unsafe: 0, extended: t.gameableBefore })
        // Measured again from scratch on the stored suites: the same verdict.
        const sandbox = yield* Sandbox
        for (const s of suites) {
          const problem = (yield* demoProblems).find((p) => p.id === s.suite.problemId)! as Problem
          expect((yield* checkSuite(sandbox, problem, s.suite.cases.map((c) => c.test))).survivors).toEqual([])
        }
      }),
      900_000
    )

    const mbpp = sharedDataFile("mbpp/mbpp.jsonl")
    it.effect.skipIf(mbpp.missing)("every suite of 100 MBPP problems is passed by none of its baselines", () =>
      Effect.gen(function* () {
        const problems = (yield* stored(mbpp.path, "mbpp", "mbpp")).slice(0, 100)
        const testGen = yield* TestGen
        const suites = yield* Effect.forEach(problems, (p) => testGen.suiteFor(p, { generator: "all", budget: 30, seed: 1, mutants: 0 }), { concurrency: 2 })
        const t = totals(suites)
        console.log(`MBPP (first 100) baseline kill: ${t.line}`)
        expect(unsafeDetail(suites)).toEqual([])
        expect(t.killRate).toBe(1)
      }),
      1_500_000
    )
  })
})

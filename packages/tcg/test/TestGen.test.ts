import * as SqlClient from "@effect/sql/SqlClient"
import { describe, expect, it } from "@effect/vitest"
import { CallTest, Problem, ProblemId } from "@o1coder/domain"
import type { PyValue } from "@o1coder/domain"
import { Completion } from "@o1coder/models/LanguageModel"
import type { LanguageModelService } from "@o1coder/models/LanguageModel"
import { SuitesRepo } from "@o1coder/store/SuitesRepo"
import { TestDatabase } from "@o1coder/store"
import { Effect, Layer } from "effect"
import { MutantSource } from "../src/Mutants.ts"
import { dualAgreement, TestGen } from "../src/TestGen.ts"
import { functionSandbox, int, pyInt } from "./FunctionSandbox.ts"

// Reference: sum of a list; mutants: off by one on empty lists, max instead of sum, and an equivalent copy.
const sum = (xs: PyValue): bigint => (xs.t === "list" ? xs.v.reduce((a, x) => a + int(x), 0n) : 0n)
const sandbox = functionSandbox({
  REF: (args) => pyInt(sum(args[0]!)),
  M_EMPTY: (args) => pyInt(args[0]!.t === "list" && args[0]!.v.length === 0 ? 1n : sum(args[0]!)),
  M_MAX: (args) => (args[0]!.t === "list" && args[0]!.v.length > 0 ? pyInt(args[0]!.v.map(int).reduce((a, b) => (a > b ? a : b))) : pyInt(0)),
  M_SAME: (args) => pyInt(sum(args[0]!))
})
const mutants = Layer.succeed(MutantSource, { mutants: () => Effect.succeed(["M_EMPTY", "M_MAX", "M_SAME"]) })

const problem = Problem.make({
  id: ProblemId.make("toy/1"),
  dataset: "toy",
  taskId: "1",
  split: "test",
  kind: "function",
  statement: "Return the sum of a list.",
  entryPoint: "total",
  reference: "REF",
  visibleTests: [new CallTest({ args: "[1, 2, 3]", expected: "6" })],
  heldOutTests: [new CallTest({ args: "[10, 20]", expected: "30" })],
  heldOutInputs: ["[5, 5, 5]"]
})

let modelCalls = 0
const model: LanguageModelService = {
  modelVersion: "fake-tcg",
  complete: (_prompt, options) =>
    Effect.sync(() => {
      modelCalls++
      return Array.from({ length: options.n }, () =>
        new Completion({
          text: "assert total([]) == 0\nassert total([4]) == 5\nassert total([1, 2, 3]) == 6\nassert total([2, 2]) == 4\nassert total(oops\n### End",
          finishReason: "stop",
          promptTokens: 10,
          completionTokens: 10
        })
      )
    }),
  chat: () => Effect.die("unused")
}

const layer = TestGen.Default.pipe(
  Layer.provideMerge(SuitesRepo.Default),
  Layer.provide(Layer.mergeAll(sandbox.layer, mutants)),
  Layer.provideMerge(TestDatabase.pglite)
)

const insertProblem = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  yield* sql`insert into problems (id, dataset, task_id, split, kind, statement, visible_tests, held_out_tests)
    values (${problem.id}, 'toy', '1', 'test', 'function', 'x', '[]'::jsonb, '[]'::jsonb) on conflict do nothing`
})

describe("TestGen", () => {
  it.layer(layer, { timeout: 120_000 })((it) => {
    it.effect("builds a validated mutation suite, stores it, and reuses it", () =>
      Effect.gen(function* () {
        yield* insertProblem
        const gen = yield* TestGen
        const first = yield* gen.suiteFor(problem, { generator: "mutation", budget: 30, seed: 3 })
        expect(first.reused).toBe(false)
        expect(first.suite.cases.length).toBeGreaterThan(5)
        expect(first.suite.cases.every((c) => c.origin === "mutation")).toBe(true)
        expect(first.stats.validity).toBe(1)
        expect(first.stats.mutants).toBe(3)
        // Held-out material never enters the suite.
        expect(first.suite.cases.some((c) => c.test._tag === "call" && c.test.args === "[10, 20]")).toBe(false)
        const runsBefore = sandbox.calls.run + sandbox.calls.call
        const again = yield* gen.suiteFor(problem, { generator: "mutation", budget: 30, seed: 3 })
        expect(again.reused).toBe(true)
        expect(again.suite).toEqual(first.suite)
        expect(sandbox.calls.run + sandbox.calls.call).toBe(runsBefore)
        const repo = yield* SuitesRepo
        expect((yield* repo.list({ generator: "mutation" })).length).toBe(1)
        // A different seed is a different suite.
        const other = yield* gen.suiteFor(problem, { generator: "mutation", budget: 30, seed: 4 })
        expect(other.suite.id).not.toBe(first.suite.id)
      })
    )

    it.effect("validates LLM cases, dedupes against dataset tests and counts drops", () =>
      Effect.gen(function* () {
        yield* insertProblem
        const gen = yield* TestGen
        const built = yield* gen.suiteFor(problem, { generator: "all", model, samples: 2, budget: 0 })
        const s = built.stats
        // 2 samples x (5 cases incl. 1 unparseable) + 1 dataset test
        expect(s.generated).toBe(11)
        expect(s.dropped.unparseable).toBe(2)
        expect(s.dropped.duplicate).toBe(5) // [1, 2, 3] repeats the dataset test; sample 2 repeats sample 1
        expect(s.dropped.wrong_output).toBe(1)
        expect(s.byOrigin).toEqual({ dataset: 1, llm: 2, mutation: 0 })
        expect(s.validity).toBeCloseTo(3 / 4)
        expect(s.mutationScore).toBeCloseTo(2 / 3)
        const calls = modelCalls
        yield* gen.suiteFor(problem, { generator: "all", model, samples: 2, budget: 0 })
        expect(modelCalls).toBe(calls)
      })
    )

    it.effect("reduces a suite to a subset that keeps every kill", () =>
      Effect.gen(function* () {
        yield* insertProblem
        const gen = yield* TestGen
        const base = yield* gen.suiteFor(problem, { generator: "all", model, samples: 2, budget: 20, seed: 1 })
        const reduced = yield* gen.suiteFor(problem, { generator: "reduced", base: "all", model, samples: 2, budget: 20, seed: 1 })
        expect(reduced.suite.cases.length).toBeLessThanOrEqual(base.suite.cases.length)
        expect(reduced.suite.cases.length).toBeLessThanOrEqual(2)
        expect(reduced.stats.killed).toBe(base.stats.killed)
        expect(reduced.stats.baseSize).toBe(base.suite.cases.length)
      })
    )

    it.effect("question-only mode trusts the cases of the consensus group (CodeT)", () =>
      Effect.gen(function* () {
        yield* insertProblem
        const gen = yield* TestGen
        const built = yield* gen.agreedSuite(problem, { model, solutions: ["REF", "M_SAME", "M_MAX"], samples: 1 })
        expect(built.agreement.solutions).toEqual([0, 1])
        expect(built.suite.generator).toBe("codet")
        expect(built.suite.cases.map((c) => (c.test as CallTest).args)).toEqual(["[]", "[1, 2, 3]", "[2, 2]"])
        expect(built.stats.dropped.untrusted).toBe(1)
        const again = yield* gen.agreedSuite(problem, { model, solutions: ["REF", "M_SAME", "M_MAX"], samples: 1 })
        expect(again.reused).toBe(true)
      })
    )

    it.effect("refuses the llm generator without a model", () =>
      Effect.gen(function* () {
        const gen = yield* TestGen
        const err = yield* gen.suiteFor(problem, { generator: "llm" }).pipe(Effect.flip)
        expect(err._tag).toBe("TestGenError")
      })
    )
  })
})

describe("dual agreement", () => {
  it("prefers the largest group times the tests it passes", () => {
    const a = dualAgreement([
      [true, true, false],
      [true, false, false],
      [true, true, false],
      [true, false, false],
      [true, false, false]
    ])
    expect(a).toEqual({ solutions: [0, 2], tests: [0, 1], score: 4 })
    expect(dualAgreement([[false, false]]).score).toBe(0)
    expect(dualAgreement([]).tests).toEqual([])
  })
})

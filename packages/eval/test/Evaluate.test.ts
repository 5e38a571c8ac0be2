import * as SqlClient from "@effect/sql/SqlClient"
import { describe, expect, it } from "@effect/vitest"
import { CallTest, Execution, Problem, type ProblemId, Verdict } from "@o1coder/domain"
import { Completion, type LanguageModelService } from "@o1coder/models/LanguageModel"
import { Sandbox, type RunRequest } from "@o1coder/sandbox/Sandbox"
import { EvaluationsRepo } from "@o1coder/store/EvaluationsRepo"
import * as TestDatabase from "@o1coder/store/TestDatabase"
import { Effect, Layer } from "effect"
import * as Evaluate from "../src/Evaluate.ts"
import { parseSamples } from "../src/Samples.ts"

/**
 * A scripted sandbox (no Python): a program passes a test unless it says `WRONG`, or says
 * `BASEONLY` and the test is a labelled plus input (expected values the fake call produced).
 * It records every run request so purposes can be checked.
 */
const scriptedSandbox = (requests: Array<RunRequest>, calls: { n: number }) =>
  Layer.succeed(Sandbox, {
    info: { interpreter: "scripted", level: "none", details: [], workers: 1 },
    run: (request) =>
      Effect.sync(() => {
        requests.push(request)
        const verdicts = request.tests.map((t) => {
          const plus = t._tag === "call" && Number(t.expected) >= 100
          const ok = !request.code.includes("WRONG") && !(plus && request.code.includes("BASEONLY"))
          return new Verdict({ status: ok ? "passed" : "failed", ms: 1, ...(ok ? {} : { seen: "0" }) })
        })
        const passed = verdicts.filter((v) => v.status === "passed").length
        return new Execution({ compiled: true, verdicts, passed, total: verdicts.length, ms: 1 })
      }),
    call: (request) =>
      Effect.sync(() => {
        calls.n += 1
        return request.argsList.map((args) =>
          args === "-1"
            ? ({ _tag: "error", status: "runtime_error", error: "ValueError: negative" } as const)
            : ({ _tag: "value", value: { t: "int", v: String(100 + Number(args)) } } as const)
        )
      })
  })

const problem = (taskId: string, plus: ReadonlyArray<string> = []) =>
  new Problem({
    id: `toy/${taskId}` as ProblemId,
    dataset: "toy",
    taskId,
    split: "test",
    kind: "function",
    statement: `Task ${taskId}: add one.`,
    entryPoint: "f",
    reference: "def f(x):\n    return x + 1",
    visibleTests: [new CallTest({ args: "1", expected: "2" })],
    heldOutTests: [new CallTest({ args: "1", expected: "2" }), new CallTest({ args: "2", expected: "3" })],
    heldOutInputs: plus
  })

const fixedModel = (texts: ReadonlyArray<string>): LanguageModelService => ({
  modelVersion: "fixed",
  complete: (_prompt, options) =>
    Effect.succeed(
      Array.from({ length: options.n }, (_, i) => new Completion({ text: texts[i % texts.length]!, finishReason: "stop", promptTokens: 1, completionTokens: 2 }))
    ),
  chat: () => Effect.die("unused")
})

describe("Evaluate.run", () => {
  const requests: Array<RunRequest> = []
  const calls = { n: 0 }
  const layer = Layer.mergeAll(EvaluationsRepo.Default, scriptedSandbox(requests, calls)).pipe(
    Layer.provideMerge(TestDatabase.pglite)
  )

  it.layer(layer, { timeout: 120_000 })((it) => {
    it.effect("scores direct samples on held-out tests only, with pass@k and base vs plus", () =>
      Effect.gen(function* () {
        requests.length = 0
        const problems = [problem("1", ["1", "2", "-1"]), problem("2")]
        const report = yield* Evaluate.run({
          problems,
          dataset: "toy",
          split: "test",
          mode: "direct",
          policy: { _tag: "model", model: fixedModel(["[BEGIN]\ndef f(x): return x+1 # ok\n", "def f(x): BASEONLY", "def f(x): WRONG"]) },
          samples: 3,
          ks: [1, 2, 5]
        })
        const e = report.evaluation
        // problem 1: ok passes, BASEONLY passes base only, WRONG fails: c = 1, base c = 2; problem 2: c = 2 (no plus)
        expect(e.details.map((d) => [d.passed, d.samples])).toEqual([[1, 3], [2, 3]])
        expect(e.metrics["pass@1"]).toBeCloseTo((1 / 3 + 2 / 3) / 2, 12)
        expect(e.metrics["pass@2"]).toBeCloseTo((1 - 1 / 3 + 1) / 2, 12)
        expect(e.metrics["pass@5"]).toBeUndefined()
        expect(e.metrics["base_pass@1"]).toBeCloseTo((2 / 3 + 2 / 3) / 2, 12)
        expect(e.metrics["unlabelled_inputs"]).toBe(1)
        expect(report.notes.join("\n")).toContain("toy/1: the reference could not label 1 of its held-out inputs")
        expect(report.notes.join("\n")).toContain("pass@5 not reported")
        expect(requests.every((r) => r.purpose === "scoring")).toBe(true)
        // toy/1: base run (2 held-out asserts) for each of the 3 programs, plus run (2 labelled inputs) only for the 2 passing base
        const toy1 = requests.filter((r) => r.context?.problemId === "toy/1").map((r) => r.tests.length)
        expect(toy1.sort()).toEqual([2, 2, 2, 2, 2])
        expect(requests.filter((r) => r.code.includes("WRONG") && r.context?.problemId === "toy/1").length).toBe(1)
        const repo = yield* EvaluationsRepo
        const stored = yield* repo.get(e.id)
        expect(stored.evaluation.metrics).toEqual(e.metrics)
        expect(stored.notes).toEqual(report.notes)
        expect((stored.evaluation.details[0]!.detail as { failures: Array<{ status: string }> }).failures[0]!.status).toBe("failed")
      })
    )

    it.effect("labels held-out inputs once (cached in the store)", () =>
      Effect.gen(function* () {
        const before = calls.n
        const problems = [problem("3", ["5"])]
        const a = yield* Evaluate.run({ problems, dataset: "toy", split: "test", mode: "direct", policy: { _tag: "reference" } })
        const b = yield* Evaluate.run({ problems, dataset: "toy", split: "test", mode: "direct", policy: { _tag: "reference" } })
        expect(calls.n - before).toBe(1)
        expect(a.evaluation.metrics["pass@1"]).toBe(1)
        expect(b.evaluation.metrics["pass@1"]).toBe(1)
        const sql = yield* SqlClient.SqlClient
        const rows = yield* sql<{ n: number }>`select count(*)::int as n from held_out_labels where problem_id = 'toy/3'`
        expect(rows[0]!.n).toBe(1)
      })
    )

    it.effect("scores a samples file, reporting its issues with line numbers", () =>
      Effect.gen(function* () {
        const file = [
          JSON.stringify({ task_id: "toy/1", solution: "def f(x): return x+1" }),
          JSON.stringify({ task_id: 1, solution: "def f(x): WRONG" }),
          JSON.stringify({ task_id: 7, solution: "x" }),
          JSON.stringify({ task_id: 1 })
        ].join("\n")
        const parsed = parseSamples(file)
        const report = yield* Evaluate.run({
          problems: [problem("1", ["1"]), problem("2")],
          dataset: "toy",
          split: "test",
          mode: "direct",
          policy: { _tag: "samples", file: "s.jsonl", ...parsed },
          ks: [1]
        })
        expect(report.evaluation.details.map((d) => [d.passed, d.samples])).toEqual([[1, 2], [0, 0]])
        expect(report.notes).toEqual([
          "s.jsonl: line 4: task 1: missing field solution or completion (a string)",
          "s.jsonl: line 3: unknown task 7 (not among the 2 problems evaluated)",
          "s.jsonl: task 2: no sample in the file; scored 0"
        ])
        // task 1: 1 of 2 samples pass; task 2 has no sample and counts 0
        expect(report.evaluation.metrics["pass@1"]).toBeCloseTo(0.25, 12)
      })
    )
  })
})

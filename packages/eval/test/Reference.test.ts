import { describe, expect, it } from "@effect/vitest"
import { Problem, sharedDataFile } from "@o1coder/domain"
import { readApps, readHumanEvalPlus, readMbpp, readMbppSanitized } from "@o1coder/problems"
import { parseSamples } from "../src/Samples.ts"
import { sandboxLayer } from "@o1coder/sandbox"
import { EvaluationsRepo } from "@o1coder/store/EvaluationsRepo"
import * as TestDatabase from "@o1coder/store/TestDatabase"
import { Effect, Layer } from "effect"
import * as NodeFs from "node:fs"
import { fileURLToPath } from "node:url"
import * as Evaluate from "../src/Evaluate.ts"

/**
 * The reference policy proves the harness: every benchmark's reference solution scores 100% on
 * its held-out tests (MBPP+ with its listed exceptions: ReferencePlus.test.ts).
 */
const mbpp = sharedDataFile("mbpp/mbpp.jsonl")
const sanitized = sharedDataFile("mbpp/sanitized-mbpp.json")
const APPS_FIXTURE = fileURLToPath(new URL("./fixtures/apps-stdio.jsonl", import.meta.url))
const layer = Layer.mergeAll(EvaluationsRepo.Default, sandboxLayer({ workers: 2 })).pipe(Layer.provideMerge(TestDatabase.pglite))

const reference = (problems: ReadonlyArray<Problem>, dataset: string, split = "all") =>
  Evaluate.run({ problems, dataset, split, mode: "direct", policy: { _tag: "reference" }, concurrency: 4 })

const failing = (report: Evaluate.EvaluationReport) =>
  report.evaluation.details.filter((d) => d.passed < d.samples || d.samples === 0).map((d) => d.problemId as string)

describe("reference policy", () => {
  it.layer(layer, { timeout: 240_000 })((it) => {
    it.effect.skipIf(mbpp.missing)("MBPP full, test split (500): 100%", () =>
      Effect.gen(function* () {
        const parsed = yield* readMbpp(mbpp.path)
        const problems = parsed.problems.map((r) => r.problem).filter((p) => p.split === "test")
        expect(problems.length).toBe(500)
        const report = yield* reference(problems, "mbpp", "test")
        expect(failing(report)).toEqual([])
        expect(report.evaluation.metrics["pass@1"]).toBe(1)
        expect(report.evaluation.metrics.inputs_unscored).toBe(0)
        console.log(`MBPP test split reference: pass@1 1, ${report.evaluation.metrics.inputs_scored} tests scored, 0 unscored`)
        expect(report.protocolText).toContain("challenge_test_list")
      }), 240_000
    )

    it.effect.skipIf(sanitized.missing)("MBPP sanitized (427): 100%", () =>
      Effect.gen(function* () {
        const parsed = yield* readMbppSanitized(sanitized.path)
        const problems = parsed.problems.map((r) => r.problem)
        expect(problems.length).toBe(427)
        const report = yield* reference(problems, "mbpp-sanitized")
        expect(failing(report)).toEqual([])
        expect(report.evaluation.metrics["pass@1"]).toBe(1)
        expect(report.evaluation.metrics.inputs_unscored).toBe(0)
        console.log(`MBPP sanitized reference: pass@1 1, ${report.evaluation.metrics.inputs_scored} tests scored, 0 unscored`)
      }), 240_000
    )

    it.effect("APPS stdio fixtures with solutions: 100%, and a wrong program fails", () =>
      Effect.gen(function* () {
        const parsed = yield* readApps(APPS_FIXTURE, "apps-fixture")
        const solutions = new Map(
          NodeFs.readFileSync(APPS_FIXTURE, "utf8").trim().split("\n").map((l) => JSON.parse(l) as { id: string; solution: string }).map((r) => [r.id, r.solution])
        )
        const problems = parsed.problems.map((r) => Problem.make({ ...r.problem, reference: solutions.get(r.problem.taskId)! }))
        expect(problems.length).toBe(3)
        const report = yield* reference(problems, "apps-fixture")
        expect(failing(report)).toEqual([])
        expect(report.evaluation.metrics["pass@1"]).toBe(1)
        const wrong = yield* Evaluate.run({
          problems,
          dataset: "apps-fixture",
          split: "all",
          mode: "direct",
          policy: { _tag: "samples", file: "inline", records: [{ line: 1, taskId: "fx-1", field: "solution", text: "a, b = map(int, input().split())\nprint(a - b)" }], issues: [] }
        })
        expect(wrong.evaluation.metrics["pass@1"]).toBe(0)
      }), 240_000
    )
  })
})

const HUMANEVAL_FIXTURE = fileURLToPath(new URL("./fixtures/humaneval-plus.jsonl", import.meta.url))

describe("HumanEval+ format (fixture, v0.1.0 task ids with an underscore)", () => {
  it.layer(layer, { timeout: 120_000 })((it) => {
    it.effect("reference 100%; completions are appended to the prompt; a base-only answer fails plus", () =>
      Effect.gen(function* () {
        const problems = (yield* readHumanEvalPlus(HUMANEVAL_FIXTURE)).problems.map((r) => r.problem)
        expect(problems.length).toBe(2)
        const ref = yield* reference(problems, "humaneval-plus")
        expect(failing(ref)).toEqual([])
        expect(ref.evaluation.metrics["pass@1"]).toBe(1)
        const file = [
          // right, as a completion of HumanEval/0
          JSON.stringify({ task_id: "HumanEval/0", completion: "    return sum(abs(x) for x in xs) / len(xs) if xs else 0.0\n" }),
          // passes the base tests, fails the plus input "aaaa" (and "abab" is fine)
          JSON.stringify({ task_id: "HumanEval_1", solution: "def dedupe(s):\n    return s[:1] + ''.join(b for a, b in zip(s, s[1:]) if a != b) if s != 'aaaa' else 'aa'\n" })
        ].join("\n")
        const report = yield* Evaluate.run({
          problems,
          dataset: "humaneval-plus",
          split: "test",
          mode: "direct",
          policy: { _tag: "samples", file: "inline", ...parseSamples(file) }
        })
        expect(report.notes).toEqual([])
        expect(report.evaluation.details.map((d) => d.passed)).toEqual([1, 0])
        expect(report.evaluation.metrics["pass@1"]).toBe(0.5)
        expect(report.evaluation.metrics["base_pass@1"]).toBe(1)
      }), 120_000
    )
  })
})

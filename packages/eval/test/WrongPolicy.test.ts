import { describe, expect, it } from "@effect/vitest"
import { sharedDataFile } from "@o1coder/domain"
import { SimulatedPolicy, SimulatedPolicyParams } from "@o1coder/models"
import { readMbpp, readMbppPlus } from "@o1coder/problems"
import { sandboxLayer } from "@o1coder/sandbox"
import { EvaluationsRepo } from "@o1coder/store/EvaluationsRepo"
import * as TestDatabase from "@o1coder/store/TestDatabase"
import { Effect, Layer } from "effect"
import * as Evaluate from "../src/Evaluate.ts"
import type { SampleRecord } from "../src/Samples.ts"

/**
 * EvalPlus's finding, reproduced: answers that pass MBPP's base tests often fail MBPP+'s extra
 * inputs. The answers are the simulated policy forced to mutants (pCorrect = 0): every code it can
 * write is a mutant of the canonical solution. The same answers score strictly lower on MBPP+ than
 * on the base tests (both MBPP+'s base asserts and the original MBPP test_list).
 */
const mbpp = sharedDataFile("mbpp/mbpp.jsonl")
const plus = sharedDataFile("mbpp-plus/MbppPlus.jsonl")
const TASKS = 40

const layer = Layer.mergeAll(EvaluationsRepo.Default, sandboxLayer({ workers: 2 })).pipe(Layer.provideMerge(TestDatabase.pglite))

describe("a deliberately wrong policy", () => {
  it.layer(layer, { timeout: 240_000 })((it) => {
    it.effect.skipIf(mbpp.missing ?? plus.missing)("scores strictly lower on MBPP+ than on MBPP base tests for the same answers", () =>
      Effect.gen(function* () {
        // The first TASKS MBPP+ tasks, skipping 630 (its canonical takes ~90 s to label on a loaded machine).
        const plusProblems = (yield* readMbppPlus(plus.path)).problems.map((r) => r.problem).filter((p) => p.taskId !== "630").slice(0, TASKS)
        const tasks = new Set(plusProblems.map((p) => p.taskId))
        const mbppProblems = (yield* readMbpp(mbpp.path)).problems.map((r) => r.problem).filter((p) => tasks.has(p.taskId))
        expect(mbppProblems.length).toBe(plusProblems.length)
        const policy = yield* SimulatedPolicy.make({
          problems: plusProblems,
          params: new SimulatedPolicyParams({ pCorrect: 0 }),
          mutantsPerProblem: 4
        })
        // Every A3 code the forced policy can write: the mutants (candidates() lists the reference first).
        let line = 0
        const records: Array<SampleRecord> = plusProblems.flatMap((p) =>
          policy.candidates(p.id).slice(1).map((text) => ({ line: ++line, taskId: `Mbpp/${p.taskId}`, field: "solution" as const, text }))
        )
        expect(records.length).toBeGreaterThan(plusProblems.length)
        const samples = { _tag: "samples" as const, file: "forced-mutants", records, issues: [] }
        const onPlus = yield* Evaluate.run({ problems: plusProblems, dataset: "mbpp-plus", split: "all", mode: "direct", policy: samples })
        const onMbpp = yield* Evaluate.run({ problems: mbppProblems, dataset: "mbpp", split: "all", mode: "direct", policy: samples })
        const plusScore = onPlus.evaluation.metrics["pass@1"]!
        const plusBase = onPlus.evaluation.metrics["base_pass@1"]!
        const mbppBase = onMbpp.evaluation.metrics["pass@1"]!
        console.log(
          `forced-mutant simulated policy, ${plusProblems.length} tasks, ${records.length} answers: ` +
            `MBPP test_list pass@1 ${mbppBase.toFixed(3)}, MBPP+ base pass@1 ${plusBase.toFixed(3)}, MBPP+ (base + plus) pass@1 ${plusScore.toFixed(3)}`
        )
        expect(plusBase).toBeGreaterThan(0)
        expect(plusScore).toBeLessThan(plusBase)
        expect(plusScore).toBeLessThan(mbppBase)
        // Per problem too: plus never passes an answer that base tests reject.
        for (const d of onPlus.evaluation.details) {
          expect(d.passed).toBeLessThanOrEqual((d.detail as { basePassed: number }).basePassed)
        }
      }), 240_000
    )
  })
})

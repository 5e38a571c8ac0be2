import { describe, expect, it } from "@effect/vitest"
import { type Problem, sharedDataFile } from "@o1coder/domain"
import { readMbppPlus } from "@o1coder/problems"
import { sandboxLayer } from "@o1coder/sandbox"
import { EvaluationsRepo } from "@o1coder/store/EvaluationsRepo"
import * as TestDatabase from "@o1coder/store/TestDatabase"
import { Effect, Layer } from "effect"
import * as Evaluate from "../src/Evaluate.ts"

/**
 * The reference policy proves the harness: every benchmark's reference solution scores 100% on
 * its held-out tests, except MBPP+ tasks whose canonical solution disagrees with its own base
 * asserts (listed and explained below). MBPP+ runs a fixed subset by default (labelling all
 * 42,082 plus inputs takes minutes on a loaded machine); O1CODER_EVAL_FULL=1 runs all 399.
 */
const plus = sharedDataFile("mbpp-plus/MbppPlus.jsonl")
const FULL = process.env.O1CODER_EVAL_FULL === "1"

/**
 * MBPP+ (development snapshot) tasks whose canonical solution fails its own base asserts:
 * 164 `are_equivalent`: the canonical div_sum adds 1 twice and counts n itself (23 -> 25, 47 -> 49),
 *   while the original MBPP asserts compare sums of proper divisors (23 and 47 both give 1: True).
 * 295 `sum_div`: the canonical sums every divisor including the number (8 -> 15.0); the asserts
 *   expect proper divisors (8 -> 7). Later EvalPlus releases fixed both.
 */
const CANONICAL_FAILS_BASE = ["mbpp-plus/164", "mbpp-plus/295"]
/**
 * Plus inputs the canonical solution cannot label: its value is too large for the sandbox's value
 * encoding (255 `combinations_colors`, 630 `get_coordinates`: huge result lists). They are left out
 * of scoring and reported as notes.
 */
const UNLABELLED = ["mbpp-plus/255", "mbpp-plus/630"]

const layer = Layer.mergeAll(EvaluationsRepo.Default, sandboxLayer({ workers: 2 })).pipe(Layer.provideMerge(TestDatabase.pglite))

const reference = (problems: ReadonlyArray<Problem>, dataset: string, split = "all") =>
  Evaluate.run({ problems, dataset, split, mode: "direct", policy: { _tag: "reference" }, concurrency: 4 })

const failing = (report: Evaluate.EvaluationReport) =>
  report.evaluation.details.filter((d) => d.passed < d.samples || d.samples === 0).map((d) => d.problemId as string)

describe("reference policy on MBPP+", () => {
  it.layer(layer, { timeout: FULL ? 1_800_000 : 240_000 })((it) => {
    it.effect.skipIf(plus.missing)(`MBPP+ (${FULL ? "all 399" : "a fixed subset"}): 100% but the listed canonical-solution exceptions`, () =>
      Effect.gen(function* () {
        const parsed = yield* readMbppPlus(plus.path)
        const all = parsed.problems.map((r) => r.problem)
        expect(all.length).toBe(399)
        const keep = new Set(["164", "295", "255", "737", "794"])
        const problems = FULL ? all : all.filter((p, i) => i < 40 || keep.has(p.taskId))
        const report = yield* reference(problems, "mbpp-plus")
        const selected = new Set(problems.map((p) => p.id as string))
        expect(failing(report)).toEqual(CANONICAL_FAILS_BASE.filter((id) => selected.has(id)))
        const unlabelled = report.notes.filter((n) => n.includes("could not label")).map((n) => n.split(":")[0])
        expect(unlabelled).toEqual(UNLABELLED.filter((id) => selected.has(id)))
        // re.Match results (737, 794) are compared by `is not None`, as EvalPlus does, not left out
        expect(report.notes.some((n) => n.includes("Match"))).toBe(false)
        const expected = 1 - CANONICAL_FAILS_BASE.filter((id) => selected.has(id)).length / problems.length
        expect(report.evaluation.metrics["pass@1"]).toBeCloseTo(expected, 12)
        expect(report.protocolText).toContain("plus_input")
      }), FULL ? 1_800_000 : 240_000
    )

  })
})

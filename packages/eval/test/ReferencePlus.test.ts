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
 * Tasks with plus inputs the canonical solution cannot label: its value is too large (255
 * `combinations_colors`, 462 `combinations_list`, 630 `get_coordinates` return thousands of
 * tuples), or it times out. They are left out of scoring and reported as notes.
 */
const UNLABELLED = ["mbpp-plus/255", "mbpp-plus/462", "mbpp-plus/630"]
/**
 * Mbpp/2 `similar_elements` returns `tuple(set(a) & set(b))`: for strings the order depends on the
 * process's hash seed, so the label (computed in one sandbox process) and the answer's value (in
 * another) can differ. It passes or fails by chance until the sandbox fixes PYTHONHASHSEED.
 */
const NONDETERMINISTIC = ["mbpp-plus/2"]

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
        const failed = failing(report)
        expect(failed.filter((id) => !NONDETERMINISTIC.includes(id))).toEqual(CANONICAL_FAILS_BASE.filter((id) => selected.has(id)))
        // Some plus inputs cannot be labelled (values too large, or the canonical solution times out on them under load).
        const unlabelled = report.notes.filter((n) => n.includes("could not label")).map((n) => n.split(":")[0]!)
        expect(unlabelled.filter((id) => !UNLABELLED.includes(id))).toEqual([])
        // re.Match results (737, 794) are compared by `is not None`, as EvalPlus does, not left out
        expect(report.notes.some((n) => n.includes("Match"))).toBe(false)
        expect(report.evaluation.metrics["pass@1"]).toBeCloseTo(1 - failed.length / problems.length, 12)
        console.log(`MBPP+ reference, ${problems.length} tasks: pass@1 ${report.evaluation.metrics["pass@1"]}, failing ${failed.join(", ")}; notes:\n${report.notes.join("\n")}`)
        expect(report.protocolText).toContain("plus_input")
      }), FULL ? 1_800_000 : 240_000
    )

  })
})

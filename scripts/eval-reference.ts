/**
 * The reference policy on every benchmark at hand (proves the evaluation harness), printed as a
 * table with the failing tasks and the notes (unlabelled plus inputs).
 *
 *   npx tsx scripts/eval-reference.ts [mbpp] [mbpp-sanitized] [mbpp-plus]   (default: all three)
 */
import { sharedDataFile, type Problem } from "@o1coder/domain"
import * as Evaluate from "@o1coder/eval/Evaluate"
import { readMbpp, readMbppPlus, readMbppSanitized } from "@o1coder/problems"
import { sandboxLayer } from "@o1coder/sandbox"
import { EvaluationsRepo } from "@o1coder/store/EvaluationsRepo"
import * as TestDatabase from "@o1coder/store/TestDatabase"
import { Effect, Layer } from "effect"

const benchmarks: Record<string, { file: string; load: (path: string) => Effect.Effect<ReadonlyArray<Problem>, unknown> }> = {
  mbpp: { file: "mbpp/mbpp.jsonl", load: (p) => Effect.map(readMbpp(p), (r) => r.problems.map((x) => x.problem).filter((x) => x.split === "test")) },
  "mbpp-sanitized": { file: "mbpp/sanitized-mbpp.json", load: (p) => Effect.map(readMbppSanitized(p), (r) => r.problems.map((x) => x.problem)) },
  "mbpp-plus": { file: "mbpp-plus/MbppPlus.jsonl", load: (p) => Effect.map(readMbppPlus(p), (r) => r.problems.map((x) => x.problem)) }
}

const chosen = process.argv.slice(2).length > 0 ? process.argv.slice(2) : Object.keys(benchmarks)

const program = Effect.forEach(chosen, (name) =>
  Effect.gen(function* () {
    const b = benchmarks[name]
    if (b === undefined) return yield* Effect.die(`unknown benchmark ${name} (${Object.keys(benchmarks).join(", ")})`)
    const file = sharedDataFile(b.file)
    if (file.missing) return console.log(`${name}: skipped, ${file.missing}`)
    const problems = yield* b.load(file.path)
    const report = yield* Evaluate.run({ problems, dataset: name, split: name === "mbpp" ? "test" : "all", mode: "direct", policy: { _tag: "reference" }, concurrency: 4 })
    const m = report.evaluation.metrics
    const failing = report.evaluation.details.filter((d) => d.passed < d.samples).map((d) => d.problemId)
    console.log(
      `${name}: ${problems.length} problems, reference pass@1 ${(100 * m["pass@1"]!).toFixed(1)}%${m["base_pass@1"] !== undefined ? ` (base ${(100 * m["base_pass@1"]!).toFixed(1)}%)` : ""}, ` +
        `${m.inputs_scored} tests/inputs scored, ${m.inputs_unscored} not scored, ${m.seconds!.toFixed(0)} s`
    )
    console.log(`  failing: ${failing.length > 0 ? failing.join(", ") : "none"}`)
    for (const d of report.evaluation.details.filter((d) => d.passed < d.samples)) {
      const f = (d.detail as { failures?: ReadonlyArray<Evaluate.FailedTest> }).failures?.[0]
      if (f !== undefined) console.log(`    ${d.problemId}: ${f.status}: ${f.test.slice(0, 120)}${f.seen !== undefined ? ` seen ${f.seen.slice(0, 60)}` : ""}${f.error !== undefined ? ` ${f.error.slice(0, 100)}` : ""}`)
    }
    for (const n of report.notes) console.log(`  note: ${n}`)
  })
)

program.pipe(
  Effect.provide(Layer.mergeAll(EvaluationsRepo.Default, sandboxLayer({ workers: 2 })).pipe(Layer.provideMerge(TestDatabase.pglite))),
  Effect.runPromise
).catch((e) => {
  console.error(e)
  process.exit(1)
})

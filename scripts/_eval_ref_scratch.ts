import { Effect, Layer } from "effect"
import * as Evaluate from "@o1coder/eval/Evaluate"
import { readMbppPlus } from "@o1coder/problems"
import { sandboxLayer } from "@o1coder/sandbox"
import { EvaluationsRepo } from "@o1coder/store/EvaluationsRepo"
import * as TestDatabase from "@o1coder/store/TestDatabase"
import { sharedDataPath } from "@o1coder/domain"

const ids = new Set(process.argv.slice(2))
const program = Effect.gen(function* () {
  const parsed = yield* readMbppPlus(sharedDataPath("mbpp-plus/MbppPlus.jsonl"))
  const problems = parsed.problems.map((r) => r.problem).filter((p) => ids.has(p.taskId))
  const report = yield* Evaluate.run({ problems, dataset: "mbpp-plus", split: "all", mode: "direct", policy: { _tag: "reference" }, concurrency: 2 })
  console.log(report.evaluation.metrics, report.notes)
  for (const d of report.evaluation.details) console.log(JSON.stringify(d).slice(0, 1500))
})
program.pipe(Effect.provide(Layer.mergeAll(EvaluationsRepo.Default, sandboxLayer({ workers: 2 })).pipe(Layer.provideMerge(TestDatabase.pglite))), Effect.runPromise).catch((e) => { console.error(e); process.exit(1) })

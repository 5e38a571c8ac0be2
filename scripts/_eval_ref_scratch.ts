import { Effect, Layer } from "effect"
import * as Evaluate from "@o1coder/eval/Evaluate"
import { readMbpp, readMbppSanitized, readMbppPlus } from "@o1coder/problems"
import * as SandboxLive from "@o1coder/sandbox/SandboxLive"
import { EvaluationsRepo } from "@o1coder/store/EvaluationsRepo"
import * as TestDatabase from "@o1coder/store/TestDatabase"
import { sharedDataPath } from "@o1coder/domain"

const which = process.argv[2] ?? "mbpp"
const program = Effect.gen(function* () {
  const parsed = which === "mbpp" ? yield* readMbpp(sharedDataPath("mbpp/mbpp.jsonl")) : which === "san" ? yield* readMbppSanitized(sharedDataPath("mbpp/sanitized-mbpp.json")) : yield* readMbppPlus(sharedDataPath("mbpp-plus/MbppPlus.jsonl"))
  console.log(Object.keys(parsed))
  const all = (parsed as any).problems.map((r: any) => r.problem ?? r)
  const problems = which === "mbpp" ? all.filter((p: any) => p.split === "test") : all
  const t = Date.now()
  const report = yield* Evaluate.run({ problems, dataset: problems[0].dataset, split: "all", mode: "direct", policy: { _tag: "reference" }, concurrency: 4 })
  console.log(report.protocolText, report.evaluation.metrics, report.notes.slice(0, 30), (Date.now() - t) / 1000)
  for (const d of report.evaluation.details) if (d.passed < d.samples) console.log(JSON.stringify(d).slice(0, 600))
})
program.pipe(Effect.provide(Layer.mergeAll(EvaluationsRepo.Default, SandboxLive.layer({ workers: 2 })).pipe(Layer.provideMerge(TestDatabase.pglite))), Effect.runPromise).catch((e) => { console.error(e); process.exit(1) })

import { Effect } from "effect"
import * as LlamaCpp from "../../models/src/LlamaCpp.ts"
import { SamplingOptions } from "../../models/src/LanguageModel.ts"
const t0 = Date.now()
const prog = Effect.gen(function* () {
  const m = yield* LlamaCpp.make({ modelPath: "/work/shared/data/models/stories260K.gguf", threads: Number(process.argv[2] ?? 2) })
  console.log("loaded", Date.now() - t0)
  const r = yield* m.complete("Once upon a time ".repeat(40), new SamplingOptions({ n: 2, maxTokens: 480, stop: ["###"] }))
  console.log("done", Date.now() - t0, r.map((c) => [c.finishReason, c.completionTokens]))
})
Effect.runPromise(Effect.scoped(prog)).catch((e) => console.log("err", e))

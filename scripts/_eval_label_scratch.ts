import { Effect, Layer } from "effect"
import { computeLabels } from "@o1coder/eval/Labels"
import { readMbppPlus } from "@o1coder/problems"
import * as SandboxLive from "@o1coder/sandbox/SandboxLive"
import { sharedDataPath } from "@o1coder/domain"

const program = Effect.gen(function* () {
  const parsed = yield* readMbppPlus(sharedDataPath("mbpp-plus/MbppPlus.jsonl"))
  const problems = (parsed as any).problems.map((r: any) => r.problem ?? r)
  const times: Array<[string, number, number]> = []
  const t0 = Date.now()
  yield* Effect.forEach(problems, (p: any) => Effect.gen(function* () {
    const t = Date.now()
    const l = yield* computeLabels(p)
    times.push([p.id, Date.now() - t, l.failures.length])
  }), { concurrency: 2 })
  times.sort((a, b) => b[1] - a[1])
  console.log("total", (Date.now() - t0) / 1000, times.slice(0, 15))
})
program.pipe(Effect.provide(SandboxLive.layer({ workers: 2 })), Effect.scoped, Effect.runPromise).catch((e) => { console.error(e); process.exit(1) })

import { ClusterWorkflowEngine, SingleRunner } from "@effect/cluster"
import { Activity, Workflow, DurableClock } from "@effect/workflow"
import { Effect, Layer, Schema, Logger, LogLevel } from "effect"
import { NodeRuntime } from "@effect/platform-node"
import * as PgliteClient from "../../store/src/PgliteClient.ts"
import * as fs from "node:fs"

const dir = process.argv[2]!
const log = (s: string) => fs.appendFileSync(dir + ".log", s + "\n")
const Proto = Workflow.make({ name: "Proto", payload: { runId: Schema.String }, success: Schema.Number, idempotencyKey: (p) => p.runId })

const step = (name: string) => Activity.make({ name, success: Schema.Number, execute: Effect.gen(function* () {
  log(`start ${name}`); yield* Effect.sleep("700 millis"); log(`end ${name}`); return name.length })})

const ProtoLive = Proto.toLayer((p) => Effect.gen(function* () {
  let t = 0
  for (const n of ["a1", "b22", "c333"]) t += yield* step(n)
  yield* DurableClock.sleep({ name: "wait", duration: "2 seconds", inMemoryThreshold: "0 millis" })
  log("after clock")
  t += yield* step("d4444")
  return t
}))

const t0 = Date.now()
const Engine = ClusterWorkflowEngine.layer.pipe(
  Layer.provideMerge(SingleRunner.layer({ runnerStorage: "memory", shardingConfig: { shardsPerGroup: 4, entityMessagePollInterval: "500 millis" } })),
  Layer.provideMerge(PgliteClient.layer({ dataDir: dir })))
const main = Effect.gen(function* () {
  log(`ready ${Date.now() - t0}`)
  const r = yield* Proto.execute({ runId: "r1" })
  log(`result ${r} ${Date.now() - t0}`)
}).pipe(Effect.provide(ProtoLive.pipe(Layer.provideMerge(Engine))))
NodeRuntime.runMain(main.pipe(Effect.scoped, Logger.withMinimumLogLevel(LogLevel.Info)))

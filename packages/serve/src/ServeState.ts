import { Effect, Ref } from "effect"
import * as Admission from "./Admission.ts"
import * as Metrics from "./Metrics.ts"
import { ServeSettingsTag } from "./Settings.ts"

/** The running service's own state: its bounded queue, its metrics, and whether it is shutting down. */
export class ServeState extends Effect.Service<ServeState>()("o1coder/ServeState", {
  effect: Effect.gen(function* () {
    const settings = yield* ServeSettingsTag
    return {
      admission: yield* Admission.make(settings.queueCapacity, settings.retryAfterSeconds),
      metrics: yield* Metrics.make,
      draining: yield* Ref.make(false)
    }
  })
}) {}

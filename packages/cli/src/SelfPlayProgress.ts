import * as Events from "@o1coder/selfplay/Events"
import type { SelfPlayEvent } from "@o1coder/selfplay/Stages"
import { Config, Console, Effect, Layer } from "effect"
import { makeProgress, type Progress } from "./Progress.ts"

/** Progress bars on stderr, one per stage of a round. */
const progressSink = Effect.sync(() => {
  let current: { key: string; total: number; progress: Progress } | undefined
  return (event: SelfPlayEvent): Effect.Effect<void> =>
    Effect.gen(function* () {
      switch (event._tag) {
        case "RunStarted":
          yield* Console.error(`run ${event.runId}: ${event.rounds} round(s) on ${event.problems} problem(s)`)
          return
        case "StageStarted": {
          if (current !== undefined) yield* current.progress.finish("stopped")
          const progress = yield* makeProgress(`round ${event.round} ${event.stage.padEnd(8)}`, event.total)
          current = { key: `${event.round}/${event.stage}`, total: event.total, progress }
          return
        }
        case "Progress":
          if (current?.key === `${event.round}/${event.stage}`) {
            current.total = event.total
            yield* current.progress.update(event.done, event.detail, event.total)
          }
          return
        case "Waiting":
          if (current !== undefined && event.state !== "succeeded") yield* current.progress.update(0, `${event.stage}: job ${event.state}`)
          return
        case "StageFinished":
          if (current?.key === `${event.round}/${event.stage}`) {
            yield* current.progress.finish(undefined, current.total)
            current = undefined
          }
          return
        case "RunFinished":
          return
      }
    })
})

/** `O1CODER_STAGE_MARKERS=1` adds a marker line per stage boundary (for harnesses watching a run). */
const markersConfig = Config.boolean("O1CODER_STAGE_MARKERS").pipe(Config.withDefault(false))

/** Self-play events as progress bars on stderr, and stage markers when configured. */
export const layerFromConfig = Layer.unwrapEffect(
  Effect.gen(function* () {
    const sink = yield* progressSink
    const markers = yield* markersConfig
    return markers ? Events.layer(sink, Events.markers) : Events.layer(sink)
  })
)

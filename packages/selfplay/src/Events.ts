import { Effect, Layer } from "effect"
import { SelfPlayEvents, type SelfPlayEvent } from "./Stages.ts"

/**
 * A line per stage boundary on stderr (`@o1coder stage r1 search start`), for harnesses that
 * watch a run from outside (the crash test kills the process inside a chosen stage).
 */
export const markerLine = (event: SelfPlayEvent): string | undefined => {
  switch (event._tag) {
    case "StageStarted":
      return `@o1coder stage r${event.round} ${event.stage} start`
    case "StageFinished":
      return `@o1coder stage r${event.round} ${event.stage} end`
    case "Progress":
      return `@o1coder progress r${event.round} ${event.stage} ${event.done}/${event.total}`
    case "Waiting":
      return `@o1coder wait r${event.round} ${event.stage} ${event.jobId} ${event.state}`
    case "RunStarted":
      return `@o1coder run ${event.runId} start`
    case "RunFinished":
      return `@o1coder run ${event.runId} end`
  }
}

/** Events go to every sink given, in order. */
export const layer = (...sinks: ReadonlyArray<(event: SelfPlayEvent) => Effect.Effect<void>>) =>
  Layer.succeed(SelfPlayEvents, { emit: (event) => Effect.forEach(sinks, (sink) => sink(event), { discard: true }) })

export const markers = (event: SelfPlayEvent): Effect.Effect<void> =>
  Effect.sync(() => {
    const line = markerLine(event)
    if (line !== undefined) process.stderr.write(`${line}\n`)
  })

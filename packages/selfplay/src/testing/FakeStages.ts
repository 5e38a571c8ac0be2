import { Effect, Layer } from "effect"
import { StageError, Stages, type StagesService } from "../Stages.ts"

/**
 * A fake of every stage for tests of the workflow itself: deterministic ids, no models, no
 * sandbox; counts how often each stage key was paid for, and can fail a key a number of times.
 */
export const makeFakeStages = (options: { readonly problems?: ReadonlyArray<string>; readonly jobPolls?: number } = {}) => {
  const calls = new Map<string, number>()
  const failures = new Map<string, number>()
  const count = (key: string) =>
    Effect.suspend(() => {
      calls.set(key, (calls.get(key) ?? 0) + 1)
      const left = failures.get(key) ?? 0
      if (left > 0) {
        failures.set(key, left - 1)
        return Effect.fail(new StageError({ stage: key, reason: "injected failure" }))
      }
      return Effect.void
    })
  const polls = new Map<string, number>()
  const service: StagesService = {
    prepare: (runId) =>
      Effect.as(count("prepare"), {
        problemIds: options.problems ?? ["demo/1", "demo/2"],
        versions: { policy: `${runId}/policy/0`, tcg: null, prm: null }
      }),
    testSuite: (ctx, pid) => Effect.as(count(`r${ctx.round}/tcg/${pid}`), `suite:${pid}`),
    search: (ctx, pid, suite) => Effect.as(count(`r${ctx.round}/search/${pid}`), `search:${ctx.round}:${pid}:${suite}:${ctx.versions.policy}`),
    exportData: (ctx, kind) => Effect.as(count(`r${ctx.round}/export/${kind}`), `dataset:${ctx.round}:${kind}`),
    submitTraining: (ctx, stage) => Effect.as(count(`r${ctx.round}/train/${stage}`), `job:${ctx.round}:${stage}`),
    pollTraining: (jobId) =>
      Effect.sync(() => {
        const n = (polls.get(jobId) ?? 0) + 1
        polls.set(jobId, n)
        return n > (options.jobPolls ?? 1) ? ("succeeded" as const) : ("running" as const)
      }),
    serveVersion: (ctx, stage) => count(`r${ctx.round}/serve/${stage}`),
    registerVersion: (ctx, stage, jobId) =>
      Effect.as(count(`r${ctx.round}/register/${stage}`), `${ctx.runId}/${stage}/${ctx.round}:${jobId}`),
    evaluate: (ctx) => Effect.as(count(`r${ctx.round}/evaluate`), `eval:${ctx.round}`)
  }
  return {
    calls,
    failures,
    service,
    layer: Layer.succeed(Stages, service)
  }
}

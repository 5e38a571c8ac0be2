import { HttpApiBuilder, HttpServerRequest } from "@effect/platform"
import { Sandbox } from "@o1coder/sandbox"
import { Duration, Effect, Either, Layer, Ref } from "effect"
import { BadRequest, DeadlineExceeded, NotReady, type RewardRequest, ServeApi } from "./Api.ts"
import { toCompletions } from "./OpenRlhf.ts"
import * as RunCode from "./RunCode.ts"
import { RewardScorer } from "./Scorer.ts"
import { ServeState } from "./ServeState.ts"
import { ServeSettingsTag } from "./Settings.ts"

/** A caller's tags for /run_code and /get_reward, whose protocols have no field for them. */
const headerTags = Effect.map(HttpServerRequest.HttpServerRequest, (request) => {
  const run = request.headers["x-o1coder-run"]
  const step = Number(request.headers["x-o1coder-step"])
  return { run: run !== undefined && run !== "" ? run : undefined, step: Number.isSafeInteger(step) && step >= 0 ? step : undefined }
})

const withDeadline = (deadlineMs: number) => <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.timeoutFail(effect, {
    duration: Duration.millis(deadlineMs),
    onTimeout: () => new DeadlineExceeded({ message: `the request's deadline of ${deadlineMs} ms passed before every completion was scored`, deadlineMs })
  })

const RewardLive = HttpApiBuilder.group(ServeApi, "reward", (handlers) =>
  Effect.gen(function* () {
    const scorer = yield* RewardScorer
    const settings = yield* ServeSettingsTag
    const { admission, metrics } = yield* ServeState
    const sandbox = yield* Sandbox

    const batch = (field: string, n: number) =>
      n === 0
        ? Effect.fail(new BadRequest({ field, message: `${field} is empty` }))
        : n > settings.maxBatch
          ? Effect.fail(new BadRequest({ field, message: `${field} has ${n} items; at most ${settings.maxBatch} per request (O1CODER_SERVE_MAX_BATCH)` }))
          : Effect.void

    const scoreBatch = (request: RewardRequest) =>
      Effect.gen(function* () {
        const started = performance.now()
        yield* batch("completions", request.completions.length)
        yield* admission.admit(request.completions.length)
        const results = yield* scorer
          .score(request.completions, { run: request.run, step: request.step, alpha: request.alpha, testTimeoutMs: request.test_timeout_ms })
          .pipe(withDeadline(Math.min(request.deadline_ms ?? settings.deadlineMs, settings.deadlineMs)))
        yield* metrics.scored(results.length, results.reduce((n, r) => n + r.total, 0))
        for (const r of results) yield* metrics.execution(r.passed === r.total && r.total > 0 ? "passed" : (r.verdicts.find((v) => v.status !== "passed")?.status ?? "empty"))
        return { results, ms: performance.now() - started }
      }).pipe(Effect.scoped)

    return handlers
      .handle("reward", ({ payload }) => scoreBatch(payload))
      .handle("getReward", ({ payload }) =>
        Effect.gen(function* () {
          const completions = toCompletions(payload)
          if (Either.isLeft(completions)) return yield* completions.left
          const tags = yield* headerTags
          const { results } = yield* scoreBatch({ completions: completions.right, ...(tags.run !== undefined ? { run: tags.run } : {}), ...(tags.step !== undefined ? { step: tags.step } : {}) })
          return {
            rewards: results.map((r) => r.reward),
            scores: results.map((r) => r.reward),
            extra_logs: { pass_ratio: results.map((r) => r.pass_ratio), compile_rate: results.map((r) => (r.compiled ? 1 : 0)) }
          }
        })
      )
      .handle("runCode", ({ payload }) =>
        Effect.gen(function* () {
          const refused = RunCode.refusal(payload)
          if (refused !== undefined) return refused
          const tags = yield* headerTags
          yield* admission.admit(1)
          const limits = RunCode.limitsFor(payload, settings.limits)
          const execution = yield* sandbox
            .run({
              code: payload.code,
              kind: "stdio",
              tests: [RunCode.programTest(payload)],
              limits,
              captureStdout: true,
              files: RunCode.filesOf(payload),
              fetchFiles: payload.fetch_files ?? undefined,
              purpose: "rl",
              context: { rlRun: tags.run, rlStep: tags.step }
            })
            .pipe(withDeadline(Math.min(settings.deadlineMs, limits.totalTimeoutMs * 2 + 30_000)))
          yield* metrics.scored(0, 1)
          return RunCode.toResponse(execution)
        }).pipe(
          Effect.scoped,
          Effect.catchTag("SandboxError", (e) => Effect.succeed(RunCode.sandboxError(e.message)))
        )
      )
  })
)

const SystemLive = HttpApiBuilder.group(ServeApi, "system", (handlers) =>
  Effect.gen(function* () {
    const { admission, draining, metrics } = yield* ServeState
    const sandbox = yield* Sandbox
    return handlers
      .handle("health", () => Effect.succeed({ service: "o1coder-serve" as const, status: "ok" as const }))
      .handle("ready", () =>
        Effect.gen(function* () {
          if (yield* Ref.get(draining)) return yield* new NotReady({ message: "shutting down: finishing the requests in flight" })
          return {
            ready: true,
            isolation: sandbox.info.level,
            workers: sandbox.info.workers,
            queued: yield* admission.queued,
            capacity: admission.capacity
          }
        })
      )
      .handle("metrics", () => Effect.flatMap(admission.queued, (queued) => metrics.render({ queued, capacity: admission.capacity })))
  })
)

/** The API's handlers; needs the scorer, the sandbox, the settings and the service state. */
export const apiLayer = HttpApiBuilder.api(ServeApi).pipe(Layer.provide([RewardLive, SystemLive]))

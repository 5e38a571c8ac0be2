import { HttpApi, HttpApiEndpoint, HttpApiGroup, HttpApiSchema } from "@effect/platform"
import { ProblemKind, Test, VerdictStatus } from "@o1coder/domain"
import { Schema } from "effect"

/**
 * The reward service's HTTP API: o1coder's own batch endpoint, SandboxFusion's `/run_code` and
 * OpenRLHF's `/get_reward` (field names as those projects spell them), readiness and metrics.
 */

// ---------------------------------------------------------------- errors

/** A request the service will not score; `field` names the JSON path at fault. */
export class BadRequest extends Schema.TaggedError<BadRequest>()(
  "BadRequest",
  { field: Schema.String, message: Schema.String },
  HttpApiSchema.annotations({ status: 400 })
) {}

export class UnknownProblem extends Schema.TaggedError<UnknownProblem>()(
  "UnknownProblem",
  { field: Schema.String, id: Schema.String, message: Schema.String },
  HttpApiSchema.annotations({ status: 404 })
) {}

/** The queue is full: try again after `retryAfterSeconds` (also the Retry-After header). */
export class Overloaded extends Schema.TaggedError<Overloaded>()(
  "Overloaded",
  { message: Schema.String, retryAfterSeconds: Schema.Number },
  HttpApiSchema.annotations({ status: 429 })
) {}

export class DeadlineExceeded extends Schema.TaggedError<DeadlineExceeded>()(
  "DeadlineExceeded",
  { message: Schema.String, deadlineMs: Schema.Number },
  HttpApiSchema.annotations({ status: 504 })
) {}

/** The sandbox or the store failed (not the candidate): the trainer should retry, never score 0. */
export class Unavailable extends Schema.TaggedError<Unavailable>()(
  "Unavailable",
  { message: Schema.String },
  HttpApiSchema.annotations({ status: 503 })
) {}

// ---------------------------------------------------------------- POST /v1/reward

/** A test as the domain encodes it (`{_tag: "call", args, expected}` ...) or an assert statement. */
export const InlineTest = Schema.Union(Test, Schema.String)

export const InlineProblem = Schema.Struct({
  kind: ProblemKind,
  entry_point: Schema.optional(Schema.NullOr(Schema.String)),
  setup: Schema.optional(Schema.NullOr(Schema.String)),
  atol: Schema.optional(Schema.NullOr(Schema.Number)),
  /** The problem's text, which a configured PRM reads with each step prefix. */
  statement: Schema.optional(Schema.String),
  tests: Schema.Array(InlineTest)
})
export type InlineProblem = typeof InlineProblem.Type

export const CompletionItem = Schema.Struct({
  completion: Schema.String,
  /** A stored problem; its generated suite scores the completion unless `problem` is given. */
  problem_id: Schema.optional(Schema.String),
  /** A stored suite of that problem (default: its newest generated suite). */
  suite_id: Schema.optional(Schema.String),
  problem: Schema.optional(InlineProblem),
  /** Process rewards r_0..r_{m−1} of the completion's steps: the result then carries φ. */
  step_rewards: Schema.optional(Schema.Array(Schema.Number))
})
export type CompletionItem = typeof CompletionItem.Type

export const RewardRequest = Schema.Struct({
  completions: Schema.Array(CompletionItem),
  /** The trainer's run name, logged with each execution (`execution_log.rl_run`). */
  run: Schema.optional(Schema.String),
  /** The trainer's step t (`execution_log.rl_step`; α(t) of φ). */
  step: Schema.optional(Schema.Int.pipe(Schema.nonNegative())),
  /** α of `α·compile + (1−α)·pass_ratio` (default: the service's, 0 unless configured). */
  alpha: Schema.optional(Schema.Number.pipe(Schema.between(0, 1))),
  /** Per-test wall-clock timeout. */
  test_timeout_ms: Schema.optional(Schema.Number.pipe(Schema.between(1, 60_000))),
  /** The whole request's deadline (default: the service's). */
  deadline_ms: Schema.optional(Schema.Number.pipe(Schema.between(1, 3_600_000)))
})
export type RewardRequest = typeof RewardRequest.Type

export const TestVerdict = Schema.Struct({
  status: VerdictStatus,
  ms: Schema.Number,
  seen: Schema.optional(Schema.String),
  error: Schema.optional(Schema.String)
})

export const RewardResult = Schema.Struct({
  reward: Schema.Number,
  compiled: Schema.Boolean,
  passed: Schema.Int,
  total: Schema.Int,
  pass_ratio: Schema.Number,
  verdicts: Schema.Array(TestVerdict),
  /** φ = α(t)·reward + (1−α(t))·(1/m)·Σ γ^j·r_j, when step rewards were given or a PRM scored the steps. */
  phi: Schema.optional(Schema.Number),
  /** The process rewards r_j the service's PRM gave the completion's steps (step format only). */
  step_rewards: Schema.optional(Schema.Array(Schema.Number)),
  problem_id: Schema.NullOr(Schema.String),
  suite_id: Schema.NullOr(Schema.String),
  ms: Schema.Number
})
export type RewardResult = typeof RewardResult.Type

export const RewardResponse = Schema.Struct({
  results: Schema.Array(RewardResult),
  ms: Schema.Number
})
export type RewardResponse = typeof RewardResponse.Type

// ---------------------------------------------------------------- POST /run_code (SandboxFusion)

export const RunCodeRequest = Schema.Struct({
  code: Schema.String,
  language: Schema.String,
  stdin: Schema.optional(Schema.NullOr(Schema.String)),
  compile_timeout: Schema.optional(Schema.NullOr(Schema.Number)),
  run_timeout: Schema.optional(Schema.NullOr(Schema.Number)),
  memory_limit_MB: Schema.optional(Schema.NullOr(Schema.Number)),
  files: Schema.optional(Schema.NullOr(Schema.Record({ key: Schema.String, value: Schema.NullOr(Schema.String) }))),
  fetch_files: Schema.optional(Schema.NullOr(Schema.Array(Schema.String)))
})
export type RunCodeRequest = typeof RunCodeRequest.Type

export const CommandRunResult = Schema.Struct({
  status: Schema.Literal("Finished", "Error", "TimeLimitExceeded"),
  execution_time: Schema.NullOr(Schema.Number),
  return_code: Schema.NullOr(Schema.Int),
  stdout: Schema.NullOr(Schema.String),
  stderr: Schema.NullOr(Schema.String)
})
export type CommandRunResult = typeof CommandRunResult.Type

export const RunCodeResponse = Schema.Struct({
  status: Schema.Literal("Success", "Failed", "SandboxError"),
  message: Schema.String,
  compile_result: Schema.NullOr(CommandRunResult),
  run_result: Schema.NullOr(CommandRunResult),
  executor_pod_name: Schema.NullOr(Schema.String),
  files: Schema.Record({ key: Schema.String, value: Schema.String })
})
export type RunCodeResponse = typeof RunCodeResponse.Type

// ---------------------------------------------------------------- POST /get_reward (OpenRLHF)

export const GetRewardRequest = Schema.Struct({
  /** Prompt + response, as OpenRLHF sends them. */
  query: Schema.Array(Schema.String),
  prompts: Schema.optional(Schema.Array(Schema.String)),
  /** Per query: a stored problem id, or an inline problem as JSON (optionally with problem_id / suite_id). */
  labels: Schema.optional(Schema.Array(Schema.String))
})
export type GetRewardRequest = typeof GetRewardRequest.Type

export const GetRewardResponse = Schema.Struct({
  rewards: Schema.Array(Schema.Number),
  scores: Schema.Array(Schema.Number),
  extra_logs: Schema.Struct({ pass_ratio: Schema.Array(Schema.Number), compile_rate: Schema.Array(Schema.Number) })
})
export type GetRewardResponse = typeof GetRewardResponse.Type

// ---------------------------------------------------------------- system

export const Health = Schema.Struct({ service: Schema.Literal("o1coder-serve"), status: Schema.Literal("ok") })
export const Readiness = Schema.Struct({
  ready: Schema.Boolean,
  isolation: Schema.String,
  workers: Schema.Int,
  queued: Schema.Int,
  capacity: Schema.Int
})

export class NotReady extends Schema.TaggedError<NotReady>()(
  "NotReady",
  { message: Schema.String },
  HttpApiSchema.annotations({ status: 503 })
) {}

export class ServeApi extends HttpApi.make("o1coder-serve")
  .add(
    HttpApiGroup.make("reward")
      .add(
        HttpApiEndpoint.post("reward", "/v1/reward")
          .setPayload(RewardRequest)
          .addSuccess(RewardResponse)
          .addError(BadRequest)
          .addError(UnknownProblem)
          .addError(Overloaded)
          .addError(DeadlineExceeded)
          .addError(Unavailable)
      )
      .add(
        HttpApiEndpoint.post("runCode", "/run_code")
          .setPayload(RunCodeRequest)
          .addSuccess(RunCodeResponse)
          .addError(Overloaded)
          .addError(DeadlineExceeded)
      )
      .add(
        HttpApiEndpoint.post("getReward", "/get_reward")
          .setPayload(GetRewardRequest)
          .addSuccess(GetRewardResponse)
          .addError(BadRequest)
          .addError(UnknownProblem)
          .addError(Overloaded)
          .addError(DeadlineExceeded)
          .addError(Unavailable)
      )
  )
  .add(
    HttpApiGroup.make("system")
      .add(HttpApiEndpoint.get("health", "/health").addSuccess(Health))
      .add(HttpApiEndpoint.get("ready", "/ready").addSuccess(Readiness).addError(NotReady))
      .add(HttpApiEndpoint.get("metrics", "/metrics").addSuccess(HttpApiSchema.Text({ contentType: "text/plain; version=0.0.4" })))
  ) {}

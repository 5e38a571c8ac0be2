import { Context, Schema } from "effect"
import type { Effect } from "effect"

export class SamplingOptions extends Schema.Class<SamplingOptions>("SamplingOptions")({
  n: Schema.optionalWith(Schema.Number, { default: () => 1 }),
  stop: Schema.optionalWith(Schema.Array(Schema.String), { default: () => [] }),
  temperature: Schema.optionalWith(Schema.Number, { default: () => 0.8 }),
  topP: Schema.optionalWith(Schema.Number, { default: () => 0.95 }),
  topK: Schema.optionalWith(Schema.Number, { default: () => 40 }),
  maxTokens: Schema.optionalWith(Schema.Number, { default: () => 512 }),
  seed: Schema.optional(Schema.Number),
  logprobs: Schema.optionalWith(Schema.Boolean, { default: () => false })
}) {}

/**
 * How a completion's token count was obtained (kept in `model_calls.tokens_counted_by`):
 * - `usage`: the server's `usage` of this one completion (n = 1, or llama.cpp's first choice)
 * - `logprobs`: one logprob entry per generated token of this choice
 * - `tokenize`: the server's `/tokenize` of the text (llama.cpp reports usage for the first choice only)
 * - `usage-split`: the reply's usage covers all choices (vLLM, SGLang, OpenAI); split by text length
 * - `generated`: counted while generating, in process
 * - `estimate`: about 4 characters a token (simulated models, or when `/tokenize` failed)
 */
export const TokensCountedBy = Schema.Literal("usage", "logprobs", "tokenize", "usage-split", "generated", "estimate")
export type TokensCountedBy = typeof TokensCountedBy.Type

export class Completion extends Schema.Class<Completion>("Completion")({
  text: Schema.String,
  finishReason: Schema.String,
  promptTokens: Schema.Number,
  completionTokens: Schema.Number,
  tokensCountedBy: Schema.optional(TokensCountedBy),
  logprobs: Schema.optional(Schema.Array(Schema.Struct({ token: Schema.String, logprob: Schema.Number }))),
  /** True when served from the record/replay store instead of the backend. */
  cached: Schema.optionalWith(Schema.Boolean, { default: () => false })
}) {}

export class ChatMessage extends Schema.Class<ChatMessage>("ChatMessage")({
  role: Schema.Literal("system", "user", "assistant"),
  content: Schema.String
}) {}

export class ModelError extends Schema.TaggedError<ModelError>()("ModelError", {
  kind: Schema.Literal(
    "unreachable",
    "rate_limited",
    "server_error",
    "timeout",
    "bad_response",
    "context_too_long",
    "replay_miss",
    "load_failed"
  ),
  reason: Schema.String,
  modelVersion: Schema.String,
  /** HTTP status of the last reply, when there was one. */
  status: Schema.optional(Schema.Number),
  /** Requests made before giving up (1 = no retry). */
  attempts: Schema.optional(Schema.Number)
}) {
  override get message() {
    const attempts = this.attempts === undefined ? "" : ` (${this.attempts} attempt${this.attempts === 1 ? "" : "s"})`
    return `${this.modelVersion}: ${this.kind}: ${this.reason}${attempts}`
  }
}

export interface CompletionRequest {
  readonly prompt: string
  readonly options: SamplingOptions
}

/**
 * One language model (a role's current version). `modelVersion` names what every call was made
 * with; record/replay keys on it.
 */
export interface LanguageModelService {
  readonly modelVersion: string
  readonly complete: (prompt: string, options: SamplingOptions) => Effect.Effect<ReadonlyArray<Completion>, ModelError>
  readonly chat: (messages: ReadonlyArray<ChatMessage>, options: SamplingOptions) => Effect.Effect<ReadonlyArray<Completion>, ModelError>
}

export class LanguageModel extends Context.Tag("o1coder/LanguageModel")<LanguageModel, LanguageModelService>() {}

import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { Duration, Effect, Option, Random, Redacted, Schema } from "effect"
import type { ChatMessage, LanguageModelService, SamplingOptions } from "./LanguageModel.ts"
import { Completion, ModelError } from "./LanguageModel.ts"

/**
 * A backend for OpenAI-compatible servers (vLLM, SGLang, llama.cpp server, Ollama, hosted APIs),
 * on `/completions` (exact prompts, the search's path) and `/chat/completions`.
 *
 * Why @effect/platform's HttpClient and not @effect/ai-openai's generated client: that client's
 * reply schemas are OpenAI's exact shapes (a required `refusal` key in chat messages, a required
 * `logprobs` key per choice, `finish_reason` limited to OpenAI's values), which llama.cpp server,
 * Ollama and vLLM (`"abort"`) do not always send, and its request types have no vLLM extras
 * (`top_k`, `include_stop_str_in_output`). Replies here are decoded by a lenient Schema below,
 * and the status and `Retry-After` of each reply are at hand for the retry policy.
 */

export interface Endpoint {
  /** Base URL including the API prefix, e.g. `http://host:8000/v1`. */
  readonly baseUrl: string
  /** The served model name sent as `model`. */
  readonly model: string
  readonly apiKey?: Redacted.Redacted<string> | undefined
  /** Requests in flight at once on this endpoint (default 8). */
  readonly maxConcurrency?: number | undefined
}

export interface OpenAiOptions {
  /** Several endpoints serving the same model: each request goes to the least busy one. */
  readonly endpoints: ReadonlyArray<Endpoint>
  /** What calls are recorded under (default `openai:<model>`). */
  readonly modelVersion?: string | undefined
  /** Per-request timeout (default 120 s); a timeout is not retried. */
  readonly timeout?: Duration.DurationInput | undefined
  /** Retries after the first request on 429, 5xx and connection errors (default 4). */
  readonly maxRetries?: number | undefined
  /** First backoff (default 500 ms), doubled per retry, jittered ×[0.5, 1.5), capped by maxBackoff. */
  readonly baseBackoff?: Duration.DurationInput | undefined
  readonly maxBackoff?: Duration.DurationInput | undefined
  /** Send vLLM/SGLang extras (`top_k`); hosted OpenAI rejects unknown fields (default true). */
  readonly vllmExtras?: boolean | undefined
  /** vLLM `include_stop_str_in_output` (default false). */
  readonly includeStopStrInOutput?: boolean | undefined
  /** Merged into every request body last (any other server-specific field). */
  readonly extraBody?: Readonly<Record<string, unknown>> | undefined
}

const Usage = Schema.Struct({
  prompt_tokens: Schema.optionalWith(Schema.Number, { nullable: true, default: () => 0 }),
  completion_tokens: Schema.optionalWith(Schema.Number, { nullable: true, default: () => 0 })
})

const CompletionChoice = Schema.Struct({
  index: Schema.optionalWith(Schema.Number, { nullable: true, default: () => 0 }),
  text: Schema.String,
  finish_reason: Schema.optionalWith(Schema.String, { nullable: true, default: () => "unknown" }),
  logprobs: Schema.optionalWith(
    Schema.Struct({
      tokens: Schema.optionalWith(Schema.Array(Schema.String), { nullable: true, default: () => [] }),
      token_logprobs: Schema.optionalWith(Schema.Array(Schema.NullOr(Schema.Number)), { nullable: true, default: () => [] })
    }),
    { nullable: true }
  )
})

const ChatChoice = Schema.Struct({
  index: Schema.optionalWith(Schema.Number, { nullable: true, default: () => 0 }),
  message: Schema.Struct({ content: Schema.optionalWith(Schema.String, { nullable: true, default: () => "" }) }),
  finish_reason: Schema.optionalWith(Schema.String, { nullable: true, default: () => "unknown" }),
  logprobs: Schema.optionalWith(
    Schema.Struct({
      content: Schema.optionalWith(Schema.Array(Schema.Struct({ token: Schema.String, logprob: Schema.Number })), {
        nullable: true,
        default: () => []
      })
    }),
    { nullable: true }
  )
})

const CompletionReply = Schema.Struct({
  choices: Schema.Array(CompletionChoice),
  usage: Schema.optionalWith(Usage, { nullable: true })
})
const ChatReply = Schema.Struct({ choices: Schema.Array(ChatChoice), usage: Schema.optionalWith(Usage, { nullable: true }) })

interface Attempt {
  readonly error: ModelError
  readonly retryable: boolean
  readonly retryAfterMs?: number | undefined
}

/** `Retry-After` in seconds or as an HTTP date, in milliseconds from now. */
export const parseRetryAfter = (value: string | undefined, now: number = Date.now()): number | undefined => {
  if (value === undefined || value.trim() === "") return undefined
  const seconds = Number(value)
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000)
  const date = Date.parse(value)
  return Number.isNaN(date) ? undefined : Math.max(0, date - now)
}

/**
 * The wait before retry number `retry + 1`: exponential backoff `base·2^retry·jitter` capped at
 * `maxMs`, but never shorter than the server's Retry-After (itself capped at 4·maxMs so that a
 * hostile header cannot stall a run).
 */
export const retryDelayMs = (o: {
  readonly retry: number
  readonly jitter: number
  readonly baseMs: number
  readonly maxMs: number
  readonly retryAfterMs?: number | undefined
}): number => Math.max(Math.min(o.maxMs, o.baseMs * 2 ** o.retry * o.jitter), Math.min(o.retryAfterMs ?? 0, o.maxMs * 4))

const CONTEXT_TOO_LONG = /context length|maximum context|too many tokens|context window|prompt is too long|exceeds the (model|max)/i

interface EndpointState {
  readonly endpoint: Endpoint
  readonly semaphore: Effect.Semaphore
  inFlight: number
}

/** Splits a reply's completion tokens over its samples when the server gives only the total. */
const splitTokens = (total: number, texts: ReadonlyArray<string>): ReadonlyArray<number> => {
  const chars = texts.reduce((a, t) => a + t.length, 0)
  if (chars === 0) return texts.map((_, i) => (i === 0 ? total : 0))
  const shares = texts.map((t) => Math.floor((total * t.length) / chars))
  shares[0] = shares[0]! + (total - shares.reduce((a, b) => a + b, 0))
  return shares
}

export const make = (options: OpenAiOptions): Effect.Effect<LanguageModelService> =>
  Effect.gen(function* () {
    if (options.endpoints.length === 0) return yield* Effect.dieMessage("openai backend: no endpoint")
    const http = yield* Effect.serviceOption(HttpClient.HttpClient).pipe(
      Effect.flatMap(Option.match({
        onSome: Effect.succeed,
        onNone: () => Effect.provide(HttpClient.HttpClient, FetchHttpClient.layer)
      }))
    )
    const modelVersion = options.modelVersion ?? `openai:${options.endpoints[0]!.model}`
    const timeout = Duration.decode(options.timeout ?? "120 seconds")
    const maxRetries = options.maxRetries ?? 4
    const baseBackoff = Duration.toMillis(options.baseBackoff ?? "500 millis")
    const maxBackoff = Duration.toMillis(options.maxBackoff ?? "30 seconds")
    const vllmExtras = options.vllmExtras ?? true
    const states: Array<EndpointState> = []
    for (const endpoint of options.endpoints) {
      states.push({ endpoint, semaphore: yield* Effect.makeSemaphore(endpoint.maxConcurrency ?? 8), inFlight: 0 })
    }
    let turn = 0

    const fail = (kind: ModelError["kind"], reason: string, status?: number) =>
      new ModelError({ kind, reason, modelVersion, ...(status !== undefined ? { status } : {}) })

    /** Least busy endpoint; ties go round-robin so idle endpoints share the load. */
    const pick = (): EndpointState => {
      turn = (turn + 1) % states.length
      let best = states[turn]!
      for (let i = 1; i < states.length; i++) {
        const s = states[(turn + i) % states.length]!
        if (s.inFlight < best.inFlight) best = s
      }
      return best
    }

    const once = <A>(
      path: string,
      body: Record<string, unknown>,
      decode: (json: unknown) => Effect.Effect<A, ModelError>
    ): Effect.Effect<A, Attempt> =>
      Effect.suspend(() => {
        const state = pick()
        state.inFlight++
        const request = HttpClientRequest.post(state.endpoint.baseUrl.replace(/\/+$/, "") + path).pipe(
          HttpClientRequest.bodyUnsafeJson({ ...body, model: state.endpoint.model }),
          HttpClientRequest.acceptJson,
          state.endpoint.apiKey !== undefined ? HttpClientRequest.bearerToken(state.endpoint.apiKey) : (r) => r
        )
        const exchange = Effect.gen(function* () {
          const response = yield* http.execute(request).pipe(
            Effect.mapError((e): Attempt => ({ error: fail("unreachable", `${state.endpoint.baseUrl}: ${e.message}`), retryable: true }))
          )
          const text = yield* response.text.pipe(
            Effect.mapError((e): Attempt => ({ error: fail("unreachable", `reading reply: ${e.message}`, response.status), retryable: true }))
          )
          const status = response.status
          if (status === 429) {
            return yield* Effect.fail<Attempt>({
              error: fail("rate_limited", `HTTP 429: ${text.slice(0, 300)}`, status),
              retryable: true,
              retryAfterMs: parseRetryAfter(response.headers["retry-after"])
            })
          }
          if (status >= 500) {
            return yield* Effect.fail<Attempt>({
              error: fail("server_error", `HTTP ${status}: ${text.slice(0, 300)}`, status),
              retryable: true,
              retryAfterMs: parseRetryAfter(response.headers["retry-after"])
            })
          }
          if (status >= 400) {
            const kind = CONTEXT_TOO_LONG.test(text) ? "context_too_long" : "bad_response"
            return yield* Effect.fail<Attempt>({ error: fail(kind, `HTTP ${status}: ${text.slice(0, 500)}`, status), retryable: false })
          }
          const json = yield* Effect.try({
            try: () => JSON.parse(text) as unknown,
            catch: (): Attempt => ({ error: fail("bad_response", `malformed JSON: ${text.slice(0, 200)}`, status), retryable: false })
          })
          return yield* decode(json).pipe(Effect.mapError((error): Attempt => ({ error, retryable: false })))
        })
        return state.semaphore.withPermits(1)(
          exchange.pipe(
            Effect.timeoutFail({
              duration: timeout,
              onTimeout: (): Attempt => ({ error: fail("timeout", `no reply within ${Duration.format(timeout)}`), retryable: false })
            })
          )
        ).pipe(Effect.ensuring(Effect.sync(() => state.inFlight--)))
      })

    /** Exponential backoff with jitter, honouring Retry-After, at most maxRetries retries. */
    const withRetries = <A>(attempt: Effect.Effect<A, Attempt>): Effect.Effect<A, ModelError> => {
      const loop = (retry: number): Effect.Effect<A, ModelError> =>
        attempt.pipe(
          Effect.catchAll((a) => {
            if (!a.retryable || retry >= maxRetries) {
              return Effect.fail(new ModelError({ ...a.error, attempts: retry + 1 }))
            }
            return Effect.gen(function* () {
              const jitter = yield* Random.nextRange(0.5, 1.5)
              const wait = retryDelayMs({ retry, jitter, baseMs: baseBackoff, maxMs: maxBackoff, retryAfterMs: a.retryAfterMs })
              yield* Effect.logDebug(`${modelVersion}: ${a.error.kind}, retry ${retry + 1}/${maxRetries} in ${Math.round(wait)} ms`)
              yield* Effect.sleep(Duration.millis(wait))
              return yield* loop(retry + 1)
            })
          })
        )
      return loop(0)
    }

    const samplingBody = (o: SamplingOptions, chat: boolean): Record<string, unknown> => ({
      n: o.n,
      temperature: o.temperature,
      top_p: o.topP,
      max_tokens: o.maxTokens,
      ...(o.stop.length > 0 ? { stop: o.stop } : {}),
      ...(o.seed !== undefined ? { seed: o.seed } : {}),
      ...(o.logprobs ? (chat ? { logprobs: true, top_logprobs: 1 } : { logprobs: 1 }) : {}),
      ...(vllmExtras ? { top_k: o.topK } : {}),
      ...(options.includeStopStrInOutput ? { include_stop_str_in_output: true } : {}),
      ...options.extraBody
    })

    const decodeWith = <S extends Schema.Schema.AnyNoContext>(schema: S) => (json: unknown) =>
      Schema.decodeUnknown(schema)(json).pipe(
        Effect.mapError((e) => fail("bad_response", `unexpected reply shape: ${e.message.slice(0, 300)}`))
      ) as Effect.Effect<Schema.Schema.Type<S>, ModelError>

    const complete = (prompt: string, o: SamplingOptions) =>
      withRetries(once("/completions", { prompt, ...samplingBody(o, false) }, decodeWith(CompletionReply))).pipe(
        Effect.map((reply) => {
          const choices = [...reply.choices].sort((a, b) => a.index - b.index)
          const split = splitTokens(reply.usage?.completion_tokens ?? 0, choices.map((c) => c.text))
          return choices.map((c, i) => {
            const tokens = c.logprobs?.tokens ?? []
            const lps = c.logprobs?.token_logprobs ?? []
            return new Completion({
              text: c.text,
              finishReason: c.finish_reason,
              promptTokens: reply.usage?.prompt_tokens ?? 0,
              completionTokens: tokens.length > 0 ? tokens.length : split[i]!,
              ...(c.logprobs !== undefined && o.logprobs
                ? { logprobs: tokens.map((token, j) => ({ token, logprob: lps[j] ?? 0 })) }
                : {})
            })
          })
        }),
        Effect.withSpan("OpenAiCompatible.complete", { attributes: { modelVersion, n: o.n } })
      )

    const chat = (messages: ReadonlyArray<ChatMessage>, o: SamplingOptions) =>
      withRetries(
        once(
          "/chat/completions",
          { messages: messages.map((m) => ({ role: m.role, content: m.content })), ...samplingBody(o, true) },
          decodeWith(ChatReply)
        )
      ).pipe(
        Effect.map((reply) => {
          const choices = [...reply.choices].sort((a, b) => a.index - b.index)
          const split = splitTokens(reply.usage?.completion_tokens ?? 0, choices.map((c) => c.message.content))
          return choices.map((c, i) => {
            const lps = c.logprobs?.content ?? []
            return new Completion({
              text: c.message.content,
              finishReason: c.finish_reason,
              promptTokens: reply.usage?.prompt_tokens ?? 0,
              completionTokens: lps.length > 0 ? lps.length : split[i]!,
              ...(c.logprobs !== undefined && o.logprobs ? { logprobs: lps.map((l) => ({ token: l.token, logprob: l.logprob })) } : {})
            })
          })
        }),
        Effect.withSpan("OpenAiCompatible.chat", { attributes: { modelVersion, n: o.n } })
      )

    return { modelVersion, complete, chat } satisfies LanguageModelService
  })

import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { Duration, Effect, Option, ParseResult, Random, Redacted, Schema } from "effect"
import type { ChatMessage, LanguageModelService, TokensCountedBy } from "./LanguageModel.ts"
import { Completion, ModelError, SamplingOptions } from "./LanguageModel.ts"

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
  /** Called before each retry and when a request is split (default: nothing). */
  readonly onNotice?: ((notice: Notice) => Effect.Effect<void>) | undefined
}

/** Something the backend did that a person watching a long run wants to see (the CLI prints it). */
export type Notice =
  | {
    readonly _tag: "Retry"
    readonly modelVersion: string
    /** The failed attempt. */
    readonly error: ModelError
    /** The retry about to be made (1-based) and the bound. */
    readonly retry: number
    readonly maxRetries: number
    readonly waitMs: number
  }
  | {
    readonly _tag: "Split"
    readonly modelVersion: string
    /** The server's most completions per request, and what was asked. */
    readonly limit: number
    readonly n: number
  }

export const formatNotice = (notice: Notice): string => {
  switch (notice._tag) {
    case "Retry": {
      const status = notice.error.status !== undefined ? ` HTTP ${notice.error.status}` : ""
      return `${notice.modelVersion}: ${notice.error.kind}${status}, retry ${notice.retry}/${notice.maxRetries} in ${(notice.waitMs / 1000).toFixed(1)} s`
    }
    case "Split":
      return `${notice.modelVersion}: the server serves at most ${notice.limit} completions per request (llama-server: -np); ` +
        `n = ${notice.n} is sent as ${Math.ceil(notice.n / notice.limit)} requests`
  }
}

const Usage = Schema.Struct({
  prompt_tokens: Schema.optionalWith(Schema.Number, { nullable: true, default: () => 0 }),
  completion_tokens: Schema.optional(Schema.NullOr(Schema.Number))
})

/** One token of llama.cpp's and OpenAI chat's `logprobs.content[]` (`prob` with llama.cpp's post_sampling_probs). */
const TokenLogprob = Schema.Struct({
  token: Schema.String,
  logprob: Schema.optional(Schema.NullOr(Schema.Number)),
  prob: Schema.optional(Schema.NullOr(Schema.Number))
})

/** Both shapes: OpenAI legacy completions (`tokens`, `token_logprobs`) and `content[]` (llama.cpp, chat). */
const Logprobs = Schema.Struct({
  tokens: Schema.optional(Schema.NullOr(Schema.Array(Schema.String))),
  token_logprobs: Schema.optional(Schema.NullOr(Schema.Array(Schema.NullOr(Schema.Number)))),
  content: Schema.optional(Schema.NullOr(Schema.Array(TokenLogprob)))
})

const choiceFields = {
  index: Schema.optionalWith(Schema.Number, { nullable: true, default: () => 0 }),
  finish_reason: Schema.optionalWith(Schema.String, { nullable: true, default: () => "unknown" }),
  logprobs: Schema.optional(Schema.NullOr(Logprobs))
}
const CompletionChoice = Schema.Struct({ ...choiceFields, text: Schema.String })
const ChatChoice = Schema.Struct({
  ...choiceFields,
  message: Schema.Struct({ content: Schema.optionalWith(Schema.String, { nullable: true, default: () => "" }) })
})

const replyFields = {
  usage: Schema.optional(Schema.NullOr(Usage)),
  /** Sent by llama.cpp's server only; there `usage` covers the first choice only. */
  timings: Schema.optional(Schema.Unknown)
}
const CompletionReply = Schema.Struct({ ...replyFields, choices: Schema.Array(CompletionChoice) })
const ChatReply = Schema.Struct({ ...replyFields, choices: Schema.Array(ChatChoice) })

type TokenLogprobs = ReadonlyArray<{ readonly token: string; readonly logprob: number }>

/** A choice of either endpoint, in one shape. */
interface Choice {
  readonly index: number
  readonly text: string
  readonly finishReason: string
  /** Undefined when the choice carries no logprobs. */
  readonly logprobs: TokenLogprobs | undefined
}

interface Reply {
  readonly choices: ReadonlyArray<Choice>
  readonly promptTokens: number
  readonly completionTokens: number | undefined
  readonly usageOfFirstChoiceOnly: boolean
}

const tokenLogprobs = (lp: typeof Logprobs.Type | null | undefined): TokenLogprobs | undefined => {
  if (lp === null || lp === undefined) return undefined
  if (lp.content !== null && lp.content !== undefined && lp.content.length > 0) {
    return lp.content.map((t) => ({ token: t.token, logprob: t.logprob ?? (typeof t.prob === "number" ? Math.log(t.prob) : 0) }))
  }
  if (lp.tokens !== null && lp.tokens !== undefined) {
    return lp.tokens.map((token, j) => ({ token, logprob: lp.token_logprobs?.[j] ?? 0 }))
  }
  return lp.content !== null && lp.content !== undefined ? [] : undefined
}

const toReply = (reply: typeof CompletionReply.Type | typeof ChatReply.Type, texts: ReadonlyArray<string>): Reply => ({
  // llama.cpp puts the choice its usage is about first.
  choices: reply.choices.map((c, i) => ({ index: c.index, text: texts[i]!, finishReason: c.finish_reason, logprobs: tokenLogprobs(c.logprobs) })),
  promptTokens: reply.usage?.prompt_tokens ?? 0,
  completionTokens: reply.usage?.completion_tokens ?? undefined,
  usageOfFirstChoiceOnly: reply.timings !== undefined
})

type ReadReply = (json: unknown) => Effect.Effect<Reply, ParseResult.ParseError>
const readCompletionReply: ReadReply = (json) =>
  Effect.map(Schema.decodeUnknown(CompletionReply)(json), (r) => toReply(r, r.choices.map((c) => c.text)))
const readChatReply: ReadReply = (json) =>
  Effect.map(Schema.decodeUnknown(ChatReply)(json), (r) => toReply(r, r.choices.map((c) => c.message.content)))

interface Attempt {
  readonly error: ModelError
  readonly retryable: boolean
  readonly retryAfterMs?: number | undefined
  /** The server refused `n` and said its limit (llama.cpp: the number of slots). */
  readonly choicesLimit?: number | undefined
}

/** The server's limit on completions per request (llama.cpp: its slots, `-np`). */
class ChoicesLimit {
  readonly _tag = "ChoicesLimit"
  constructor(readonly limit: number, readonly error: ModelError) {}
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

/**
 * Context-overflow replies of the servers this backend talks to:
 * llama.cpp (`exceed_context_size_error`: "request (2051 tokens) exceeds the available context size",
 * "input (N tokens) is larger than the max context size"), vLLM ("This model's maximum context length
 * is N tokens", "Input prompt (N tokens) is too long and exceeds limit of M", "... is longer than the
 * model's context length"), SGLang ("Requested token count exceeds the model's maximum context length",
 * "The input (N tokens) is longer than the model's context length (M tokens)", "Input length (N tokens)
 * exceeds the maximum allowed length"), OpenAI (`context_length_exceeded`).
 */
export const isContextOverflow = (text: string): boolean =>
  /exceed_context_size_error|context_length_exceeded|exceeds the available context size|larger than the max context size|maximum context length|longer than the model's context length|too long and exceeds limit|exceeds the maximum allowed length|max_model_len|context window|prompt is too long/i
    .test(text)

/** llama.cpp's refusal of `n` above its slots: "Field 'n': Value must be between 1 <= value <= 4, but got 5". */
export const parseChoicesLimit = (text: string): number | undefined => {
  const m = /Field '(?:n|n_cmpl)': Value must be between \d+ <= value <= (\d+)/.exec(text)
  return m === null ? undefined : Number(m[1])
}

interface EndpointState {
  readonly endpoint: Endpoint
  readonly semaphore: Effect.Semaphore
  inFlight: number
}

/** About 4 characters a token. */
const estimateTokens = (text: string): number => Math.ceil(text.length / 4)

/** Splits a reply's completion tokens over its samples when the server gives only the total. */
const splitTokens = (total: number, texts: ReadonlyArray<string>): ReadonlyArray<number> => {
  const chars = texts.reduce((a, t) => a + t.length, 0)
  if (chars === 0) return texts.map((_, i) => (i === 0 ? total : 0))
  const shares = texts.map((t) => Math.floor((total * t.length) / chars))
  shares[0] = shares[0]! + (total - shares.reduce((a, b) => a + b, 0))
  return shares
}

/** Requests of at most `limit` completions covering sample indices 0..n-1 in order. */
const chunks = (n: number, limit: number): ReadonlyArray<{ readonly start: number; readonly n: number }> =>
  Array.from({ length: Math.ceil(n / limit) }, (_, j) => ({ start: j * limit, n: Math.min(limit, n - j * limit) }))

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
    const notify = options.onNotice ?? (() => Effect.void)
    const states: Array<EndpointState> = []
    for (const endpoint of options.endpoints) {
      states.push({ endpoint, semaphore: yield* Effect.makeSemaphore(endpoint.maxConcurrency ?? 8), inFlight: 0 })
    }
    let turn = 0
    /** Learnt from the first refusal; later calls are split up front. */
    let choicesLimit: number | undefined

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

    /** One HTTP exchange; `url` builds the address from the endpoint's base URL. */
    const once = <A>(
      url: (baseUrl: string) => string,
      body: Record<string, unknown>,
      decode: (json: unknown) => Effect.Effect<A, ModelError>
    ): Effect.Effect<A, Attempt> =>
      Effect.suspend(() => {
        const state = pick()
        state.inFlight++
        const request = HttpClientRequest.post(url(state.endpoint.baseUrl.replace(/\/+$/, ""))).pipe(
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
          if (status >= 400 && status !== 429 && isContextOverflow(text)) {
            return yield* Effect.fail<Attempt>({ error: fail("context_too_long", `HTTP ${status}: ${text.slice(0, 500)}`, status), retryable: false })
          }
          if (status === 429 || status >= 500) {
            return yield* Effect.fail<Attempt>({
              error: fail(status === 429 ? "rate_limited" : "server_error", `HTTP ${status}: ${text.slice(0, 300)}`, status),
              retryable: true,
              retryAfterMs: parseRetryAfter(response.headers["retry-after"])
            })
          }
          if (status >= 400) {
            return yield* Effect.fail<Attempt>({
              error: fail("bad_response", `HTTP ${status}: ${text.slice(0, 500)}`, status),
              retryable: false,
              choicesLimit: parseChoicesLimit(text)
            })
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
    const withRetries = <A>(attempt: Effect.Effect<A, Attempt>): Effect.Effect<A, ModelError | ChoicesLimit> => {
      const loop = (retry: number): Effect.Effect<A, ModelError | ChoicesLimit> =>
        attempt.pipe(
          Effect.catchAll((a) => {
            const error = new ModelError({ ...a.error, attempts: retry + 1 })
            if (a.choicesLimit !== undefined) return Effect.fail(new ChoicesLimit(a.choicesLimit, error))
            if (!a.retryable || retry >= maxRetries) return Effect.fail(error)
            return Effect.gen(function* () {
              const jitter = yield* Random.nextRange(0.5, 1.5)
              const waitMs = retryDelayMs({ retry, jitter, baseMs: baseBackoff, maxMs: maxBackoff, retryAfterMs: a.retryAfterMs })
              yield* notify({ _tag: "Retry", modelVersion, error: a.error, retry: retry + 1, maxRetries, waitMs })
              yield* Effect.sleep(Duration.millis(waitMs))
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

    /** Decodes a reply and checks that it has exactly the `n` choices asked for. */
    const decodeReply = (read: ReadReply, n: number) =>
      (json: unknown): Effect.Effect<Reply, ModelError> =>
        read(json).pipe(
          Effect.mapError((e) => fail("bad_response", `unexpected reply shape: ${e.message.slice(0, 300)}`)),
          Effect.flatMap((reply) =>
            reply.choices.length === n
              ? Effect.succeed(reply)
              : Effect.fail(fail("bad_response", `asked for ${n} completion${n === 1 ? "" : "s"}, the server returned ${reply.choices.length}`))
          )
        )

    /**
     * A choice's tokens by llama.cpp's `/tokenize` (at the server's root): of prompt + text, less the
     * prompt's tokens, since a text alone gets a leading-space token; of the text alone for chat
     * (the prompt is the server's template). Undefined when it fails.
     */
    const tokenize = (text: string, prompt: { readonly text: string; readonly tokens: number } | undefined): Effect.Effect<number | undefined> =>
      once(
        (base) => `${base.replace(/\/v1$/, "")}/tokenize`,
        prompt !== undefined ? { content: prompt.text + text, add_special: true } : { content: text },
        (json) =>
          Schema.decodeUnknown(Schema.Struct({ tokens: Schema.Array(Schema.Unknown) }))(json).pipe(
            Effect.map((r) => Math.max(0, r.tokens.length - (prompt?.tokens ?? 0))),
            Effect.mapError((e) => fail("bad_response", e.message))
          )
      ).pipe(Effect.option, Effect.map(Option.getOrUndefined))

    /** Per-choice completion tokens, and how each was counted (see TokensCountedBy). */
    const countTokens = (reply: Reply, sorted: ReadonlyArray<Choice>, prompt: string | undefined) => {
      const total = reply.completionTokens
      const prefix = prompt !== undefined && reply.promptTokens > 0 ? { text: prompt, tokens: reply.promptTokens } : undefined
      const split = total !== undefined ? splitTokens(total, sorted.map((c) => c.text)) : undefined
      return Effect.forEach(sorted, (c, i): Effect.Effect<{ readonly tokens: number; readonly by: TokensCountedBy }> => {
        if (c.logprobs !== undefined) return Effect.succeed({ tokens: c.logprobs.length, by: "logprobs" })
        if (total !== undefined && (sorted.length === 1 || (reply.usageOfFirstChoiceOnly && c === reply.choices[0]))) {
          return Effect.succeed({ tokens: total, by: "usage" })
        }
        if (reply.usageOfFirstChoiceOnly) {
          return Effect.map(tokenize(c.text, prefix), (t) => (t !== undefined ? { tokens: t, by: "tokenize" } : { tokens: estimateTokens(c.text), by: "estimate" }))
        }
        if (split !== undefined) return Effect.succeed({ tokens: split[i]!, by: "usage-split" })
        return Effect.succeed({ tokens: estimateTokens(c.text), by: "estimate" })
      }, { concurrency: "unbounded" })
    }

    /** One request for `o.n` completions. */
    const request = (path: string, payload: Record<string, unknown>, o: SamplingOptions, read: ReadReply) =>
      withRetries(once((base) => base + path, { ...payload, ...samplingBody(o, read === readChatReply) }, decodeReply(read, o.n))).pipe(
        Effect.flatMap((reply) => {
          const sorted = [...reply.choices].sort((a, b) => a.index - b.index)
          return Effect.map(countTokens(reply, sorted, typeof payload.prompt === "string" ? payload.prompt : undefined), (counts) =>
            sorted.map((c, i) =>
              new Completion({
                text: c.text,
                finishReason: c.finishReason,
                promptTokens: reply.promptTokens,
                completionTokens: counts[i]!.tokens,
                tokensCountedBy: counts[i]!.by,
                ...(o.logprobs && c.logprobs !== undefined ? { logprobs: c.logprobs } : {})
              })
            )
          )
        })
      )

    /**
     * `o.n` completions, in one request unless the server limits completions per request: then in
     * requests of at most its limit, sample i keeping seed + i (llama.cpp seeds the choices of one
     * request seed, seed + 1, ...), so the samples are those one request would have given.
     */
    const sample = (path: string, payload: Record<string, unknown>, o: SamplingOptions, read: ReadReply) => {
      const inChunks = (limit: number) =>
        Effect.forEach(
          chunks(o.n, limit),
          (chunk) =>
            request(path, payload, new SamplingOptions({ ...o, n: chunk.n, ...(o.seed !== undefined ? { seed: o.seed + chunk.start } : {}) }), read)
              .pipe(Effect.catchTag("ChoicesLimit", (e) => Effect.fail(e.error))),
          { concurrency: "unbounded" }
        ).pipe(Effect.map((parts) => parts.flat()))
      const split = (limit: number) =>
        notify({ _tag: "Split", modelVersion, limit, n: o.n }).pipe(Effect.zipRight(inChunks(limit)))
      return Effect.suspend(() => {
        if (choicesLimit !== undefined && o.n > choicesLimit) return inChunks(choicesLimit)
        return request(path, payload, o, read).pipe(
          Effect.catchTag("ChoicesLimit", (e) => {
            if (e.limit < 1 || e.limit >= o.n) return Effect.fail(e.error)
            choicesLimit = e.limit
            return split(e.limit)
          })
        )
      })
    }

    const complete = (prompt: string, o: SamplingOptions) =>
      sample("/completions", { prompt }, o, readCompletionReply).pipe(
        Effect.withSpan("OpenAiCompatible.complete", { attributes: { modelVersion, n: o.n } })
      )

    const chat = (messages: ReadonlyArray<ChatMessage>, o: SamplingOptions) =>
      sample(
        "/chat/completions",
        { messages: messages.map((m) => ({ role: m.role, content: m.content })) },
        o,
        readChatReply
      ).pipe(Effect.withSpan("OpenAiCompatible.chat", { attributes: { modelVersion, n: o.n } }))

    return { modelVersion, complete, chat } satisfies LanguageModelService
  })

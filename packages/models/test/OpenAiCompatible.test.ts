import { describe, expect, it } from "@effect/vitest"
import { TestDatabase } from "@o1coder/store"
import { ModelCallsRepo } from "@o1coder/store/ModelCallsRepo"
import { Effect, Layer, Redacted } from "effect"
import { SamplingOptions } from "../src/LanguageModel.ts"
import * as OpenAiCompatible from "../src/OpenAiCompatible.ts"
import * as RecordReplay from "../src/RecordReplay.ts"
import { FakeOpenAiServer } from "../src/testing/index.ts"

const fast = { baseBackoff: "5 millis", maxBackoff: "50 millis", maxRetries: 2, timeout: "2 seconds" } as const

const backend = (server: FakeOpenAiServer.FakeOpenAiServer, extra: Partial<OpenAiCompatible.OpenAiOptions> = {}) =>
  OpenAiCompatible.make({ endpoints: [{ baseUrl: server.baseUrl, model: "tiny-coder" }], ...fast, ...extra })

describe("OpenAI-compatible backend against a fake server on 127.0.0.1", () => {
  it.scoped("sends n = k in one /completions request with every sampling field and decodes the choices", () =>
    Effect.gen(function* () {
      const server = yield* FakeOpenAiServer.make()
      const model = yield* OpenAiCompatible.make({
        endpoints: [{ baseUrl: server.baseUrl, model: "tiny-coder", apiKey: Redacted.make("sk-test") }],
        ...fast
      })
      const options = new SamplingOptions({ n: 3, stop: ["\n### Step"], temperature: 0.7, topP: 0.9, topK: 20, maxTokens: 64, seed: 11, logprobs: true })
      const out = yield* model.complete("### Step 1 [", options)
      expect(out.map((c) => c.text)).toEqual([0, 1, 2].map((i) => FakeOpenAiServer.defaultText("### Step 1 [", i, 3)))
      expect(out[0]!.finishReason).toBe("stop")
      expect(out[0]!.logprobs?.length).toBeGreaterThan(0)
      expect(out.reduce((a, c) => a + c.completionTokens, 0)).toBeGreaterThan(0)
      const requests = server.requests()
      expect(requests).toHaveLength(1)
      expect(requests[0]!.path).toBe("/v1/completions")
      expect(requests[0]!.headers.authorization).toBe("Bearer sk-test")
      expect(requests[0]!.body).toEqual({
        model: "tiny-coder",
        prompt: "### Step 1 [",
        n: 3,
        stop: ["\n### Step"],
        temperature: 0.7,
        top_p: 0.9,
        top_k: 20,
        max_tokens: 64,
        seed: 11,
        logprobs: 1
      })
      expect(model.modelVersion).toBe("openai:tiny-coder")
    })
  )

  it.scoped("sends chat messages to /chat/completions; hosted mode drops vLLM extras; include_stop_str_in_output passes", () =>
    Effect.gen(function* () {
      const server = yield* FakeOpenAiServer.make()
      const hosted = yield* backend(server, { vllmExtras: false })
      const out = yield* hosted.chat([{ role: "user", content: "hello" } as any], new SamplingOptions({ n: 2 }))
      expect(out).toHaveLength(2)
      const body = server.requests()[0]!.body
      expect(server.requests()[0]!.path).toBe("/v1/chat/completions")
      expect(body.messages).toEqual([{ role: "user", content: "hello" }])
      expect(body.n).toBe(2)
      expect(body.top_k).toBeUndefined()
      expect(body.stop).toBeUndefined()
      expect(body.seed).toBeUndefined()
      const vllm = yield* backend(server, { includeStopStrInOutput: true })
      yield* vllm.complete("x", new SamplingOptions({}))
      expect(server.requests()[1]!.body.include_stop_str_in_output).toBe(true)
      expect(server.requests()[1]!.body.top_k).toBe(40)
    })
  )

  it.live("retries a 429 after its Retry-After and then succeeds", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const server = yield* FakeOpenAiServer.make()
        server.script({ status: 429, body: { error: "slow down" }, headers: { "retry-after": "0" } })
        const model = yield* backend(server)
        const out = yield* model.complete("p", new SamplingOptions({ n: 1 }))
        expect(out).toHaveLength(1)
        expect(server.requests()).toHaveLength(2)
        expect(OpenAiCompatible.parseRetryAfter("2")).toBe(2000)
        // The wait honours Retry-After over a shorter backoff, and backoff grows exponentially.
        const base = { jitter: 1, baseMs: 100, maxMs: 10_000 }
        expect(OpenAiCompatible.retryDelayMs({ ...base, retry: 0, retryAfterMs: 2000 })).toBe(2000)
        expect([0, 1, 2, 3].map((retry) => OpenAiCompatible.retryDelayMs({ ...base, retry }))).toEqual([100, 200, 400, 800])
        expect(OpenAiCompatible.retryDelayMs({ ...base, retry: 20 })).toBe(10_000)
        expect(OpenAiCompatible.retryDelayMs({ ...base, retry: 0, retryAfterMs: 3_600_000 })).toBe(40_000)
        expect(OpenAiCompatible.parseRetryAfter(new Date(10_000).toUTCString(), 4_000)).toBe(6000)
      })
    )
  )

  it.live("gives up on repeated 500s after the retry bound with a typed server_error", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const server = yield* FakeOpenAiServer.make()
        server.setDefault(() => ({ status: 500, body: { error: "boom" } }))
        const model = yield* backend(server)
        const error = yield* model.complete("p", new SamplingOptions({})).pipe(Effect.flip)
        expect(error._tag).toBe("ModelError")
        expect(error.kind).toBe("server_error")
        expect(error.status).toBe(500)
        expect(error.attempts).toBe(3)
        expect(server.requests()).toHaveLength(3)
      })
    )
  )

  it.live("a slow reply times out without retry; malformed JSON is a bad_response; context errors are typed", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const server = yield* FakeOpenAiServer.make()
        const model = yield* backend(server, { timeout: "200 millis" })
        server.script({ delayMs: 1500 })
        const slow = yield* model.complete("p", new SamplingOptions({})).pipe(Effect.flip)
        expect(slow.kind).toBe("timeout")
        expect(server.requests()).toHaveLength(1)

        server.reset()
        server.script({ raw: "{ not json" })
        const malformed = yield* model.complete("p", new SamplingOptions({})).pipe(Effect.flip)
        expect(malformed.kind).toBe("bad_response")
        expect(server.requests()).toHaveLength(1)

        server.reset()
        server.script({ body: { choices: [{ no_text: true }] } })
        const shape = yield* model.complete("p", new SamplingOptions({})).pipe(Effect.flip)
        expect(shape.kind).toBe("bad_response")

        server.reset()
        server.script({ status: 400, body: { error: { message: "This model's maximum context length is 4096 tokens" } } })
        const long = yield* model.complete("p", new SamplingOptions({})).pipe(Effect.flip)
        expect(long.kind).toBe("context_too_long")
        expect(server.requests()).toHaveLength(1)
      })
    )
  )

  it.live("an unreachable endpoint is retried up to the bound, then fails as unreachable", () =>
    Effect.gen(function* () {
      // A port that was just closed: connection refused.
      const port = yield* Effect.scoped(Effect.map(FakeOpenAiServer.make(), (s) => s.port))
      const model = yield* OpenAiCompatible.make({ endpoints: [{ baseUrl: `http://127.0.0.1:${port}/v1`, model: "m" }], ...fast })
      const error = yield* model.complete("p", new SamplingOptions({})).pipe(Effect.flip)
      expect(error.kind).toBe("unreachable")
      expect(error.attempts).toBe(3)
    })
  )

  it.live("limits concurrency per endpoint and balances over endpoints (least busy)", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const a = yield* FakeOpenAiServer.make()
        const b = yield* FakeOpenAiServer.make()
        for (const s of [a, b]) s.setDefault((r) => ({ ...FakeOpenAiServer.echoResponder(r), delayMs: 100 }))
        const model = yield* OpenAiCompatible.make({
          endpoints: [
            { baseUrl: a.baseUrl, model: "m", maxConcurrency: 2 },
            { baseUrl: b.baseUrl, model: "m", maxConcurrency: 2 }
          ],
          ...fast
        })
        yield* Effect.forEach(Array.from({ length: 8 }, (_, i) => i), (i) => model.complete(`p${i}`, new SamplingOptions({})), {
          concurrency: "unbounded"
        })
        expect(a.requests().length + b.requests().length).toBe(8)
        expect(a.requests().length).toBeGreaterThanOrEqual(3)
        expect(b.requests().length).toBeGreaterThanOrEqual(3)
        expect(a.maxInFlight()).toBeLessThanOrEqual(2)
        expect(b.maxInFlight()).toBeLessThanOrEqual(2)
      })
    )
  )
})

describe("record/replay over the HTTP backend", () => {
    it.live("records nothing for a failed call and serves a repeated call from the store", () =>
      Effect.scoped(
        Effect.gen(function* () {
          const repo = yield* ModelCallsRepo
          const server = yield* FakeOpenAiServer.make()
          const model = yield* RecordReplay.wrap(yield* backend(server), { role: "policy", runId: "run-http" })
          server.script({ status: 500 }, { status: 500 }, { status: 500 })
          const options = new SamplingOptions({ n: 2, stop: ["\n"], seed: 1 })
          const error = yield* model.complete("prompt", options).pipe(Effect.flip)
          expect(error.kind).toBe("server_error")
          expect(yield* repo.count({ runId: "run-http" })).toBe(0)

          const first = yield* model.complete("prompt", options)
          const requestsAfterFirst = server.requests().length
          const second = yield* model.complete("prompt", options)
          expect(server.requests().length).toBe(requestsAfterFirst)
          expect(second.map((c) => c.text)).toEqual(first.map((c) => c.text))
          expect(second.every((c) => c.cached)).toBe(true)
          expect(yield* repo.count({ runId: "run-http" })).toBe(2)
        })
      ).pipe(Effect.provide(Layer.provideMerge(ModelCallsRepo.Default, TestDatabase.pglite)))
    )
})

/** A llama.cpp-shaped reply: `timings` present, usage of the first choice only, logprobs as content[]. */
const llamaCppReply = (texts: ReadonlyArray<string>, o: { readonly usage: number; readonly logprobs?: boolean }) => ({
  choices: texts.map((text, index) => ({
    text,
    index,
    finish_reason: "length",
    logprobs: o.logprobs
      ? { content: text.split(" ").map((token, id) => ({ id, token, bytes: [], logprob: -1.5, top_logprobs: [{ id, token, bytes: [], logprob: -1.5 }] })) }
      : null
  })),
  usage: { completion_tokens: o.usage, prompt_tokens: 7, total_tokens: 7 + o.usage },
  timings: { predicted_n: o.usage },
  object: "text_completion"
})

describe("reply shapes and failures of real servers (llama.cpp, vLLM, SGLang, OpenAI)", () => {
  it.scoped("llama.cpp: the first choice's tokens from usage, the others from /tokenize; content[] logprobs decoded", () =>
    Effect.gen(function* () {
      const server = yield* FakeOpenAiServer.make()
      const texts = ["a b c d", "e f", "g h i"]
      server.setDefault((r) =>
        // Like llama.cpp: prompt + text with add_special, the prompt's 7 tokens included.
        r.path === "/tokenize"
          ? { body: { tokens: Array.from({ length: 7 + String(r.body.content).slice(1).split(" ").length }, (_, i) => i) } }
          : { body: llamaCppReply(texts, { usage: 40, logprobs: r.body.logprobs === 1 }) }
      )
      const model = yield* backend(server)
      const plain = yield* model.complete("p", new SamplingOptions({ n: 3 }))
      expect(plain.map((c) => [c.completionTokens, c.tokensCountedBy])).toEqual([[40, "usage"], [2, "tokenize"], [3, "tokenize"]])
      const tokenized = server.requests().filter((r) => r.path === "/tokenize")
      expect(tokenized.map((r) => [r.body.content, r.body.add_special]).sort()).toEqual([["pe f", true], ["pg h i", true]])

      server.reset()
      const withLogprobs = yield* model.complete("p", new SamplingOptions({ n: 3, logprobs: true }))
      expect(withLogprobs.map((c) => [c.completionTokens, c.tokensCountedBy])).toEqual([[4, "logprobs"], [2, "logprobs"], [3, "logprobs"]])
      expect(withLogprobs[1]!.logprobs).toEqual([{ token: "e", logprob: -1.5 }, { token: "f", logprob: -1.5 }])
      expect(server.requests().map((r) => r.path)).toEqual(["/v1/completions"])
    })
  )

  it.scoped("vLLM: usage covers every choice (split by text length); OpenAI legacy logprobs; n = 1 is the usage itself", () =>
    Effect.gen(function* () {
      const server = yield* FakeOpenAiServer.make()
      const model = yield* backend(server)
      const out = yield* model.complete("prompt", new SamplingOptions({ n: 3 }))
      expect(out.reduce((s, c) => s + c.completionTokens, 0)).toBe(18)
      expect(out.every((c) => c.tokensCountedBy === "usage-split")).toBe(true)
      const legacy = yield* model.complete("prompt", new SamplingOptions({ n: 2, logprobs: true }))
      expect(legacy.map((c) => c.tokensCountedBy)).toEqual(["logprobs", "logprobs"])
      expect(legacy[0]!.logprobs!.length).toBe(legacy[0]!.completionTokens)
      const one = yield* model.complete("prompt", new SamplingOptions({ n: 1 }))
      expect([one[0]!.completionTokens, one[0]!.tokensCountedBy]).toEqual([6, "usage"])
    })
  )

  it.scoped("fewer or more choices than n is a bad_response naming both counts, not retried", () =>
    Effect.gen(function* () {
      const server = yield* FakeOpenAiServer.make()
      const model = yield* backend(server)
      const short = FakeOpenAiServer.echoResponder
      server.script((r) => {
        const reply = short(r).body as { choices: Array<unknown> }
        return { body: { ...reply, choices: reply.choices.slice(0, 1) } }
      }, { body: { choices: [] } })
      const one = yield* model.complete("p", new SamplingOptions({ n: 3 })).pipe(Effect.flip)
      expect([one.kind, one.reason, one.attempts]).toEqual(["bad_response", "asked for 3 completions, the server returned 1", 1])
      const none = yield* model.complete("p", new SamplingOptions({ n: 2 })).pipe(Effect.flip)
      expect(none.reason).toBe("asked for 2 completions, the server returned 0")
      expect(server.requests()).toHaveLength(2)
    })
  )

  it("recognises the context-overflow replies of llama.cpp, vLLM, SGLang and OpenAI", () => {
    const overflows = [
      `{"error":{"code":400,"message":"request (2051 tokens) exceeds the available context size (2048 tokens), try increasing it","type":"exceed_context_size_error","n_prompt_tokens":2051,"n_ctx":2048}}`,
      `{"error":{"code":400,"message":"input (3000 tokens) is larger than the max context size (2048 tokens). skipping","type":"exceed_context_size_error"}}`,
      `{"object":"error","message":"This model's maximum context length is 4096 tokens. However, you requested 4600 tokens (4088 in the messages, 512 in the completion).","type":"BadRequestError","code":400}`,
      `{"object":"error","message":"'max_tokens' or 'max_completion_tokens' is too large: 512. This model's maximum context length is 2048 tokens and your request has 1600 input tokens (512 > 2048 - 1600).","type":"BadRequestError"}`,
      `{"message":"Input prompt (2501 tokens) is too long and exceeds limit of 2048"}`,
      `{"object":"error","message":"Requested token count exceeds the model's maximum context length of 4096 tokens. You requested a total of 4600 tokens: 4088 tokens from the input messages and 512 tokens for the completion.","type":"BadRequestError","code":400}`,
      `{"object":"error","message":"The input (5000 tokens) is longer than the model's context length (4096 tokens).","code":400}`,
      `{"error":{"message":"This model's maximum context length is 8192 tokens. However, your messages resulted in 9000 tokens.","type":"invalid_request_error","param":"messages","code":"context_length_exceeded"}}`
    ]
    for (const text of overflows) expect(OpenAiCompatible.isContextOverflow(text), text).toBe(true)
    for (const text of [`{"error":"invalid api key"}`, `{"error":{"message":"Field 'n': Value must be between 1 <= value <= 4, but got 5"}}`]) {
      expect(OpenAiCompatible.isContextOverflow(text), text).toBe(false)
    }
  })

  it.scoped("n above llama.cpp's slots: split into requests of its limit with seeds seed + start, one notice, later calls split up front", () =>
    Effect.gen(function* () {
      const server = yield* FakeOpenAiServer.make()
      const limitError = { error: { code: 400, message: "Field 'n': Value must be between 1 <= value <= 4, but got 6", type: "invalid_request_error" } }
      server.setDefault((r) => (r.body.n > 4 ? { status: 400, body: limitError } : FakeOpenAiServer.echoResponder(r)))
      const notices: Array<OpenAiCompatible.Notice> = []
      const model = yield* backend(server, { onNotice: (n) => Effect.sync(() => void notices.push(n)) })
      const out = yield* model.complete("p", new SamplingOptions({ n: 6, seed: 100 }))
      expect(out).toHaveLength(6)
      expect(server.requests().map((r) => [r.body.n, r.body.seed])).toEqual([[6, 100], [4, 100], [2, 104]])
      expect(notices.map((n) => n._tag)).toEqual(["Split"])
      expect(OpenAiCompatible.formatNotice(notices[0]!)).toContain("at most 4 completions per request")
      server.reset()
      yield* model.complete("q", new SamplingOptions({ n: 5, seed: 7 }))
      expect(server.requests().map((r) => [r.body.n, r.body.seed])).toEqual([[4, 7], [1, 11]])
    })
  )

  it.live("each retry is a notice, and the final error counts the attempts", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const server = yield* FakeOpenAiServer.make()
        server.setDefault(() => ({ status: 503, body: { error: { message: "Loading model", type: "unavailable_error" } } }))
        const notices: Array<OpenAiCompatible.Notice> = []
        const model = yield* backend(server, { onNotice: (n) => Effect.sync(() => void notices.push(n)) })
        const error = yield* model.complete("p", new SamplingOptions({})).pipe(Effect.flip)
        expect(notices.map((n) => (n._tag === "Retry" ? [n.retry, n.maxRetries, n.error.status] : []))).toEqual([[1, 2, 503], [2, 2, 503]])
        expect(OpenAiCompatible.formatNotice(notices[0]!)).toMatch(/^openai:tiny-coder: server_error HTTP 503, retry 1\/2 in \d+\.\d s$/)
        expect(error.message).toMatch(/server_error: HTTP 503: .*Loading model.* \(3 attempts\)$/)
      })
    )
  )
})

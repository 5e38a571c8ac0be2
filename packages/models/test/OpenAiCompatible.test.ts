import { describe, expect, it } from "@effect/vitest"
import { TestDatabase } from "@o1coder/store"
import { ModelCallsRepo } from "@o1coder/store/ModelCallsRepo"
import { Effect, Layer, Redacted } from "effect"
import { SamplingOptions } from "../src/LanguageModel.ts"
import * as OpenAiCompatible from "../src/OpenAiCompatible.ts"
import * as RecordReplay from "../src/RecordReplay.ts"
import * as FakeOpenAiServer from "../src/testing/FakeOpenAiServer.ts"

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

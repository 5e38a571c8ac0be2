import * as SqlClient from "@effect/sql/SqlClient"
import { describe, expect, it } from "@effect/vitest"
import { TestDatabase } from "@o1coder/store"
import { ModelCallsRepo } from "@o1coder/store/ModelCallsRepo"
import { Deferred, Effect, Layer } from "effect"
import type { LanguageModelService } from "../src/LanguageModel.ts"
import { Completion, ModelError, SamplingOptions } from "../src/LanguageModel.ts"
import * as ModelSpecs from "../src/ModelSpecs.ts"
import * as RecordReplay from "../src/RecordReplay.ts"

/** A backend double that counts calls and numbers its samples. */
const counting = (modelVersion = "fake@1") => {
  const calls: Array<{ prompt: string; n: number }> = []
  const seeds: Array<number | undefined> = []
  let failNext = false
  const service: LanguageModelService = {
    modelVersion,
    complete: (prompt, o) =>
      Effect.suspend(() => {
        calls.push({ prompt, n: o.n })
        seeds.push(o.seed)
        if (failNext) {
          failNext = false
          return Effect.fail(new ModelError({ kind: "server_error", reason: "scripted", modelVersion }))
        }
        return Effect.succeed(
          Array.from({ length: o.n }, (_, i) =>
            new Completion({
              text: `${prompt}#${o.seed !== undefined ? `seed ${o.seed + i}` : `${calls.length}.${i}`}`,
              finishReason: "stop",
              promptTokens: 5,
              completionTokens: 3,
              tokensCountedBy: "usage"
            })
          )
        )
      }),
    chat: (messages, o) => service.complete(messages.map((m) => m.content).join("|"), o)
  }
  return { service, calls, seeds, failOnce: () => (failNext = true) }
}

for (const backend of TestDatabase.backends) {
  describe(`record/replay on ${backend.name}`, () => {
    it.layer(Layer.provideMerge(Layer.fresh(ModelCallsRepo.Default), backend.layer), { timeout: 120_000 })((it) => {
      it.effect("serves the second identical call from the store with zero backend calls", () =>
        Effect.gen(function* () {
          const fake = counting()
          const model = yield* RecordReplay.wrap(fake.service, { role: "policy", runId: "r1" })
          const options = new SamplingOptions({ n: 3, stop: ["\n### Step"], seed: 7 })
          const first = yield* model.complete("prompt A", options)
          const second = yield* model.complete("prompt A", options)
          expect(fake.calls).toEqual([{ prompt: "prompt A", n: 3 }])
          expect(second.map((c) => c.text)).toEqual(first.map((c) => c.text))
          expect(first.some((c) => c.cached)).toBe(false)
          expect(second.every((c) => c.cached)).toBe(true)

          // Different sampling parameters are a different call.
          yield* model.complete("prompt A", new SamplingOptions({ n: 3, stop: ["\n### Step"], seed: 8 }))
          expect(fake.calls).toHaveLength(2)

          const sql = yield* SqlClient.SqlClient
          const cost = yield* sql<{ samples: number; prompt_tokens: number; completion_tokens: number; cache_hits: number }>`
            select samples, prompt_tokens, completion_tokens, cache_hits from model_cost where run_id = 'r1'`
          // The prompt's tokens count once per backend request, not once per sample.
          expect(cost[0]).toEqual({ samples: 6, prompt_tokens: 10, completion_tokens: 18, cache_hits: 3 })
        })
      )

      it.effect("asks the backend only for missing samples when n grows", () =>
        Effect.gen(function* () {
          const fake = counting()
          const model = yield* RecordReplay.wrap(fake.service, {})
          const two = yield* model.complete("prompt B", new SamplingOptions({ n: 2 }))
          const five = yield* model.complete("prompt B", new SamplingOptions({ n: 5 }))
          expect(fake.calls).toEqual([{ prompt: "prompt B", n: 2 }, { prompt: "prompt B", n: 3 }])
          expect(five.slice(0, 2).map((c) => c.text)).toEqual(two.map((c) => c.text))
          expect(five.map((c) => c.cached)).toEqual([true, true, false, false, false])
          const chat = yield* model.chat([{ role: "user", content: "hi" } as any], new SamplingOptions({ n: 1 }))
          const again = yield* model.chat([{ role: "user", content: "hi" } as any], new SamplingOptions({ n: 1 }))
          expect(again[0]!.text).toBe(chat[0]!.text)
          expect(fake.calls).toHaveLength(3)
        })
      )

      it.effect("a top-up asks for new samples: sample i has seed + i, recorded with how its tokens were counted", () =>
        Effect.gen(function* () {
          const fake = counting("fake@seeds")
          const model = yield* RecordReplay.wrap(fake.service, {})
          const three = yield* model.complete("prompt S", new SamplingOptions({ n: 3, seed: 42 }))
          const five = yield* model.complete("prompt S", new SamplingOptions({ n: 5, seed: 42 }))
          expect(fake.calls).toEqual([{ prompt: "prompt S", n: 3 }, { prompt: "prompt S", n: 2 }])
          expect(fake.seeds).toEqual([42, 45])
          expect(five.slice(0, 3).map((c) => c.text)).toEqual(three.map((c) => c.text))
          expect(new Set(five.map((c) => c.text)).size).toBe(5)
          const sql = yield* SqlClient.SqlClient
          const rows = yield* sql<{ sample_index: number; seed: number; tokens_counted_by: string }>`
            select sample_index, seed::int as seed, tokens_counted_by from model_calls where model_version = 'fake@seeds' order by sample_index`
          expect(rows.map((r) => [r.sample_index, r.seed, r.tokens_counted_by])).toEqual([0, 1, 2, 3, 4].map((i) => [i, 42 + i, "usage"]))
        })
      )

      it.effect("records nothing for a failed call; replay-only fails clearly on a miss; off passes through", () =>
        Effect.gen(function* () {
          const repo = yield* ModelCallsRepo
          const fake = counting("fake@fail")
          const model = yield* RecordReplay.wrap(fake.service, {})
          fake.failOnce()
          const error = yield* model.complete("prompt C", new SamplingOptions({ n: 2 })).pipe(Effect.flip)
          expect(error.kind).toBe("server_error")
          expect(yield* repo.count({ modelVersion: "fake@fail" })).toBe(0)

          const replayOnly = yield* RecordReplay.wrap(fake.service, { mode: "replay-only" })
          const miss = yield* replayOnly.complete("never recorded", new SamplingOptions({ n: 2 })).pipe(Effect.flip)
          expect(miss.kind).toBe("replay_miss")
          expect(miss.message).toContain("2 of 2 samples are not recorded")
          expect(fake.calls).toHaveLength(1)

          const off = yield* RecordReplay.wrap(fake.service, { mode: "off" })
          yield* off.complete("prompt D", new SamplingOptions({}))
          yield* off.complete("prompt D", new SamplingOptions({}))
          expect(fake.calls).toHaveLength(3)
          expect(yield* repo.count({ modelVersion: "fake@fail" })).toBe(0)
        })
      )

      it.effect("two concurrent identical calls both answer what the store holds (first recorded wins)", () =>
        Effect.gen(function* () {
          const bothStarted = yield* Deferred.make<void>()
          let started = 0
          let answered = 0
          const racing: LanguageModelService = {
            modelVersion: "fake@race",
            complete: (prompt, o) =>
              Effect.gen(function* () {
                if (++started === 2) yield* Deferred.succeed(bothStarted, undefined)
                yield* Deferred.await(bothStarted)
                const call = ++answered
                return Array.from({ length: o.n }, (_, i) =>
                  new Completion({ text: `${prompt} answer ${call}.${i}`, finishReason: "stop", promptTokens: 1, completionTokens: 1 })
                )
              }),
            chat: () => Effect.die("unused")
          }
          const model = yield* RecordReplay.wrap(racing, {})
          const options = new SamplingOptions({ n: 2 })
          const [a, b] = yield* Effect.all([model.complete("same", options), model.complete("same", options)], { concurrency: 2 })
          expect(started).toBe(2)
          expect(a!.map((c) => c.text)).toEqual(b!.map((c) => c.text))
          const replayed = yield* model.complete("same", options)
          expect(replayed.map((c) => c.text)).toEqual(a!.map((c) => c.text))
        })
      )

      it.scoped("replay:<run> replays a run's recorded calls without any backend", () =>
        Effect.gen(function* () {
          const fake = counting("fake@run")
          const recorder = yield* RecordReplay.wrap(fake.service, { role: "policy", runId: "run-42" })
          const options = new SamplingOptions({ n: 2, seed: 3 })
          const recorded = yield* recorder.complete("prompt E", options)
          const replay = yield* ModelSpecs.make("replay:run-42", { role: "policy" })
          expect(replay.modelVersion).toBe("fake@run")
          const replayed = yield* replay.complete("prompt E", options)
          expect(replayed.map((c) => c.text)).toEqual(recorded.map((c) => c.text))
          const miss = yield* replay.complete("prompt F", options).pipe(Effect.flip)
          expect(miss.kind).toBe("replay_miss")
          const none = yield* ModelSpecs.make("replay:no-such-run").pipe(Effect.flip)
          expect(none.kind).toBe("replay_miss")
          expect(fake.calls).toHaveLength(1)
        })
      )
    })
  })
}

describe("model spec strings", () => {
  it("parses every kind and rejects bad ones", () => {
    const right = (s: string) => {
      const r = ModelSpecs.parse(s)
      if (r._tag === "Left") throw r.left
      return r.right
    }
    expect(right("openai:http://a:8000/v1,http://b:8000/v1#Qwen2.5-Coder-7B-Instruct")).toEqual({
      _tag: "openai",
      baseUrls: ["http://a:8000/v1", "http://b:8000/v1"],
      model: "Qwen2.5-Coder-7B-Instruct"
    })
    expect(right("llama:/m/x.gguf")).toEqual({ _tag: "llama", path: "/m/x.gguf" })
    expect(right("simulated")).toEqual({ _tag: "simulated", paramsPath: undefined })
    expect(right("simulated:/p.json")).toEqual({ _tag: "simulated", paramsPath: "/p.json" })
    expect(right("simulated-tcg:0.3")).toEqual({ _tag: "simulated-tcg", wrongShare: 0.3 })
    expect(right("replay:run-1#openai:m")).toEqual({ _tag: "replay", runId: "run-1", modelVersion: "openai:m" })
    for (const bad of ["openai:http://x/v1", "openai:ftp://x#m", "gpt", "llama:", "simulated-tcg:2", "replay:"]) {
      expect(ModelSpecs.parse(bad)._tag).toBe("Left")
    }
  })
})

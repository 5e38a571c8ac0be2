import * as SqlClient from "@effect/sql/SqlClient"
import { describe, expect, layer } from "@effect/vitest"
import { STEP_STOP, stepHeaderPrefix } from "@o1coder/domain"
import * as OpenAiCompatible from "@o1coder/models/OpenAiCompatible"
import * as RecordReplay from "@o1coder/models/RecordReplay"
import { FakeOpenAiServer } from "@o1coder/models/testing"
import { Reward } from "@o1coder/reward/Reward"
import { ModelCallsRepo } from "@o1coder/store/ModelCallsRepo"
import { ProblemsRepo } from "@o1coder/store/ProblemsRepo"
import { SearchRepo } from "@o1coder/store/SearchRepo"
import * as TestDatabase from "@o1coder/store/TestDatabase"
import { Effect, Layer } from "effect"
import { renderPrompt } from "@o1coder/domain"
import { Search } from "../src/Search.ts"
import { SearchConfig } from "../src/SearchConfig.ts"
import { fromRows, pathSteps } from "../src/Tree.ts"
import { fakeSandbox, problem, scriptedStep } from "./fixtures.ts"

const testLayer = Layer.fresh(Search.Default).pipe(
  Layer.provideMerge(Layer.mergeAll(Layer.fresh(SearchRepo.Default), Layer.fresh(ProblemsRepo.Default), Layer.fresh(ModelCallsRepo.Default), fakeSandbox(), Reward.Default)),
  Layer.provideMerge(TestDatabase.pglite)
)

/** Completions in the step format, from the fake policy's script. */
const stepResponder: FakeOpenAiServer.Responder = (request) => {
  const n: number = request.body.n ?? 1
  const choices = Array.from({ length: n }, (_, index) => ({ index, text: scriptedStep(request.body.prompt, request.body.seed, index), finish_reason: "stop" }))
  return { body: { id: "x", object: "text_completion", created: 0, model: request.body.model, choices, usage: { prompt_tokens: 100, completion_tokens: 10 * n } } }
}

describe("search against an OpenAI-compatible server", () => {
  // Real sockets and time: no TestClock.
  layer(testLayer, { timeout: 60_000, excludeTestServices: true })((it) => {
    it.effect("sends one /completions request with n = k per expansion, with the exact byte-identical prefix", () =>
      Effect.gen(function* () {
        const server = yield* FakeOpenAiServer.make({ responder: stepResponder })
        const backend = yield* OpenAiCompatible.make({ endpoints: [{ baseUrl: server.baseUrl, model: "fake-policy" }], baseBackoff: "10 millis" })
        const policy = yield* RecordReplay.wrap(backend, { role: "policy" })
        const p = problem(31)
        yield* (yield* ProblemsRepo).upsert(p)
        const config = new SearchConfig({ rollouts: 6, maxDepth: 4, width: 3, seed: 9 })
        const outcome = yield* (yield* Search).run({ problem: p, suite: { id: null, tests: p.visibleTests }, policy, config })
        const requests = server.requests()
        const rows = yield* (yield* SearchRepo).nodes(outcome.searchId)
        const { all } = fromRows(rows)
        const expanded = all.filter((n) => n.children.length > 0)
        expect(requests).toHaveLength(expanded.length)
        expect(outcome.modelCalls).toBe(expanded.length)
        for (const r of requests) {
          expect(r.path).toMatch(/\/v1\/completions$/)
          expect(r.body.n).toBe(3)
          expect(r.body.stop).toEqual([STEP_STOP])
          expect(r.body.temperature).toBe(0.8)
          expect(r.body.top_p).toBe(0.95)
          expect(r.body.top_k).toBe(40)
          expect(r.body.model).toBe("fake-policy")
        }
        // each expanded node's prompt is rendered from its path, and a parent's prompt is a prefix of its children's
        const expected = expanded.map((n) => renderPrompt(p, pathSteps(n)))
        expect(requests.map((r) => r.body.prompt).sort()).toEqual([...expected].sort())
        for (const n of expanded) {
          const prompt = renderPrompt(p, pathSteps(n))
          expect(prompt.endsWith(stepHeaderPrefix(n.depth + 1))).toBe(true)
          if (n.parent !== undefined) expect(prompt.startsWith(renderPrompt(p, pathSteps(n.parent)))).toBe(true)
        }
        // the same search from scratch replays every call from the store: no request reaches the server
        yield* (yield* SqlClient.SqlClient)`delete from searches where id = ${outcome.searchId}`
        server.reset()
        const again = yield* (yield* Search).run({ problem: p, suite: { id: null, tests: p.visibleTests }, policy, config })
        expect(server.requests()).toHaveLength(0)
        expect(yield* (yield* SearchRepo).nodes(again.searchId)).toEqual(rows)
      }).pipe(Effect.scoped)
    )

    it.effect("a node whose prompt outgrows the context (llama.cpp's 400) is a stored terminal with reward 0; the search goes on", () =>
      Effect.gen(function* () {
        // Every prompt for step 3 overflows; the 5th request fails the search once (it is continued after).
        const overflow = { error: { code: 400, message: "request (2051 tokens) exceeds the available context size (2048 tokens), try increasing it", type: "exceed_context_size_error" } }
        let failAt: number | undefined = 4
        const overflowPrompts: Array<string> = []
        const server = yield* FakeOpenAiServer.make({
          responder: (r) => {
            if (server.requests().length === failAt) return { status: 400, body: { error: { message: "injected" } } }
            if (!r.body.prompt.endsWith(stepHeaderPrefix(3))) return stepResponder(r)
            overflowPrompts.push(r.body.prompt)
            return { status: 400, body: overflow }
          }
        })
        const backend = yield* OpenAiCompatible.make({ endpoints: [{ baseUrl: server.baseUrl, model: "small-context" }], baseBackoff: "10 millis" })
        const policy = yield* RecordReplay.wrap(backend, { role: "policy" })
        const p = problem(32)
        yield* (yield* ProblemsRepo).upsert(p)
        const input = { problem: p, suite: { id: null, tests: p.visibleTests }, policy, config: new SearchConfig({ rollouts: 8, maxDepth: 4, width: 3, seed: 5 }) }
        const failed = yield* (yield* Search).run(input).pipe(Effect.flip)
        expect(failed.message).toContain("injected")
        failAt = undefined
        const outcome = yield* (yield* Search).run(input)
        expect([outcome.status, outcome.rolloutsDone, outcome.resumed]).toEqual(["completed", 8, true])

        const rows = yield* (yield* SearchRepo).nodes(outcome.searchId)
        const { all } = fromRows(rows)
        const prompts = server.requests().map((r) => r.body.prompt as string)
        const overflowed = all.filter((n) => n.depth === 2 && n.code === null && prompts.includes(renderPrompt(p, pathSteps(n))))
        expect(overflowed.length).toBeGreaterThan(0)
        for (const n of overflowed) expect([n.terminal, n.reward, n.children.length]).toEqual([true, 0, 0])
        expect(all.some((n) => n.depth > 2)).toBe(false)
        // Each overflowing prompt was asked once, across the failure and the continuation: the
        // terminal flag of nodes stored in an earlier iteration is checkpointed too.
        expect(new Set(overflowPrompts).size).toBe(overflowPrompts.length)
        expect(overflowPrompts).toHaveLength(overflowed.length)
        const requestOf = (n: (typeof all)[number]) => prompts.indexOf(renderPrompt(p, pathSteps(n)))
        expect(overflowed.some((n) => requestOf(n) > requestOf(n.parent!) + 1)).toBe(true)
      }).pipe(Effect.scoped)
    )
  })
})

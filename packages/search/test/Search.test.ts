import * as SqlClient from "@effect/sql/SqlClient"
import { describe, expect, it } from "@effect/vitest"
import { ModelError } from "@o1coder/models/LanguageModel"
import type { LanguageModelService } from "@o1coder/models/LanguageModel"
import { Reward } from "@o1coder/reward/Reward"
import { ProblemsRepo } from "@o1coder/store/ProblemsRepo"
import type { NodeRow } from "@o1coder/store/SearchRepo"
import { SearchRepo } from "@o1coder/store/SearchRepo"
import * as TestDatabase from "@o1coder/store/TestDatabase"
import { Effect, Layer } from "effect"
import { Search } from "../src/Search.ts"
import { SearchConfig } from "../src/SearchConfig.ts"
import { fakeSandbox, problem, scriptedPolicy } from "./fixtures.ts"

const sandboxRuns = { runs: 0 }
const layerFor = (db: Layer.Layer<SqlClient.SqlClient, unknown>) =>
  // Layer.fresh: @effect/vitest memoises layers across `it.layer` blocks, and each backend needs its own repositories.
  Layer.fresh(Search.Default).pipe(
    Layer.provideMerge(Layer.mergeAll(Layer.fresh(SearchRepo.Default), Layer.fresh(ProblemsRepo.Default), fakeSandbox(sandboxRuns), Reward.Default)),
    Layer.provideMerge(db)
  )

const suiteOf = (p: ReturnType<typeof problem>) => ({ id: null, tests: p.visibleTests })

/** Fails every call after the first `calls` ones: a search that dies part-way. */
const failingAfter = (policy: LanguageModelService, calls: number): LanguageModelService => {
  let left = calls
  return {
    ...policy,
    complete: (prompt, options) =>
      left-- > 0 ? policy.complete(prompt, options) : Effect.fail(new ModelError({ kind: "unreachable", reason: "down", modelVersion: policy.modelVersion }))
  }
}

/** Fails with context_too_long for every prompt of step `depth` or deeper. */
const overflowingAt = (policy: LanguageModelService, depth: number): LanguageModelService => ({
  ...policy,
  complete: (prompt, options) =>
    Number(prompt.match(/### Step (\d+) \[$/)?.[1] ?? 1) >= depth
      ? Effect.fail(new ModelError({ kind: "context_too_long", reason: "prompt exceeds the context", modelVersion: policy.modelVersion }))
      : policy.complete(prompt, options)
})

const checkShape = (nodes: ReadonlyArray<NodeRow>, config: SearchConfig) => {
  const children = new Map<string, Array<NodeRow>>()
  for (const n of nodes) if (n.parentId !== null) children.set(n.parentId, [...(children.get(n.parentId) ?? []), n])
  const root = nodes.find((n) => n.parentId === null)!
  expect(root.visits).toBe(config.rollouts)
  for (const n of nodes) {
    expect(n.depth).toBeLessThanOrEqual(config.maxDepth)
    const kids = children.get(n.id) ?? []
    if (n.terminal) {
      expect(kids).toHaveLength(0)
      expect(n.reward).not.toBeNull()
      expect(n.valueSum).toBeCloseTo(n.visits * n.reward!, 9)
      if (n.code === null) expect(n.reward).toBe(0)
    } else if (kids.length > 0) {
      expect(kids).toHaveLength(config.width)
      // every backup through an expanded node went through exactly one of its children
      expect(kids.reduce((s, k) => s + k.visits, 0)).toBe(n.visits)
      expect(kids.reduce((s, k) => s + k.valueSum, 0)).toBeCloseTo(n.valueSum, 9)
    }
    if (n.depth === config.maxDepth) expect(n.terminal).toBe(true)
  }
  expect(nodes.length).toBeLessThanOrEqual(1 + config.rollouts * config.maxDepth * config.width)
}

for (const backend of TestDatabase.backends) {
  describe(`search on ${backend.name}`, () => {
    it.layer(layerFor(backend.layer), { timeout: 120_000 })((it) => {
      it.effect("builds a tree whose shape and values match the budgets", () =>
        Effect.gen(function* () {
          const search = yield* Search
          const repo = yield* SearchRepo
          const p = problem(1)
          yield* (yield* ProblemsRepo).upsert(p)
          const calls = { calls: 0 }
          const config = new SearchConfig({ rollouts: 15, maxDepth: 5, width: 3, seed: 11 })
          const outcome = yield* search.run({ problem: p, suite: suiteOf(p), policy: scriptedPolicy(calls), config })
          const nodes = yield* repo.nodes(outcome.searchId)
          checkShape(nodes, config)
          expect(outcome.rolloutsDone).toBe(15)
          expect(outcome.nodes).toBe(nodes.length)
          // one request (n = k) per expanded node
          const expanded = new Set(nodes.map((n) => n.parentId).filter((x) => x !== null))
          expect(calls.calls).toBe(expanded.size)
          expect(outcome.modelCalls).toBe(expanded.size)
          expect(outcome.executions).toBe(nodes.filter((n) => n.code !== null).length)
          const record = yield* repo.get(outcome.searchId)
          expect(record.status).toBe("completed")
          expect(record.bestNodeId).toBe(outcome.answer?.nodeId ?? null)
          // correct code is valued above wrong code
          const correct = nodes.filter((n) => n.code?.includes("CORRECT"))
          const wrong = nodes.filter((n) => n.code?.includes("WRONG"))
          expect(correct.length).toBeGreaterThan(0)
          for (const c of correct) expect(c.reward).toBe(1)
          for (const w of wrong) expect(w.reward).toBe(0)
          expect(outcome.answer?.code).toContain("CORRECT")
          expect(outcome.solved).toBe(true)
          // a second run with the same inputs finds the completed search and does no work
          const again = yield* search.run({ problem: p, suite: suiteOf(p), policy: scriptedPolicy(calls), config })
          expect(again.searchId).toBe(outcome.searchId)
          expect(again.stoppedBy).toBe("already_completed")
          expect(calls.calls).toBe(expanded.size)
          // the analysis views read the tree
          const sql = yield* SqlClient.SqlClient
          const cost = yield* sql<{ nodes: number; model_calls: number }>`select nodes, model_calls from search_cost where search_id = ${outcome.searchId}`
          expect(cost[0]).toEqual({ nodes: nodes.length, model_calls: expanded.size })
          const steps = yield* sql<{ depth: number; nodes: number }>`select depth, nodes from step_values order by depth, action`
          expect(steps.reduce((s, r) => s + r.nodes, 0)).toBe(nodes.filter((n) => n.visits > 0 && n.action !== null).length)
          const aspr = yield* sql<{ aspr: number }>`select aspr from aspr_by_search where search_id = ${outcome.searchId}`
          expect(aspr).toHaveLength(1)
          expect(aspr[0]!.aspr).toBeGreaterThan(0)
          expect(aspr[0]!.aspr).toBeLessThanOrEqual(1)
        })
      )

      it.effect("resumes a failed search to exactly the tree of an uninterrupted one", () =>
        Effect.gen(function* () {
          const search = yield* Search
          const repo = yield* SearchRepo
          const p = problem(2)
          yield* (yield* ProblemsRepo).upsert(p)
          const config = new SearchConfig({ rollouts: 12, maxDepth: 4, width: 3, seed: 5 })
          // randomness is drawn from (seed, search id, iteration): compare runs under the same id
          const sql = yield* SqlClient.SqlClient
          const id = "resume-me"
          const whole = yield* search.run({ problem: p, suite: suiteOf(p), policy: scriptedPolicy(), config, searchId: id })
          const wholeNodes = yield* repo.nodes(id)
          for (const failAt of [1, 4, 9]) {
            yield* sql`delete from searches where id = ${id}`
            const error = yield* search
              .run({ problem: p, suite: suiteOf(p), policy: failingAfter(scriptedPolicy(), failAt), config, searchId: id })
              .pipe(Effect.flip)
            expect(error._tag).toBe("SearchError")
            const partial = yield* repo.get(id)
            expect(partial.status).toBe("failed")
            expect(partial.rolloutsDone).toBeLessThan(12)
            const calls = { calls: 0 }
            const resumed = yield* search.resume(id, { problem: p, suite: suiteOf(p), policy: scriptedPolicy(calls) })
            expect(resumed.resumed).toBe(true)
            expect(yield* repo.nodes(id)).toEqual(wholeNodes)
            expect(resumed.answer?.nodeId).toBe(whole.answer?.nodeId)
            expect(resumed.tokens).toBe(whole.tokens)
            expect(resumed.modelCalls).toBe(whole.modelCalls)
          }
        })
      )

      it.effect("stops on the token budget, early stop and a wrong suite on resume", () =>
        Effect.gen(function* () {
          const search = yield* Search
          const p = problem(3)
          yield* (yield* ProblemsRepo).upsert(p)
          const tokens = yield* search.run({
            problem: p, suite: suiteOf(p), policy: scriptedPolicy(), config: new SearchConfig({ rollouts: 50, tokenBudget: 3000, seed: 1 })
          })
          expect(tokens.stoppedBy).toBe("tokens")
          expect(tokens.tokens).toBeGreaterThanOrEqual(3000)
          expect(tokens.rolloutsDone).toBeLessThan(50)
          const early = yield* search.run({
            problem: p, suite: suiteOf(p), policy: scriptedPolicy(), config: new SearchConfig({ rollouts: 50, earlyStop: true, seed: 1 })
          })
          expect(early.stoppedBy).toBe("early_stop")
          expect(early.solved).toBe(true)
          expect(early.rolloutsDone).toBeLessThan(50)
          const wrongSuite = yield* search
            .resume(early.searchId, { problem: p, suite: { id: null, tests: p.visibleTests.slice(1) }, policy: scriptedPolicy() })
            .pipe(Effect.flip)
          expect(wrongSuite.message).toContain("suite differs")
        })
      )

      it.effect("makes a node whose prompt outgrows the context a terminal with reward 0, and resumes across it", () =>
        Effect.gen(function* () {
          const search = yield* Search
          const repo = yield* SearchRepo
          const p = problem(9)
          yield* (yield* ProblemsRepo).upsert(p)
          const config = new SearchConfig({ rollouts: 12, maxDepth: 5, width: 3, seed: 6 })
          const id = "overflow"
          const whole = yield* search.run({ problem: p, suite: suiteOf(p), policy: overflowingAt(scriptedPolicy(), 3), config, searchId: id })
          const nodes = yield* repo.nodes(id)
          checkShape(nodes, config)
          expect(whole.rolloutsDone).toBe(12)
          // no prompt for a third step fits: every node of depth 2 reached is a terminal, those without code with reward 0
          expect(Math.max(...nodes.map((n) => n.depth))).toBe(2)
          const overflowed = nodes.filter((n) => n.depth === 2 && n.code === null && n.visits > 0)
          expect(overflowed.length).toBeGreaterThan(0)
          for (const n of overflowed) expect([n.terminal, n.reward]).toEqual([true, 0])
          // a node stored before it overflowed is rewritten by a later checkpoint: resume sees it
          const sql = yield* SqlClient.SqlClient
          for (const failAt of [1, 2, 3]) {
            yield* sql`delete from searches where id = ${id}`
            const error = yield* search
              .run({ problem: p, suite: suiteOf(p), policy: overflowingAt(failingAfter(scriptedPolicy(), failAt), 3), config, searchId: id })
              .pipe(Effect.flip)
            expect(error._tag).toBe("SearchError")
            yield* search.resume(id, { problem: p, suite: suiteOf(p), policy: overflowingAt(scriptedPolicy(), 3) })
            expect(yield* repo.nodes(id)).toEqual(nodes)
          }
        })
      )

      it.effect("stores PRM priors on new nodes and searches with PUCT", () =>
        Effect.gen(function* () {
          const search = yield* Search
          const p = problem(8)
          yield* (yield* ProblemsRepo).upsert(p)
          // a fake PRM that likes steps holding correct code and dislikes wrong code
          const prm = {
            name: "fake-prm",
            score: (inputs: ReadonlyArray<{ readonly steps: ReadonlyArray<{ readonly body: string }> }>) =>
              Effect.succeed(inputs.map((i) => { const b = i.steps[i.steps.length - 1]!.body; return b.includes("CORRECT") ? 0.9 : b.includes("WRONG") ? 0.05 : 0.4 }))
          }
          const outcome = yield* search.run({
            problem: p, suite: suiteOf(p), policy: scriptedPolicy(), prm, config: new SearchConfig({ rollouts: 10, seed: 3, selection: "puct" })
          })
          const nodes = yield* (yield* SearchRepo).nodes(outcome.searchId)
          expect(nodes.filter((n) => n.parentId !== null).every((n) => n.prior !== null)).toBe(true)
          expect(nodes.filter((n) => n.code?.includes("CORRECT")).every((n) => n.prior === 0.9)).toBe(true)
          expect(nodes.find((n) => n.parentId === null)!.visits).toBe(10)
        })
      )

      it.effect("searches several problems concurrently", () =>
        Effect.gen(function* () {
          const search = yield* Search
          const problems = [4, 5, 6, 7].map(problem)
          for (const p of problems) yield* (yield* ProblemsRepo).upsert(p)
          const config = new SearchConfig({ rollouts: 5, seed: 2 })
          const outcomes = yield* search.runMany(problems.map((p) => ({ problem: p, suite: suiteOf(p), policy: scriptedPolicy(), config })), { concurrency: 3 })
          expect(outcomes.map((o) => (o._tag === "Right" ? o.right.problemId : "error"))).toEqual(problems.map((p) => p.id))
          const list = yield* (yield* SearchRepo).list({})
          expect(list.filter((s) => problems.some((p) => p.id === s.problemId) && s.status === "completed")).toHaveLength(4)
        })
      )
    })
  })
}

import { describe, expect, it, layer } from "@effect/vitest"
import { sharedDataFile } from "@o1coder/domain"
import * as LlamaCpp from "@o1coder/models/LlamaCpp"
import * as RecordReplay from "@o1coder/models/RecordReplay"
import { Reward } from "@o1coder/reward/Reward"
import { CachedSandbox, sandboxLayer } from "@o1coder/sandbox"
import { ExecutionsRepo } from "@o1coder/store/ExecutionsRepo"
import { ModelCallsRepo } from "@o1coder/store/ModelCallsRepo"
import { ProblemsRepo } from "@o1coder/store/ProblemsRepo"
import { SearchRepo } from "@o1coder/store/SearchRepo"
import * as TestDatabase from "@o1coder/store/TestDatabase"
import { Effect, Layer } from "effect"
import { Search } from "../src/Search.ts"
import { SearchConfig } from "../src/SearchConfig.ts"
import { problem } from "./fixtures.ts"

const gguf = sharedDataFile("models/stories260K.gguf")

const testLayer = Layer.fresh(Search.Default).pipe(
  Layer.provideMerge(
    Layer.mergeAll(
      Layer.fresh(SearchRepo.Default), Layer.fresh(ProblemsRepo.Default), Layer.fresh(ModelCallsRepo.Default), Reward.Default,
      CachedSandbox.layer.pipe(Layer.provide(sandboxLayer({ unsafe: process.env.O1CODER_SANDBOX_UNSAFE === "1" })), Layer.provide(Layer.fresh(ExecutionsRepo.Default)))
    )
  ),
  Layer.provideMerge(TestDatabase.pglite)
)

describe("search with the in-process llama backend and a real tiny model", () => {
  // Absent data shows up as a skipped test named with the missing path.
  if (gguf.missing !== undefined) return it.skip(gguf.missing, () => {})
  layer(testLayer, { timeout: 120_000, excludeTestServices: true })((it) => {
    it.effect("runs end to end on 3 problems: parsing, execution, checkpointing; every reward is 0", () =>
      Effect.gen(function* () {
        const backend = yield* LlamaCpp.make({ modelPath: gguf.path, threads: 1 })
        const policy = yield* RecordReplay.wrap(backend, { role: "policy" })
        const search = yield* Search
        const repo = yield* SearchRepo
        const config = new SearchConfig({ rollouts: 2, maxDepth: 2, width: 2, stepMaxTokens: 16, seed: 4, examples: false })
        for (const n of [41, 42, 43]) {
          const p = problem(n)
          yield* (yield* ProblemsRepo).upsert(p)
          const outcome = yield* search.run({ problem: p, suite: { id: null, tests: p.visibleTests }, policy, config })
          const nodes = yield* repo.nodes(outcome.searchId)
          expect(outcome.rolloutsDone).toBe(2)
          expect(nodes.length).toBeGreaterThan(2)
          expect(nodes.filter((x) => x.terminal).every((x) => x.reward === 0)).toBe(true)
          expect(nodes.every((x) => x.valueSum === 0)).toBe(true)
          expect(nodes.find((x) => x.parentId === null)!.visits).toBe(2)
          expect((yield* repo.get(outcome.searchId)).status).toBe("completed")
        }
      }).pipe(Effect.scoped)
    )
  })
})

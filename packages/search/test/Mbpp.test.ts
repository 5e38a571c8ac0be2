import { describe, expect, it, layer as itLayer } from "@effect/vitest"
import type { Problem } from "@o1coder/domain"
import { sharedDataFile } from "@o1coder/domain"
import * as RecordReplay from "@o1coder/models/RecordReplay"
import * as SimulatedPolicy from "@o1coder/models/SimulatedPolicy"
import { readProblems } from "@o1coder/problems"
import { Reward } from "@o1coder/reward/Reward"
import { CachedSandbox, Limits, sandboxLayer } from "@o1coder/sandbox"
import { ExecutionsRepo } from "@o1coder/store/ExecutionsRepo"
import { ModelCallsRepo } from "@o1coder/store/ModelCallsRepo"
import { ProblemsRepo } from "@o1coder/store/ProblemsRepo"
import { SearchRepo } from "@o1coder/store/SearchRepo"
import { SuitesRepo } from "@o1coder/store/SuitesRepo"
import * as TestDatabase from "@o1coder/store/TestDatabase"
// Test-only use of a sibling package: the suites the search runs on come from test generation.
import { TestGen } from "@o1coder/tcg"
import { Effect, Layer } from "effect"
import { Search } from "../src/Search.ts"
import { SearchConfig } from "../src/SearchConfig.ts"

const mbpp = sharedDataFile("mbpp/mbpp.jsonl")

const layer = Layer.mergeAll(Layer.fresh(Search.Default), Layer.fresh(TestGen.Default)).pipe(
  Layer.provideMerge(
    Layer.mergeAll(
      Layer.fresh(SearchRepo.Default), Layer.fresh(ProblemsRepo.Default), Layer.fresh(ModelCallsRepo.Default), Layer.fresh(SuitesRepo.Default),
      // the real sandbox under the execution cache
      CachedSandbox.layer.pipe(
        Layer.provide(sandboxLayer({ unsafe: process.env.O1CODER_SANDBOX_UNSAFE === "1" })),
        Layer.provide(Layer.fresh(ExecutionsRepo.Default))
      ),
      Reward.Default
    )
  ),
  Layer.provideMerge(TestDatabase.pglite)
)

describe("search on 20 MBPP problems with the simulated policy and mutation-generated suites", () => {
  // Absent data shows up as a skipped test named with the missing path.
  if (mbpp.missing !== undefined) return it.skip(mbpp.missing, () => {})
  // Real time: the sandbox enforces deadlines with the clock.
  itLayer(layer, { timeout: 170_000, excludeTestServices: true })((it) => {
    it.effect("values correct paths above mutant paths and keeps the shape the budgets imply", () =>
      Effect.gen(function* () {
        const parsed = yield* readProblems(mbpp.path, "mbpp")
        const problems: Array<Problem> = parsed.problems
          .map((r: any) => r.problem ?? r)
          .filter((p: Problem) => p.split === "test" && p.reference !== undefined && p.kind === "function")
          .slice(0, 20)
        expect(problems).toHaveLength(20)
        const repo = yield* ProblemsRepo
        for (const p of problems) yield* repo.upsert(p)
        const policy = yield* RecordReplay.wrap(yield* SimulatedPolicy.make({ problems }), { role: "policy" })
        const testGen = yield* TestGen
        const search = yield* Search
        // Mutants may loop: short deadlines keep the test quick (a timeout is a failed test either way).
        const limits = new Limits({ ...Limits.default, testTimeoutMs: 300, totalTimeoutMs: 3_000 })
        const config = new SearchConfig({ rollouts: 8, maxDepth: 5, width: 3, seed: 3 })
        const results = yield* Effect.forEach(
          problems,
          (problem) =>
            Effect.gen(function* () {
              const built = yield* testGen.suiteFor(problem, { generator: "mutation", budget: 15, seed: 0 }).pipe(Effect.either)
              const suite = built._tag === "Right" && built.right.suite.cases.length > 0
                ? { id: built.right.suite.id as string, tests: built.right.suite.cases.map((c) => c.test) }
                : { id: null, tests: problem.visibleTests }
              const outcome = yield* search.run({ problem, suite, policy, config, limits })
              return { problem, suite, outcome, nodes: yield* (yield* SearchRepo).nodes(outcome.searchId) }
            }),
          { concurrency: 2 }
        )
        let correctSum = 0, correctN = 0, mutantSum = 0, mutantN = 0
        for (const { nodes, outcome, problem } of results) {
          expect(outcome.rolloutsDone).toBe(8)
          const root = nodes.find((n) => n.parentId === null)!
          expect(root.visits).toBe(8)
          for (const n of nodes) {
            expect(n.depth).toBeLessThanOrEqual(5)
            const kids = nodes.filter((k) => k.parentId === n.id)
            if (kids.length > 0) {
              expect(kids).toHaveLength(3)
              expect(kids.reduce((s, k) => s + k.visits, 0)).toBe(n.visits)
            }
          }
          const reference = problem.reference!.replace(/\r\n/g, "\n").trimEnd()
          for (const n of nodes.filter((x) => x.code !== null)) {
            if (n.code === reference) {
              expect(n.reward).toBe(1) // the suite was validated on the reference
              correctSum += n.reward!
              correctN++
            } else {
              mutantSum += n.reward ?? 0
              mutantN++
            }
          }
        }
        expect(correctN).toBeGreaterThan(10)
        expect(mutantN).toBeGreaterThan(10)
        console.log(`20 MBPP problems: ${correctN} correct terminals (mean reward ${(correctSum / correctN).toFixed(3)}), ${mutantN} mutant terminals (mean ${(mutantSum / mutantN).toFixed(3)}); suites: ${results.filter((r) => r.suite.id !== null).length} generated, sizes ${results.map((r) => r.suite.tests.length).join(",")}`)
        expect(correctSum / correctN).toBeGreaterThan(mutantSum / mutantN)
        expect(results.filter((r) => r.outcome.solved).length).toBeGreaterThan(10)
      })
    )
  })
})

import * as SqlClient from "@effect/sql/SqlClient"
import { describe, expect, it } from "@effect/vitest"
import { sharedDataFile } from "@o1coder/domain"
import { SimulatedPolicy } from "@o1coder/models"
import { readMbpp } from "@o1coder/problems"
import { Reward } from "@o1coder/reward"
import { CachedSandbox, sandboxLayer } from "@o1coder/sandbox"
import { Search, SearchConfig } from "@o1coder/search"
import { EvaluationsRepo } from "@o1coder/store/EvaluationsRepo"
import { ExecutionsRepo } from "@o1coder/store/ExecutionsRepo"
import { ProblemsRepo } from "@o1coder/store/ProblemsRepo"
import { SearchRepo } from "@o1coder/store/SearchRepo"
import * as TestDatabase from "@o1coder/store/TestDatabase"
import { Effect, Layer } from "effect"
import * as Evaluate from "../src/Evaluate.ts"
import { searchOnVisibleTests } from "../src/SearchAdapter.ts"

/**
 * Leak test: an MCTS evaluation with the simulated policy, then queries on `execution_log` (every
 * execution request with its purpose) proving that no held-out (scoring) execution of a problem
 * happened before its answer was chosen, that search executions never ran the scoring suite, and
 * that scoring happened only after the search had finished.
 */
const mbpp = sharedDataFile("mbpp/mbpp.jsonl")

const repos = Layer.mergeAll(EvaluationsRepo.Default, ExecutionsRepo.Default, SearchRepo.Default, ProblemsRepo.Default)
const layer = Search.Default.pipe(
  Layer.provideMerge(Layer.mergeAll(CachedSandbox.layer.pipe(Layer.provide(sandboxLayer({ workers: 2 }))), Reward.Default)),
  Layer.provideMerge(repos),
  Layer.provideMerge(TestDatabase.pglite)
)

describe("MCTS evaluation", () => {
  it.layer(layer, { timeout: 240_000 })((it) => {
    it.effect.skipIf(mbpp.missing)("never executes a held-out test before the answer is chosen", () =>
      Effect.gen(function* () {
        const problems = (yield* readMbpp(mbpp.path)).problems.map((r) => r.problem).filter((p) => p.split === "test").slice(0, 6)
        yield* (yield* ProblemsRepo).upsertMany(problems.map((problem) => ({ problem })))
        const policy = yield* SimulatedPolicy.make({ problems })
        const report = yield* Evaluate.run({
          problems,
          dataset: "mbpp",
          split: "test",
          mode: "mcts",
          policy: { _tag: "model", model: policy },
          runId: "leak-test",
          round: 0,
          concurrency: 2,
          search: searchOnVisibleTests({ policy, config: new SearchConfig({ rollouts: 4, seed: 1 }) })
        })
        const e = report.evaluation
        expect(e.metrics["pass@1"]).toBeGreaterThanOrEqual(0)
        expect(report.protocolText).toContain("executed during search: visible tests only")
        expect(report.protocolText).toContain("ASPR:")
        const chosen = e.details.map((d) => ({
          problemId: d.problemId as string,
          searchId: (d.detail as { searchId: string }).searchId,
          chosenAt: new Date((d.detail as { chosenAt: string }).chosenAt)
        }))
        const sql = yield* SqlClient.SqlClient
        const rows = yield* sql<{ problem_id: string; purpose: string; search_id: string | null; at: Date; suite_hash: string }>`
          select l.problem_id, l.purpose, l.search_id, l.at, x.suite_hash
          from execution_log l join executions x on x.key = l.execution_key
          where l.problem_id in ${sql.in(problems.map((p) => p.id))}
          order by l.id`
        const search = rows.filter((r) => r.purpose === "search")
        const scoring = rows.filter((r) => r.purpose === "scoring")
        expect(search.length).toBeGreaterThan(0)
        // every problem with an answer was scored exactly once (no plus inputs on MBPP: one run)
        expect(scoring.length).toBe(e.details.filter((d) => d.samples > 0).length)
        for (const c of chosen) {
          const own = rows.filter((r) => r.problem_id === c.problemId)
          const firstScoring = own.find((r) => r.purpose === "scoring")
          const lastSearch = [...own].reverse().find((r) => r.purpose === "search")
          // no scoring execution before the answer was chosen
          expect(own.filter((r) => r.purpose === "scoring" && new Date(r.at) < c.chosenAt)).toEqual([])
          // the search's executions all belong to its own search and precede every scoring execution
          expect(own.filter((r) => r.purpose === "search").every((r) => r.search_id === c.searchId)).toBe(true)
          if (firstScoring !== undefined && lastSearch !== undefined) {
            expect(new Date(lastSearch.at).getTime()).toBeLessThanOrEqual(new Date(firstScoring.at).getTime())
          }
          // search never ran the held-out suite
          const scoringSuites = new Set(own.filter((r) => r.purpose === "scoring").map((r) => r.suite_hash))
          expect(own.filter((r) => r.purpose === "search" && scoringSuites.has(r.suite_hash))).toEqual([])
        }
        // scoring executions carry no search id, and no execution of any other purpose touched these problems
        expect(scoring.every((r) => r.search_id === null)).toBe(true)
        expect(rows.every((r) => r.purpose === "search" || r.purpose === "scoring")).toBe(true)
        // the searches themselves were given only the visible test (the first assert)
        const searches = yield* sql<{ id: string; suite_id: string | null; size: number }>`
          select id, suite_id, (config->>'suiteSize')::int as size from searches where run_id = 'leak-test'`
        expect(searches.length).toBe(problems.length)
        expect(searches.every((s) => s.suite_id === null && s.size === 1)).toBe(true)
        // ASPR from the trees in memory agrees with the store's aspr_by_search view
        const view = yield* sql<{ search_id: string; aspr: number }>`select search_id, aspr from aspr_by_search where run_id = 'leak-test'`
        const byView = new Map(view.map((v) => [v.search_id, Number(v.aspr)]))
        for (const d of e.details) {
          const detail = d.detail as { searchId: string; aspr: number | null }
          if (detail.aspr === null) expect(byView.has(detail.searchId)).toBe(false)
          else expect(byView.get(detail.searchId)).toBeCloseTo(detail.aspr, 9)
        }
        console.log(`mcts (simulated policy, 6 MBPP test problems, 4 rollouts): pass@1 ${e.metrics["pass@1"]}, aspr ${e.metrics.aspr}`)
      }), 240_000
    )
  })
})

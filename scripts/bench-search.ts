/**
 * Search benchmark: MCTS with the simulated policy and a warm execution cache, nodes per second
 * with checkpointing on (one transaction per iteration) and off (the tree written once at the
 * end), on embedded PGlite and on Postgres; then the resume time (load + rebuild) of a
 * 10,000-node tree on each.
 *
 *   npm run bench:search     (O1CODER_BENCH_PROBLEMS, O1CODER_BENCH_ROLLOUTS to change sizes;
 *                             O1CODER_TEST_PG_URL for another Postgres server)
 *
 * Last line: `ms_per_node_checkpointed: X` (Postgres, checkpointing on, search work included).
 */
import type { Problem } from "@o1coder/domain"
import * as SimulatedPolicy from "@o1coder/models/SimulatedPolicy"
import { demoProblemsPath, readProblems } from "@o1coder/problems"
import { Reward } from "@o1coder/reward/Reward"
import { CachedSandbox, sandboxLayer } from "@o1coder/sandbox"
import { Search, SearchConfig, Tree } from "@o1coder/search"
import { ExecutionsRepo } from "@o1coder/store/ExecutionsRepo"
import { ProblemsRepo } from "@o1coder/store/ProblemsRepo"
import type { NodeRow } from "@o1coder/store/SearchRepo"
import { SearchRepo } from "@o1coder/store/SearchRepo"
import * as TestDatabase from "@o1coder/store/TestDatabase"
import type * as SqlClient from "@effect/sql/SqlClient"
import { Effect, Layer } from "effect"
import * as NodeOs from "node:os"

const PROBLEMS = Number(process.env.O1CODER_BENCH_PROBLEMS ?? 8)
const ROLLOUTS = Number(process.env.O1CODER_BENCH_ROLLOUTS ?? 30)
const TREE_NODES = 10_000

const log = (line: string) => Effect.sync(() => console.log(line))
const loadAverage = () => NodeOs.loadavg().map((l) => l.toFixed(1)).join(" ")

const bench = (problems: ReadonlyArray<Problem>, backend: string) =>
  Effect.gen(function* () {
    const search = yield* Search
    for (const p of problems) yield* (yield* ProblemsRepo).upsert(p)
    const policy = yield* SimulatedPolicy.make({ problems })
    const config = (seed: number) => new SearchConfig({ rollouts: ROLLOUTS, maxDepth: 5, width: 3, seed })
    const runAll = (tag: string, persist: "iteration" | "end", seed: number) =>
      Effect.gen(function* () {
        const started = performance.now()
        let nodes = 0
        for (const problem of problems) {
          const outcome = yield* search.run({ problem, suite: { id: null, tests: problem.visibleTests }, policy, config: config(seed), searchId: `bench-${tag}-${problem.id}`, persist })
          nodes += outcome.nodes
        }
        return { nodes, ms: performance.now() - started }
      })
    // Warm-up: fills the execution cache with the candidates (reference and mutants) of every problem.
    for (const seed of [1, 2, 3]) yield* runAll(`warm${seed}`, "iteration", seed)
    const on = yield* runAll("on", "iteration", 7)
    const off = yield* runAll("off", "end", 7)
    const rate = (r: { nodes: number; ms: number }) => (r.nodes / r.ms) * 1000
    yield* log(`${backend}: checkpoint on  ${on.nodes} nodes in ${on.ms.toFixed(0)} ms: ${rate(on).toFixed(0)} nodes/s (${(on.ms / on.nodes).toFixed(3)} ms/node)`)
    yield* log(`${backend}: checkpoint off ${off.nodes} nodes in ${off.ms.toFixed(0)} ms: ${rate(off).toFixed(0)} nodes/s (${(off.ms / off.nodes).toFixed(3)} ms/node)`)
    const overhead = on.ms / on.nodes - off.ms / off.nodes
    yield* log(`${backend}: checkpoint overhead ${overhead.toFixed(3)} ms/node`)
    const resumeMs = yield* resumeTime(problems[0]!)
    yield* log(`${backend}: resume of a ${TREE_NODES}-node tree (load + rebuild): ${resumeMs.toFixed(0)} ms`)
    return { msPerNode: on.ms / on.nodes, overhead, resumeMs }
  })

/** Stores a synthetic 10,000-node tree (fan-out 3) and times loading and rebuilding it, as resume does. */
const resumeTime = (problem: Problem) =>
  Effect.gen(function* () {
    const repo = yield* SearchRepo
    const id = "bench-resume"
    const rows: Array<NodeRow> = []
    for (let seq = 0; seq < TREE_NODES; seq++) {
      const parent = seq === 0 ? null : Math.floor((seq - 1) / 3)
      const depth = seq === 0 ? 0 : rows[parent!]!.depth + 1
      rows.push({
        id: `${id}:${seq}`, searchId: id, parentId: parent === null ? null : `${id}:${parent}`, seq, depth,
        action: seq === 0 ? null : depth >= 8 ? "A3" : "A2", body: `step ${seq}: refine the loop bounds and the accumulator of part ${seq % 17}`,
        code: depth >= 8 ? `def f(x):\n    return x + ${seq}` : null, terminal: depth >= 8, visits: 1, valueSum: (seq % 3) / 2,
        reward: depth >= 8 ? (seq % 3) / 2 : null, passed: null, total: null, prior: null
      })
    }
    yield* repo.create({ id, problemId: problem.id, runId: null, round: null, suiteId: null, policyVersion: "bench", config: {}, seed: 0, root: rows[0]! })
    for (let i = 1; i < rows.length; i += 2000) {
      yield* repo.checkpoint({ searchId: id, newNodes: rows.slice(i, i + 2000), updated: [], progress: { rolloutsDone: 0, tokens: 0, modelCalls: 0, executions: 0, elapsedMs: 0, bestNodeId: null } })
    }
    const times: Array<number> = []
    for (let k = 0; k < 3; k++) {
      const started = performance.now()
      const loaded = yield* repo.nodes(id)
      const { all } = Tree.fromRows(loaded)
      if (all.length !== TREE_NODES) throw new Error(`loaded ${all.length} nodes`)
      times.push(performance.now() - started)
    }
    return Math.min(...times)
  })

const layerOn = (db: Layer.Layer<SqlClient.SqlClient, unknown>) =>
  Layer.fresh(Search.Default).pipe(
    Layer.provideMerge(
      Layer.mergeAll(
        Layer.fresh(SearchRepo.Default), Layer.fresh(ProblemsRepo.Default), Reward.Default,
        CachedSandbox.layer.pipe(Layer.provide(sandboxLayer({ unsafe: process.env.O1CODER_SANDBOX_UNSAFE === "1" })), Layer.provide(Layer.fresh(ExecutionsRepo.Default)))
      )
    ),
    Layer.provideMerge(db)
  )

const main = Effect.gen(function* () {
  const parsed = yield* readProblems(demoProblemsPath(), "jsonl")
  const problems = parsed.problems.map((r) => r.problem).filter((p) => p.reference !== undefined && p.kind === "function").slice(0, PROBLEMS)
  yield* log(
    `search benchmark: ${problems.length} demo problems, ${ROLLOUTS} rollouts, depth 5, width 3, simulated policy, warm execution cache; load average ${loadAverage()} on ${NodeOs.availableParallelism()} cores`
  )
  yield* bench(problems, "pglite").pipe(Effect.provide(layerOn(TestDatabase.pglite)), Effect.scoped)
  const pg = yield* bench(problems, "postgres").pipe(Effect.provide(layerOn(TestDatabase.postgres)), Effect.scoped)
  yield* log(`load average after: ${loadAverage()} (other processes share these cores)`)
  yield* log(`ms_per_node_checkpointed: ${pg.msPerNode.toFixed(3)}`)
})

Effect.runPromise(main).then(
  () => process.exit(0),
  (e) => {
    console.error(e)
    process.exit(1)
  }
)

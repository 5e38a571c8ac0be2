import * as SqlClient from "@effect/sql/SqlClient"
import { Effect } from "effect"

/**
 * A hand-built search tree with known values (golden expectations in Exporter.test.ts):
 *
 *   root (N=4, Q=2.25)
 *   ├─ n1 A1 "outline a"  N=3 Q=2     (0.667)
 *   │   ├─ n3 A3 code passes 2/2  N=2 Q=2 (1.0)   ← D+
 *   │   └─ n4 A3 code passes 0/2  N=1 Q=0 (0.0)
 *   └─ n2 A1 "outline b"  N=1 Q=0.25  (0.25)
 *       ├─ n5 A3 code passes 1/4  N=1 Q=0.25
 *       └─ n6 A2 "refine b"   N=0 (unvisited)
 */
export const PASS_CODE = "def add(a, b):\n    return a + b"
export const FAIL_CODE = "def add(a, b):\n    return a - b"
export const HALF_CODE = "def add(a, b):\n    return a + b if a else 0"
export const HELD_OUT = { _tag: "call", args: "(1, 2)", expected: "3" }
export const HELD_OUT_SECRET = { _tag: "call", args: "(40, 2)", expected: "42" }

const fence = (code: string) => "```python\n" + code + "\n```"

export const insertProblem = (id: string, split: string) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    yield* sql`insert into problems ${sql.insert({
      id,
      dataset: "mbpp",
      task_id: id.split("/")[1]!,
      split,
      kind: "function",
      statement: "Write a function that adds two numbers.",
      entry_point: "add",
      signature: "def add(a, b):",
      reference: "def add(a, b):\n    return a + b",
      visible_tests: JSON.stringify([{ _tag: "call", args: "(2, 3)", expected: "5" }]),
      held_out_tests: JSON.stringify([HELD_OUT, HELD_OUT_SECRET])
    })}`
  })

/** A suite of three cases; `rewardSafe` is its reward-integrity verdict (tcg Integrity). */
export const insertSuite = (suiteId: string, problemId: string, rewardSafe = true) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const stats = JSON.stringify({ integrity: { baselines: 14, killed: rewardSafe ? 14 : 13, survivors: rewardSafe ? [] : ["constant 5"], initialSurvivors: 0, added: 0, rewardSafe } })
    yield* sql`insert into test_suites ${sql.insert({ id: suiteId, problem_id: problemId, generator: "llm", config_hash: suiteId, size: 3, stats })}`
    const cases = [
      { test: { _tag: "call", args: "(2, 3)", expected: "5" }, origin: "dataset" },
      { test: { _tag: "call", args: "(0, 0)", expected: "0" }, origin: "llm" },
      // A generator reproduced a held-out test: it must not reach any export.
      { test: HELD_OUT, origin: "mutation" }
    ]
    for (const [ord, c] of cases.entries()) {
      yield* sql`insert into test_cases ${sql.insert({ suite_id: suiteId, ord, test: JSON.stringify(c.test), origin: c.origin })}`
    }
  })

interface NodeSpec {
  readonly seq: number
  readonly parent: number | null
  readonly depth: number
  readonly action: "A1" | "A2" | "A3" | null
  readonly body: string
  readonly code?: string
  readonly visits: number
  readonly valueSum: number
  readonly passed?: number
  readonly total?: number
}

export const GOLDEN_TREE: ReadonlyArray<NodeSpec> = [
  { seq: 0, parent: null, depth: 0, action: null, body: "", visits: 4, valueSum: 2.25 },
  { seq: 1, parent: 0, depth: 1, action: "A1", body: "outline a", visits: 3, valueSum: 2 },
  { seq: 2, parent: 0, depth: 1, action: "A1", body: "outline b", visits: 1, valueSum: 0.25 },
  { seq: 3, parent: 1, depth: 2, action: "A3", body: fence(PASS_CODE), code: PASS_CODE, visits: 2, valueSum: 2, passed: 2, total: 2 },
  { seq: 4, parent: 1, depth: 2, action: "A3", body: fence(FAIL_CODE), code: FAIL_CODE, visits: 1, valueSum: 0, passed: 0, total: 2 },
  { seq: 5, parent: 2, depth: 2, action: "A3", body: fence(HALF_CODE), code: HALF_CODE, visits: 1, valueSum: 0.25, passed: 1, total: 4 },
  { seq: 6, parent: 2, depth: 2, action: "A2", body: "refine b", visits: 0, valueSum: 0 }
]

export const insertSearch = (o: {
  readonly searchId: string
  readonly problemId: string
  readonly runId: string
  readonly round: number
  readonly suiteId: string | null
  readonly status?: "running" | "completed" | "failed"
  readonly tree?: ReadonlyArray<NodeSpec>
}) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    yield* sql`insert into searches ${sql.insert({
      id: o.searchId,
      problem_id: o.problemId,
      run_id: o.runId,
      round: o.round,
      suite_id: o.suiteId,
      policy_version: "simulated",
      config: JSON.stringify({}),
      seed: 1,
      status: o.status ?? "completed"
    })}`
    for (const n of o.tree ?? GOLDEN_TREE) {
      yield* sql`insert into nodes ${sql.insert({
        id: `${o.searchId}:${n.seq}`,
        search_id: o.searchId,
        parent_id: n.parent === null ? null : `${o.searchId}:${n.parent}`,
        seq: n.seq,
        depth: n.depth,
        action: n.action,
        body: n.body,
        code: n.code ?? null,
        terminal: n.code !== undefined,
        visits: n.visits,
        value_sum: n.valueSum,
        reward: n.total !== undefined ? n.passed! / n.total : null,
        passed: n.passed ?? null,
        total: n.total ?? null
      })}`
    }
  })

/** Problem mbpp/1 (train) with the golden tree in run R round 0, and mbpp/2 (test) with the same tree. */
export const seedGolden = Effect.gen(function* () {
  yield* insertProblem("mbpp/1", "train")
  yield* insertProblem("mbpp/2", "test")
  yield* insertSuite("suite-1", "mbpp/1")
  yield* insertSuite("suite-2", "mbpp/2")
  yield* insertSearch({ searchId: "s1", problemId: "mbpp/1", runId: "R", round: 0, suiteId: "suite-1" })
  yield* insertSearch({ searchId: "s2", problemId: "mbpp/2", runId: "R", round: 0, suiteId: "suite-2" })
  // Another run and an unfinished search: never exported for run R round 0 by default.
  yield* insertSearch({ searchId: "s3", problemId: "mbpp/1", runId: "other", round: 0, suiteId: "suite-1" })
  yield* insertSearch({ searchId: "s4", problemId: "mbpp/1", runId: "R", round: 0, suiteId: "suite-1", status: "running" })
})

import { notFoundAmong } from "./Known.ts"
import * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import { NotFound } from "@o1coder/domain"
import { Effect, Option, Schema } from "effect"

/** One row of `searches`: a search of one problem, its budgets spent and where it stands. */
export class SearchRecord extends Schema.Class<SearchRecord>("SearchRecord")({
  id: Schema.String,
  problemId: Schema.String,
  runId: Schema.NullOr(Schema.String),
  round: Schema.NullOr(Schema.Number),
  suiteId: Schema.NullOr(Schema.String),
  policyVersion: Schema.String,
  config: Schema.Unknown,
  seed: Schema.Number,
  status: Schema.Literal("running", "completed", "failed"),
  rolloutsDone: Schema.Number,
  bestNodeId: Schema.NullOr(Schema.String),
  tokens: Schema.Number,
  modelCalls: Schema.Number,
  executions: Schema.Number,
  elapsedMs: Schema.Number,
  startedAt: Schema.DateFromSelf,
  finishedAt: Schema.NullOr(Schema.DateFromSelf)
}) {}

/** Searches of one round finished by one cluster runner. */
export const RunnerSearches = Schema.Struct({ round: Schema.Number, runner: Schema.String, searches: Schema.Number })

/** The size and outcome of one stored tree (`treeStats`); the answer's columns are null without an answer. */
export class TreeStats extends Schema.Class<TreeStats>("TreeStats")({
  id: Schema.String,
  nodes: Schema.Number,
  solved: Schema.Boolean,
  answerVisits: Schema.NullOr(Schema.Number),
  answerValueSum: Schema.NullOr(Schema.Number),
  answerReward: Schema.NullOr(Schema.Number),
  answerPassed: Schema.NullOr(Schema.Number),
  answerTotal: Schema.NullOr(Schema.Number)
}) {}

export class RunSearchTotals extends Schema.Class<RunSearchTotals>("RunSearchTotals")({
  runId: Schema.String,
  searches: Schema.Number,
  completed: Schema.Number,
  rolloutsDone: Schema.Number,
  tokens: Schema.Number,
  modelCalls: Schema.Number,
  executions: Schema.Number
}) {}

/** A run's searches of one round: how many, and how many completed. */
export class RoundSearches extends Schema.Class<RoundSearches>("RoundSearches")({
  round: Schema.NullOr(Schema.Number),
  done: Schema.Number,
  total: Schema.Number
}) {}

/** A node as stored (the columns of `nodes`). */
export interface NodeRow {
  readonly id: string
  readonly searchId: string
  readonly parentId: string | null
  readonly seq: number
  readonly depth: number
  readonly action: "A1" | "A2" | "A3" | null
  readonly body: string
  readonly code: string | null
  readonly terminal: boolean
  readonly visits: number
  readonly valueSum: number
  readonly reward: number | null
  readonly passed: number | null
  readonly total: number | null
  readonly prior: number | null
}

/** Counters of a search, written with every checkpoint. */
export interface SearchProgress {
  readonly rolloutsDone: number
  readonly tokens: number
  readonly modelCalls: number
  readonly executions: number
  readonly elapsedMs: number
  readonly bestNodeId: string | null
}

export interface NewSearch {
  readonly id: string
  readonly problemId: string
  readonly runId: string | null
  readonly round: number | null
  readonly suiteId: string | null
  readonly policyVersion: string
  readonly config: unknown
  readonly seed: number
  readonly root: NodeRow
}

const SEARCH_COLUMNS = `id, problem_id as "problemId", run_id as "runId", round, suite_id as "suiteId",
  policy_version as "policyVersion", config, seed, status, rollouts_done as "rolloutsDone",
  best_node_id as "bestNodeId", tokens, model_calls as "modelCalls", executions,
  elapsed_ms as "elapsedMs", started_at as "startedAt", finished_at as "finishedAt"`

const NODE_COLUMNS = `id, search_id as "searchId", parent_id as "parentId", seq, depth, action, body, code, terminal,
  visits, value_sum as "valueSum", reward, passed, total, prior`

const NODE_RECORD = `x(id text, search_id text, parent_id text, seq int, depth int, action text, body text, code text,
  terminal boolean, visits int, value_sum float8, reward float8, passed int, total int, prior float8)`

const nodeJson = (nodes: ReadonlyArray<NodeRow>) =>
  JSON.stringify(
    nodes.map((n) => ({
      id: n.id, search_id: n.searchId, parent_id: n.parentId, seq: n.seq, depth: n.depth, action: n.action,
      body: n.body, code: n.code, terminal: n.terminal, visits: n.visits, value_sum: n.valueSum, reward: n.reward,
      passed: n.passed, total: n.total, prior: n.prior
    }))
  )

const decodeSearch = Schema.decodeUnknown(SearchRecord)

/**
 * SQL access to search trees (`searches`, `nodes`). A tree is the checkpoint of its search: each
 * iteration's new nodes and visit/value updates go in one transaction (`checkpoint`).
 */
export class SearchRepo extends Effect.Service<SearchRepo>()("o1coder/SearchRepo", {
  effect: Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    // PGlite has no background WAL writer: an asynchronous commit could stay unwritten until close,
    // so checkpoints commit synchronously there (its writes reach the OS at commit, surviving a kill).
    const pglite = yield* sql<{ v: string }>`select version() as v`.pipe(
      Effect.map((rows) => rows[0]?.v.includes("PGlite") === true),
      Effect.orElseSucceed(() => false)
    )

    const insertNodes = (nodes: ReadonlyArray<NodeRow>) =>
      nodes.length === 0
        ? Effect.void
        : sql.unsafe(
            `insert into nodes (id, search_id, parent_id, seq, depth, action, body, code, terminal, visits, value_sum, reward, passed, total, prior)
             select id, search_id, parent_id, seq, depth, action, body, code, terminal, visits, value_sum, reward, passed, total, prior
             from jsonb_to_recordset($1::jsonb) as ${NODE_RECORD}`,
            [nodeJson(nodes)]
          ).raw.pipe(Effect.asVoid)

    const get = (id: string): Effect.Effect<SearchRecord, NotFound | SqlError> =>
      sql.unsafe<Record<string, unknown>>(`select ${SEARCH_COLUMNS} from searches where id = $1`, [id]).pipe(
        Effect.flatMap((rows) =>
          rows.length === 0
            ? Effect.flatMap(notFoundAmong(sql, "search", id, "searches", "started_at desc, id"), Effect.fail)
            : decodeSearch(normalise(rows[0]!)).pipe(Effect.orDie)
        )
      )

    const find = (id: string) => get(id).pipe(Effect.map(Option.some), Effect.catchTag("NotFound", () => Effect.succeedNone))

    /** Creates the search row and its root node in one transaction (nothing if the id exists). */
    const create = (search: NewSearch) =>
      sql.withTransaction(
        Effect.gen(function* () {
          const inserted = yield* sql<{ id: string }>`insert into searches ${sql.insert({
            id: search.id,
            problem_id: search.problemId,
            run_id: search.runId,
            round: search.round,
            suite_id: search.suiteId,
            policy_version: search.policyVersion,
            config: JSON.stringify(search.config),
            seed: search.seed,
            status: "running"
          })} on conflict (id) do nothing returning id`
          if (inserted.length > 0) yield* insertNodes([search.root])
          return inserted.length > 0
        })
      )

    /** The nodes of a search in creation order. */
    const nodes = (searchId: string): Effect.Effect<ReadonlyArray<NodeRow>, SqlError> =>
      sql.unsafe<NodeRow>(`select ${NODE_COLUMNS} from nodes where search_id = $1 order by seq`, [searchId])

    /**
     * One iteration's checkpoint: new nodes, updated N/Q of existing ones, and the counters, in ONE
     * statement (data-modifying CTEs), hence one transaction and one round trip. On a Postgres server
     * the commit is asynchronous (`synchronous_commit = off` for this transaction only): a killed o1coder process
     * loses nothing the server acknowledged; a crash of the database server itself may drop the last
     * few checkpoints, never half of one, and resume then redoes those iterations from the recorded
     * model calls and cached executions. `durable: true` waits for the WAL flush instead.
     */
    const checkpoint = (input: {
      readonly searchId: string
      readonly newNodes: ReadonlyArray<NodeRow>
      /**
       * Nodes stored before: N and Q; with `terminal`, also terminal and reward (a node whose prompt
       * outgrew the model's context becomes a terminal with reward 0).
       */
      readonly updated: ReadonlyArray<{
        readonly id: string
        readonly visits: number
        readonly valueSum: number
        readonly terminal?: boolean | undefined
        readonly reward?: number | null | undefined
      }>
      readonly progress: SearchProgress
      readonly durable?: boolean
    }) => {
      const p = input.progress
      return sql.unsafe(
        `with cfg as (select set_config('synchronous_commit', $11, true) as v),
         ins as (
           insert into nodes (id, search_id, parent_id, seq, depth, action, body, code, terminal, visits, value_sum, reward, passed, total, prior)
           select id, search_id, parent_id, seq, depth, action, body, code, terminal, visits, value_sum, reward, passed, total, prior
           from jsonb_to_recordset($1::jsonb) as ${NODE_RECORD}
           returning 1),
         upd as (
           update nodes n set visits = x.visits, value_sum = x.value_sum, terminal = coalesce(x.terminal, n.terminal),
             reward = case when x.terminal is null then n.reward else x.reward end
           from jsonb_to_recordset($2::jsonb) as x(id text, visits int, value_sum float8, terminal boolean, reward float8) where n.id = x.id
           returning 1),
         srch as (
           update searches set rollouts_done = $4, tokens = $5, model_calls = $6, executions = $7, elapsed_ms = $8, best_node_id = $9
           where id = $3 returning 1)
         select (select count(*) from cfg where v is not null)::int as cfg, (select count(*) from ins)::int as inserted,
                (select count(*) from upd)::int as updated, (select count(*) from srch)::int as searches, $10::int as expected`,
        [
          nodeJson(input.newNodes),
          JSON.stringify(input.updated.map((u) => ({ id: u.id, visits: u.visits, value_sum: u.valueSum, terminal: u.terminal, reward: u.reward }))),
          input.searchId, p.rolloutsDone, p.tokens, p.modelCalls, p.executions, p.elapsedMs, p.bestNodeId,
          input.newNodes.length,
          input.durable === true || pglite ? "on" : "off"
        ]
      ).pipe(
        Effect.flatMap((rows) => {
          const r = rows[0] as { inserted: number; updated: number; searches: number } | undefined
          return r !== undefined && r.searches === 1 && r.inserted === input.newNodes.length && r.updated === input.updated.length
            ? Effect.void
            : Effect.dieMessage(`checkpoint of search ${input.searchId} wrote ${JSON.stringify(r)}`)
        })
      )
    }

    const updateProgress = (searchId: string, p: SearchProgress) =>
      sql`update searches set rollouts_done = ${p.rolloutsDone}, tokens = ${p.tokens}, model_calls = ${p.modelCalls},
            executions = ${p.executions}, elapsed_ms = ${p.elapsedMs}, best_node_id = ${p.bestNodeId}
          where id = ${searchId}`.pipe(Effect.asVoid)

    const finish = (searchId: string, status: "completed" | "failed", progress: SearchProgress) =>
      sql.withTransaction(
        Effect.gen(function* () {
          yield* updateProgress(searchId, progress)
          yield* sql`update searches set status = ${status}, finished_at = now() where id = ${searchId}`
        })
      )

    /** Records the cluster runner (its advertised address) that finished a search. */
    const setRunner = (searchId: string, runner: string) =>
      sql`update searches set runner = ${runner} where id = ${searchId}`.pipe(Effect.asVoid)

    /** How many of a run's searches each cluster runner finished, per round (embedded runs have none). */
    const runnersByRound = (runId: string) =>
      sql
        .unsafe<Record<string, unknown>>(
          `select round::int as round, runner, count(*)::int as searches from searches
           where run_id = $1 and runner is not null group by round, runner order by round, runner`,
          [runId]
        )
        .pipe(Effect.flatMap(Schema.decodeUnknown(Schema.Array(RunnerSearches))), Effect.orDie)

    /** Marks a search failed, keeping the counters of its last checkpoint. */
    const markFailed = (searchId: string) =>
      sql`update searches set status = 'failed', finished_at = now() where id = ${searchId}`.pipe(Effect.asVoid)

    /** Marks a search running again (resume of a failed one). */
    const reopen = (searchId: string) =>
      sql`update searches set status = 'running', finished_at = null where id = ${searchId}`.pipe(Effect.asVoid)

    const list = (filter: { readonly runId?: string; readonly round?: number; readonly problemId?: string } = {}) =>
      sql
        .unsafe<Record<string, unknown>>(
          `select ${SEARCH_COLUMNS} from searches
           where ($1::text is null or run_id = $1) and ($2::int is null or round = $2) and ($3::text is null or problem_id = $3)
           order by started_at, id`,
          [filter.runId ?? null, filter.round ?? null, filter.problemId ?? null]
        )
        .pipe(Effect.flatMap((rows) => Effect.forEach(rows, (r) => decodeSearch(normalise(r)).pipe(Effect.orDie))))

    /** Every node of every search of a problem (tree-value process rewards read these). */
    const nodesOfProblem = (problemId: string): Effect.Effect<ReadonlyArray<NodeRow>, SqlError> =>
      sql.unsafe<NodeRow>(
        `select ${NODE_COLUMNS} from nodes
         where search_id in (select id from searches where problem_id = $1) order by search_id, seq`,
        [problemId]
      )

    /** Per search matching the filter: its node count, whether it is solved, and its answer node's counts. */
    const treeStats = (filter: { readonly runId?: string; readonly problemId?: string; readonly searchId?: string } = {}) =>
      sql
        .unsafe<Record<string, unknown>>(
          `select s.id, count(n.id)::int as nodes,
             coalesce(bool_or(n.terminal and n.total > 0 and n.passed = n.total), false) as solved,
             b.visits as "answerVisits", b.value_sum as "answerValueSum", b.reward as "answerReward",
             b.passed as "answerPassed", b.total as "answerTotal"
           from searches s left join nodes n on n.search_id = s.id left join nodes b on b.id = s.best_node_id
           where ($1::text is null or s.run_id = $1) and ($2::text is null or s.problem_id = $2) and ($3::text is null or s.id = $3)
           group by s.id, b.id`,
          [filter.runId ?? null, filter.problemId ?? null, filter.searchId ?? null]
        )
        .pipe(Effect.flatMap(Schema.decodeUnknown(Schema.Array(TreeStats))), Effect.orDie)

    /** Totals of the searches of each run: how many, finished, rollouts and cost. */
    const totalsByRun = (runId?: string) =>
      sql
        .unsafe<Record<string, unknown>>(
          `select run_id as "runId", count(*)::int as searches,
             (count(*) filter (where status = 'completed'))::int as completed,
             coalesce(sum(rollouts_done), 0)::int as "rolloutsDone", coalesce(sum(tokens), 0)::int as tokens,
             coalesce(sum(model_calls), 0)::int as "modelCalls", coalesce(sum(executions), 0)::int as executions
           from searches where run_id is not null and ($1::text is null or run_id = $1) group by run_id`,
          [runId ?? null]
        )
        .pipe(Effect.flatMap(Schema.decodeUnknown(Schema.Array(RunSearchTotals))), Effect.orDie)

    /** Per round of a run: how many searches it has and how many of them completed. */
    const progressByRound = (runId: string) =>
      sql
        .unsafe<Record<string, unknown>>(
          `select round::int as round, (count(*) filter (where status = 'completed'))::int as done, count(*)::int as total
           from searches where run_id = $1 group by round order by round`,
          [runId]
        )
        .pipe(Effect.flatMap(Schema.decodeUnknown(Schema.Array(RoundSearches))), Effect.orDie)

    return { create, get, find, nodes, checkpoint, finish, setRunner, runnersByRound, markFailed, reopen, list, nodesOfProblem, treeStats, totalsByRun, progressByRound } as const
  })
}) {}

// pg returns bigint/numeric as strings and jsonb already parsed; keep Schema strict by normalising numbers.
const normalise = (row: Record<string, unknown>): Record<string, unknown> => ({
  ...row,
  round: row.round === null ? null : Number(row.round),
  seed: Number(row.seed),
  rolloutsDone: Number(row.rolloutsDone),
  tokens: Number(row.tokens),
  modelCalls: Number(row.modelCalls),
  executions: Number(row.executions),
  elapsedMs: Number(row.elapsedMs),
  startedAt: row.startedAt instanceof Date ? row.startedAt : new Date(String(row.startedAt)),
  finishedAt: row.finishedAt === null || row.finishedAt instanceof Date ? row.finishedAt : new Date(String(row.finishedAt))
})

import { notFoundAmong } from "./Known.ts"
import * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import { ModelVersionId, Node, NotFound, ProblemId, RunId, SearchId, SuiteId } from "@o1coder/domain"
import * as SqlSchema from "@effect/sql/SqlSchema"
import { Context, Effect, Option, Schema } from "effect"
import { orDieOnBadRows, selectList } from "./Rows.ts"

/**
 * The cluster runner (its advertised `HOST:PORT`) the searches of the current fiber run on, recorded
 * in `searches.runner` when a search starts there or resumes there; null (nothing recorded) for the
 * embedded single runner.
 */
export class SearchRunner extends Context.Reference<SearchRunner>()("o1coder/store/SearchRunner", {
  defaultValue: (): string | null => null
}) {}

/** One row of `searches`: a search of one problem, its budgets spent and where it stands. */
export class SearchRecord extends Schema.Class<SearchRecord>("SearchRecord")({
  id: SearchId,
  problemId: ProblemId,
  runId: Schema.NullOr(RunId),
  round: Schema.NullOr(Schema.Number),
  suiteId: Schema.NullOr(SuiteId),
  policyVersion: ModelVersionId,
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

/** Searches of one round held (running, or finished) by one cluster runner. */
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

/** A node as stored (the columns of `nodes`): the domain Node with its ids as plain text. */
export const NodeRow = Schema.Struct({
  ...Node.fields,
  id: Schema.String,
  searchId: Schema.String,
  parentId: Schema.NullOr(Schema.String)
})
export type NodeRow = typeof NodeRow.Type

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

const SEARCH_COLUMNS = selectList(SearchRecord.fields)

const NODE_COLUMNS = selectList(NodeRow.fields)

/** What one checkpoint statement wrote: compared with what it was given. */
const CheckpointCounts = Schema.Struct({ inserted: Schema.Number, updated: Schema.Number, searches: Schema.Number })

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

/**
 * SQL access to search trees (`searches`, `nodes`). A tree is the checkpoint of its search: each
 * iteration's new nodes and visit/value updates go in one transaction (`checkpoint`).
 */
export class SearchRepo extends Effect.Service<SearchRepo>()("o1coder/SearchRepo", {
  effect: Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    // PGlite has no background WAL writer: an asynchronous commit could stay unwritten until close,
    // so checkpoints commit synchronously there (its writes reach the OS at commit, surviving a kill).
    const version = SqlSchema.single({
      Request: Schema.Void,
      Result: Schema.Struct({ v: Schema.String }),
      execute: () => sql`select version() as v`
    })
    const pglite = yield* version(undefined).pipe(
      Effect.map((row) => row.v.includes("PGlite")),
      Effect.orElseSucceed(() => false)
    )

    const insertNodes = (nodes: ReadonlyArray<NodeRow>) =>
      nodes.length === 0
        ? Effect.void
        : sql`insert into nodes (id, search_id, parent_id, seq, depth, action, body, code, terminal, visits, value_sum, reward, passed, total, prior)
            select id, search_id, parent_id, seq, depth, action, body, code, terminal, visits, value_sum, reward, passed, total, prior
            from jsonb_to_recordset(${nodeJson(nodes)}::jsonb) as ${sql.literal(NODE_RECORD)}`.raw.pipe(Effect.asVoid)

    const findById = SqlSchema.findOne({
      Request: Schema.String,
      Result: SearchRecord,
      execute: (id) => sql`select ${sql.literal(SEARCH_COLUMNS)} from searches where id = ${id}`
    })

    const get = (id: string): Effect.Effect<SearchRecord, NotFound | SqlError> =>
      findById(id).pipe(
        orDieOnBadRows,
        Effect.flatMap(
          Option.match({
            onNone: () => Effect.flatMap(notFoundAmong(sql, "search", id, "searches", "started_at desc, id"), Effect.fail),
            onSome: Effect.succeed
          })
        )
      )

    const find = (id: string) => get(id).pipe(Effect.map(Option.some), Effect.catchTag("NotFound", () => Effect.succeedNone))

    const insertSearch = SqlSchema.findOne({
      Request: Schema.Struct({
        id: Schema.String,
        problem_id: Schema.String,
        run_id: Schema.NullOr(Schema.String),
        round: Schema.NullOr(Schema.Number),
        suite_id: Schema.NullOr(Schema.String),
        policy_version: Schema.String,
        config: Schema.parseJson(),
        seed: Schema.Number,
        status: Schema.Literal("running"),
        runner: Schema.NullOr(Schema.String)
      }),
      Result: Schema.Struct({ id: Schema.String }),
      execute: (row) => sql`insert into searches ${sql.insert(row)} on conflict (id) do nothing returning id`
    })

    /** Creates the search row and its root node in one transaction (nothing if the id exists). */
    const create = (search: NewSearch) =>
      sql.withTransaction(
        Effect.gen(function* () {
          const inserted = yield* orDieOnBadRows(insertSearch({
            id: search.id,
            problem_id: search.problemId,
            run_id: search.runId,
            round: search.round,
            suite_id: search.suiteId,
            policy_version: search.policyVersion,
            config: search.config,
            seed: search.seed,
            status: "running",
            runner: yield* SearchRunner
          }))
          if (Option.isSome(inserted)) yield* insertNodes([search.root])
          return Option.isSome(inserted)
        })
      )

    const nodesOf = SqlSchema.findAll({
      Request: Schema.String,
      Result: NodeRow,
      execute: (searchId) => sql`select ${sql.literal(NODE_COLUMNS)} from nodes where search_id = ${searchId} order by seq`
    })
    /** The nodes of a search in creation order. */
    const nodes = (searchId: string): Effect.Effect<ReadonlyArray<NodeRow>, SqlError> => orDieOnBadRows(nodesOf(searchId))

    const writeCheckpoint = SqlSchema.single({
      Request: Schema.Struct({
        newNodes: Schema.String,
        updated: Schema.String,
        searchId: Schema.String,
        rolloutsDone: Schema.Number,
        tokens: Schema.Number,
        modelCalls: Schema.Number,
        executions: Schema.Number,
        elapsedMs: Schema.Number,
        bestNodeId: Schema.NullOr(Schema.String),
        synchronousCommit: Schema.Literal("on", "off")
      }),
      Result: CheckpointCounts,
      execute: (r) =>
        sql`with cfg as (select set_config('synchronous_commit', ${r.synchronousCommit}, true) as v),
         ins as (
           insert into nodes (id, search_id, parent_id, seq, depth, action, body, code, terminal, visits, value_sum, reward, passed, total, prior)
           select id, search_id, parent_id, seq, depth, action, body, code, terminal, visits, value_sum, reward, passed, total, prior
           from jsonb_to_recordset(${r.newNodes}::jsonb) as ${sql.literal(NODE_RECORD)}
           returning 1),
         upd as (
           update nodes n set visits = x.visits, value_sum = x.value_sum, terminal = coalesce(x.terminal, n.terminal),
             reward = case when x.terminal is null then n.reward else x.reward end
           from jsonb_to_recordset(${r.updated}::jsonb) as x(id text, visits int, value_sum float8, terminal boolean, reward float8) where n.id = x.id
           returning 1),
         srch as (
           update searches set rollouts_done = ${r.rolloutsDone}, tokens = ${r.tokens}, model_calls = ${r.modelCalls},
             executions = ${r.executions}, elapsed_ms = ${r.elapsedMs}, best_node_id = ${r.bestNodeId}
           where id = ${r.searchId} returning 1)
         select (select count(*) from cfg where v is not null)::int as cfg, (select count(*) from ins)::int as inserted,
                (select count(*) from upd)::int as updated, (select count(*) from srch)::int as searches`
    })

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
      return writeCheckpoint({
        newNodes: nodeJson(input.newNodes),
        updated: JSON.stringify(input.updated.map((u) => ({ id: u.id, visits: u.visits, value_sum: u.valueSum, terminal: u.terminal, reward: u.reward }))),
        searchId: input.searchId,
        rolloutsDone: p.rolloutsDone,
        tokens: p.tokens,
        modelCalls: p.modelCalls,
        executions: p.executions,
        elapsedMs: p.elapsedMs,
        bestNodeId: p.bestNodeId,
        synchronousCommit: input.durable === true || pglite ? "on" : "off"
      }).pipe(
        orDieOnBadRows,
        Effect.flatMap((r) =>
          r.searches === 1 && r.inserted === input.newNodes.length && r.updated === input.updated.length
            ? Effect.void
            : Effect.dieMessage(`checkpoint of search ${input.searchId} wrote ${JSON.stringify(r)}`)
        )
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

    /** A stored search continues here: the current fiber's cluster runner holds it now (nothing on the embedded runner). */
    const claim = (searchId: string) =>
      Effect.flatMap(SearchRunner, (runner) =>
        runner === null ? Effect.void : Effect.asVoid(sql`update searches set runner = ${runner} where id = ${searchId}`)
      )

    const runnersOf = SqlSchema.findAll({
      Request: Schema.String,
      Result: RunnerSearches,
      execute: (runId) =>
        sql`select round::int as round, runner, count(*)::int as searches from searches
          where run_id = ${runId} and runner is not null group by round, runner order by round, runner`
    })
    /** How many of a run's searches each cluster runner holds or finished, per round (embedded runs have none). */
    const runnersByRound = (runId: string) => orDieOnBadRows(runnersOf(runId))

    /** Marks a search failed, keeping the counters of its last checkpoint. */
    const markFailed = (searchId: string) =>
      sql`update searches set status = 'failed', finished_at = now() where id = ${searchId}`.pipe(Effect.asVoid)

    /** Marks a search running again (resume of a failed one). */
    const reopen = (searchId: string) =>
      sql`update searches set status = 'running', finished_at = null where id = ${searchId}`.pipe(Effect.asVoid)

    const searchesWhere = SqlSchema.findAll({
      Request: Schema.Struct({ runId: Schema.NullOr(Schema.String), round: Schema.NullOr(Schema.Number), problemId: Schema.NullOr(Schema.String) }),
      Result: SearchRecord,
      execute: (f) =>
        sql`select ${sql.literal(SEARCH_COLUMNS)} from searches
          where (${f.runId}::text is null or run_id = ${f.runId}) and (${f.round}::int is null or round = ${f.round})
            and (${f.problemId}::text is null or problem_id = ${f.problemId})
          order by started_at, id`
    })
    const list = (filter: { readonly runId?: string; readonly round?: number; readonly problemId?: string } = {}) =>
      orDieOnBadRows(searchesWhere({ runId: filter.runId ?? null, round: filter.round ?? null, problemId: filter.problemId ?? null }))

    const nodesOfProblemQuery = SqlSchema.findAll({
      Request: Schema.String,
      Result: NodeRow,
      execute: (problemId) =>
        sql`select ${sql.literal(NODE_COLUMNS)} from nodes
          where search_id in (select id from searches where problem_id = ${problemId}) order by search_id, seq`
    })
    /** Every node of every search of a problem (tree-value process rewards read these). */
    const nodesOfProblem = (problemId: string): Effect.Effect<ReadonlyArray<NodeRow>, SqlError> => orDieOnBadRows(nodesOfProblemQuery(problemId))

    const treeStatsWhere = SqlSchema.findAll({
      Request: Schema.Struct({ runId: Schema.NullOr(Schema.String), problemId: Schema.NullOr(Schema.String), searchId: Schema.NullOr(Schema.String) }),
      Result: TreeStats,
      execute: (f) =>
        sql`select s.id, count(n.id)::int as nodes,
             coalesce(bool_or(n.terminal and n.total > 0 and n.passed = n.total), false) as solved,
             b.visits as "answerVisits", b.value_sum as "answerValueSum", b.reward as "answerReward",
             b.passed as "answerPassed", b.total as "answerTotal"
           from searches s left join nodes n on n.search_id = s.id left join nodes b on b.id = s.best_node_id
           where (${f.runId}::text is null or s.run_id = ${f.runId}) and (${f.problemId}::text is null or s.problem_id = ${f.problemId})
             and (${f.searchId}::text is null or s.id = ${f.searchId})
           group by s.id, b.id`
    })
    /** Per search matching the filter: its node count, whether it is solved, and its answer node's counts. */
    const treeStats = (filter: { readonly runId?: string; readonly problemId?: string; readonly searchId?: string } = {}) =>
      orDieOnBadRows(treeStatsWhere({ runId: filter.runId ?? null, problemId: filter.problemId ?? null, searchId: filter.searchId ?? null }))

    const totalsWhere = SqlSchema.findAll({
      Request: Schema.NullOr(Schema.String),
      Result: RunSearchTotals,
      execute: (runId) =>
        sql`select run_id as "runId", count(*)::int as searches,
             (count(*) filter (where status = 'completed'))::int as completed,
             coalesce(sum(rollouts_done), 0)::int as "rolloutsDone", coalesce(sum(tokens), 0)::int as tokens,
             coalesce(sum(model_calls), 0)::int as "modelCalls", coalesce(sum(executions), 0)::int as executions
           from searches where run_id is not null and (${runId}::text is null or run_id = ${runId}) group by run_id`
    })
    /** Totals of the searches of each run: how many, finished, rollouts and cost. */
    const totalsByRun = (runId?: string) => orDieOnBadRows(totalsWhere(runId ?? null))

    const roundsOf = SqlSchema.findAll({
      Request: Schema.String,
      Result: RoundSearches,
      execute: (runId) =>
        sql`select round::int as round, (count(*) filter (where status = 'completed'))::int as done, count(*)::int as total
           from searches where run_id = ${runId} group by round order by round`
    })
    /** Per round of a run: how many searches it has and how many of them completed. */
    const progressByRound = (runId: string) => orDieOnBadRows(roundsOf(runId))

    return { create, get, find, nodes, checkpoint, finish, claim, runnersByRound, markFailed, reopen, list, nodesOfProblem, treeStats, totalsByRun, progressByRound } as const
  })
}) {}

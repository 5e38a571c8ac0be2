import * as SqlClient from "@effect/sql/SqlClient"
import * as SqlSchema from "@effect/sql/SqlSchema"
import { canonicalJson, DatasetId, hashOf, Node, RunId } from "@o1coder/domain"
import { Effect, Option, Schema, Struct } from "effect"
import { orDieOnBadRows, selectList } from "./Rows.ts"

/**
 * The `datasets` table (exported training files) and the read-only tree queries the exporters
 * need: searches of a run/round, their nodes, the problems' visible material and the generated
 * suites. Held-out tests are never selected, except as hashes so an exporter can prove a
 * generated case is not a copy of one.
 */
export class DatasetRow extends Schema.Class<DatasetRow>("DatasetRow")({
  id: DatasetId,
  kind: Schema.String,
  format: Schema.String,
  path: Schema.String,
  sha256: Schema.String,
  rows: Schema.Number,
  runId: Schema.NullOr(RunId),
  round: Schema.NullOr(Schema.Number),
  filters: Schema.Unknown,
  createdAt: Schema.DateFromSelf
}) {}

export interface NewDataset {
  readonly kind: string
  readonly format: string
  readonly path: string
  readonly sha256: string
  readonly rows: number
  readonly runId: string | null
  readonly round: number | null
  readonly filters: unknown
}

/** A dataset's id is derived from what it holds and how it was selected: re-exporting the same data is one row. */
export const datasetId = (d: NewDataset): string =>
  `ds-${d.kind}-${hashOf({ kind: d.kind, format: d.format, sha256: d.sha256, runId: d.runId, round: d.round, filters: d.filters }).slice(0, 16)}`

export class SearchRef extends Schema.Class<SearchRef>("SearchRef")({
  id: Schema.String,
  problemId: Schema.String,
  runId: Schema.NullOr(Schema.String),
  round: Schema.NullOr(Schema.Number),
  suiteId: Schema.NullOr(Schema.String),
  status: Schema.String
}) {}

/** A stored tree node as exporters read it: the domain Node's columns but the search id and prior. */
export const TreeNodeRow = Schema.Struct(Struct.omit(Node.fields, "searchId", "prior"))
export type TreeNodeRow = typeof TreeNodeRow.Type

/** The visible material of a problem (no reference solution, no held-out tests). */
export const VisibleProblem = Schema.Struct({
  id: Schema.String,
  dataset: Schema.String,
  taskId: Schema.String,
  split: Schema.String,
  kind: Schema.Literal("function", "stdio"),
  statement: Schema.String,
  entryPoint: Schema.NullOr(Schema.String),
  signature: Schema.NullOr(Schema.String),
  setup: Schema.NullOr(Schema.String),
  visibleTests: Schema.Array(Schema.Unknown)
})
export type VisibleProblem = typeof VisibleProblem.Type

export const SuiteCaseRow = Schema.Struct({ ord: Schema.Number, test: Schema.Unknown, origin: Schema.String })
export type SuiteCaseRow = typeof SuiteCaseRow.Type

export interface SearchFilter {
  readonly runId: string
  readonly round?: number | undefined
  readonly split?: string | undefined
  /** Include searches still `running` or `failed` (default: completed only). */
  readonly includeIncomplete?: boolean | undefined
}

const DATASET_COLUMNS = selectList(DatasetRow.fields, { expressions: { rows: "rows::int" } })
const TREE_NODE_COLUMNS = selectList(TreeNodeRow.fields)
const VISIBLE_PROBLEM_COLUMNS = selectList(VisibleProblem.fields)

export class DatasetsRepo extends Effect.Service<DatasetsRepo>()("o1coder/DatasetsRepo", {
  effect: Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient

    /** Records an export; the same content and selection again updates the path (idempotent). */
    const record = (d: NewDataset) =>
      Effect.gen(function* () {
        const id = datasetId(d)
        yield* sql`
          insert into datasets (id, kind, format, path, sha256, rows, run_id, round, filters)
          values (${id}, ${d.kind}, ${d.format}, ${d.path}, ${d.sha256}, ${d.rows}, ${d.runId}, ${d.round}, ${canonicalJson(d.filters ?? {})}::jsonb)
          on conflict (id) do update set path = excluded.path, rows = excluded.rows`
        return id
      }).pipe(Effect.withSpan("DatasetsRepo.record"))

    const byId = SqlSchema.findOne({
      Request: Schema.String,
      Result: DatasetRow,
      execute: (id) => sql`select ${sql.literal(DATASET_COLUMNS)} from datasets where id = ${id}`
    })
    const get = (id: string) => byId(id).pipe(orDieOnBadRows, Effect.map(Option.getOrUndefined))

    const ofRun = SqlSchema.findAll({
      Request: Schema.UndefinedOr(Schema.String),
      Result: DatasetRow,
      execute: (runId) =>
        sql`select ${sql.literal(DATASET_COLUMNS)} from datasets
          ${runId === undefined ? sql`` : sql`where run_id = ${runId}`} order by created_at, id`
    })
    const list = (runId?: string) => orDieOnBadRows(ofRun(runId))

    const searchesWhere = SqlSchema.findAll({
      Request: Schema.Struct({
        runId: Schema.String,
        round: Schema.optional(Schema.Number),
        split: Schema.optional(Schema.String),
        includeIncomplete: Schema.optional(Schema.Boolean)
      }),
      Result: SearchRef,
      execute: (f) =>
        sql`
          select ${sql.literal(selectList(SearchRef.fields, { table: "s" }))}
          from searches s join problems p on p.id = s.problem_id
          where s.run_id = ${f.runId}
            ${f.round === undefined ? sql`` : sql`and s.round = ${f.round}`}
            ${f.split === undefined ? sql`` : sql`and p.split = ${f.split}`}
            ${f.includeIncomplete === true ? sql`` : sql`and s.status = 'completed'`}
          order by s.problem_id, s.id`
    })
    /** Searches of a run (and round, split), in a stable order: problem id, then search id. */
    const searches = (f: SearchFilter) => orDieOnBadRows(searchesWhere(f))

    const nodesOf = SqlSchema.findAll({
      Request: Schema.String,
      Result: TreeNodeRow,
      execute: (searchId) => sql`select ${sql.literal(TREE_NODE_COLUMNS)} from nodes where search_id = ${searchId} order by seq`
    })
    /** One search's nodes in creation order. */
    const nodes = (searchId: string) => orDieOnBadRows(nodesOf(searchId))

    const problemById = SqlSchema.findOne({
      Request: Schema.String,
      Result: VisibleProblem,
      execute: (problemId) => sql`select ${sql.literal(VISIBLE_PROBLEM_COLUMNS)} from problems where id = ${problemId}`
    })
    const problem = (problemId: string) => problemById(problemId).pipe(orDieOnBadRows, Effect.map(Option.getOrUndefined))

    const heldOutTests = SqlSchema.findAll({
      Request: Schema.String,
      Result: Schema.Struct({ tests: Schema.Array(Schema.Unknown) }),
      execute: (problemId) => sql`select held_out_tests as tests from problems where id = ${problemId}`
    })
    /** Hashes (domain `hashOf`) of the problem's held-out tests: compared, never exported. */
    const heldOutHashes = (problemId: string) =>
      heldOutTests(problemId).pipe(orDieOnBadRows, Effect.map((rows) => new Set(rows.flatMap((r) => r.tests.map(hashOf)))))

    const casesOf = SqlSchema.findAll({
      Request: Schema.String,
      Result: SuiteCaseRow,
      execute: (suiteId) => sql`select ord, test, origin from test_cases where suite_id = ${suiteId} order by ord`
    })
    const suiteCases = (suiteId: string) => orDieOnBadRows(casesOf(suiteId))

    const rewardSafeOf = SqlSchema.findOne({
      Request: Schema.String,
      Result: Schema.Struct({ safe: Schema.NullOr(Schema.String) }),
      execute: (suiteId) => sql`select stats -> 'integrity' ->> 'rewardSafe' as safe from test_suites where id = ${suiteId}`
    })
    /** Whether the suite kills every trivial baseline (tcg reward integrity); false when unchecked. */
    const suiteRewardSafe = (suiteId: string) =>
      rewardSafeOf(suiteId).pipe(orDieOnBadRows, Effect.map((row) => Option.getOrUndefined(row)?.safe === "true"))

    return { record, get, list, searches, nodes, problem, heldOutHashes, suiteCases, suiteRewardSafe } as const
  })
}) {}

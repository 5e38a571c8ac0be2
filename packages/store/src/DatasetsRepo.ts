import * as SqlClient from "@effect/sql/SqlClient"
import { canonicalJson, hashOf, Node } from "@o1coder/domain"
import { Effect, Schema } from "effect"

/**
 * The `datasets` table (exported training files) and the read-only tree queries the exporters
 * need: searches of a run/round, their nodes, the problems' visible material and the generated
 * suites. Held-out tests are never selected, except as hashes so an exporter can prove a
 * generated case is not a copy of one.
 */
export class DatasetRow extends Schema.Class<DatasetRow>("DatasetRow")({
  id: Schema.String,
  kind: Schema.String,
  format: Schema.String,
  path: Schema.String,
  sha256: Schema.String,
  rows: Schema.Number,
  runId: Schema.NullOr(Schema.String),
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
export const TreeNodeRow = Schema.Struct(Node.fields).pipe(Schema.omit("searchId", "prior"))
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

const fromJson = (v: unknown): unknown => (typeof v === "string" ? JSON.parse(v) : v)

export class DatasetsRepo extends Effect.Service<DatasetsRepo>()("o1coder/DatasetsRepo", {
  effect: Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const decodeDataset = Schema.decodeUnknown(DatasetRow)
    const decodeRef = Schema.decodeUnknown(Schema.Array(SearchRef))
    const decodeNodes = Schema.decodeUnknown(Schema.Array(TreeNodeRow))
    const decodeProblem = Schema.decodeUnknown(VisibleProblem)
    const decodeCases = Schema.decodeUnknown(Schema.Array(SuiteCaseRow))

    const datasetColumns = sql`id, kind, format, path, sha256, rows::int as rows, run_id as "runId", round, filters, created_at as "createdAt"`
    const toDataset = (r: any) => decodeDataset({ ...r, filters: fromJson(r.filters), createdAt: new Date(r.createdAt) }).pipe(Effect.orDie)

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

    const get = (id: string) =>
      Effect.flatMap(sql`select ${datasetColumns} from datasets where id = ${id}`, (rows) =>
        rows.length === 0 ? Effect.succeed(undefined) : Effect.map(toDataset(rows[0]), (d) => d as DatasetRow | undefined)
      )

    const list = (runId?: string) =>
      Effect.flatMap(
        runId === undefined
          ? sql`select ${datasetColumns} from datasets order by created_at, id`
          : sql`select ${datasetColumns} from datasets where run_id = ${runId} order by created_at, id`,
        (rows) => Effect.forEach(rows, toDataset)
      )

    /** Searches of a run (and round, split), in a stable order: problem id, then search id. */
    const searches = (f: SearchFilter) =>
      Effect.flatMap(
        sql`
          select s.id, s.problem_id as "problemId", s.run_id as "runId", s.round, s.suite_id as "suiteId", s.status
          from searches s join problems p on p.id = s.problem_id
          where s.run_id = ${f.runId}
            ${f.round === undefined ? sql`` : sql`and s.round = ${f.round}`}
            ${f.split === undefined ? sql`` : sql`and p.split = ${f.split}`}
            ${f.includeIncomplete === true ? sql`` : sql`and s.status = 'completed'`}
          order by s.problem_id, s.id`,
        (rows) => decodeRef(rows).pipe(Effect.orDie)
      )

    /** One search's nodes in creation order. */
    const nodes = (searchId: string) =>
      Effect.flatMap(
        sql`
          select id, parent_id as "parentId", seq, depth, action, body, code, terminal, visits,
                 value_sum as "valueSum", reward, passed, total
          from nodes where search_id = ${searchId} order by seq`,
        (rows) => decodeNodes(rows.map((r: any) => ({ ...r, valueSum: Number(r.valueSum) }))).pipe(Effect.orDie)
      )

    const problem = (problemId: string) =>
      Effect.flatMap(
        sql`
          select id, dataset, task_id as "taskId", split, kind, statement, entry_point as "entryPoint",
                 signature, setup, visible_tests as "visibleTests"
          from problems where id = ${problemId}`,
        (rows) =>
          rows.length === 0
            ? Effect.succeed(undefined)
            : decodeProblem({ ...(rows[0] as any), visibleTests: fromJson((rows[0] as any).visibleTests) }).pipe(Effect.orDie)
      )

    /** Hashes (domain `hashOf`) of the problem's held-out tests: compared, never exported. */
    const heldOutHashes = (problemId: string) =>
      Effect.map(
        sql<{ tests: unknown }>`select held_out_tests as tests from problems where id = ${problemId}`,
        (rows) => new Set(rows.flatMap((r) => (fromJson(r.tests) as Array<unknown>).map(hashOf)))
      )

    const suiteCases = (suiteId: string) =>
      Effect.flatMap(
        sql`select ord, test, origin from test_cases where suite_id = ${suiteId} order by ord`,
        (rows) => decodeCases(rows.map((r: any) => ({ ...r, test: fromJson(r.test) }))).pipe(Effect.orDie)
      )

    /** Whether the suite kills every trivial baseline (tcg reward integrity); false when unchecked. */
    const suiteRewardSafe = (suiteId: string) =>
      Effect.map(
        sql<{ safe: unknown }>`select stats -> 'integrity' ->> 'rewardSafe' as safe from test_suites where id = ${suiteId}`,
        (rows) => rows[0]?.safe === "true"
      )

    return { record, get, list, searches, nodes, problem, heldOutHashes, suiteCases, suiteRewardSafe } as const
  })
}) {}

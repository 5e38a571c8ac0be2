import { notFoundAmong } from "./Known.ts"
import { Count, orDieOnBadRows, selectList } from "./Rows.ts"
import * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import * as SqlSchema from "@effect/sql/SqlSchema"
import { NotFound, Problem, Test } from "@o1coder/domain"
import { Effect, Option, Schema } from "effect"

/** A problem with where it came from (file and line), as imported. */
export interface ProblemRecord {
  readonly problem: Problem
  readonly sourceFile?: string | undefined
  readonly sourceLine?: number | undefined
}

export interface ListOptions {
  readonly dataset?: string | undefined
  readonly split?: string | undefined
  readonly limit?: number | undefined
  readonly offset?: number | undefined
}

export interface CountOptions {
  readonly dataset?: string | undefined
  readonly split?: string | undefined
}

export interface SplitCount {
  readonly dataset: string
  readonly split: string
  readonly count: number
}

/** A `problems` row as selected: the Problem's fields, its optional ones null in the table. */
const ProblemRow = Schema.Struct({
  ...Problem.fields,
  entryPoint: Schema.optionalWith(Schema.String, { nullable: true }),
  signature: Schema.optionalWith(Schema.String, { nullable: true }),
  reference: Schema.optionalWith(Schema.String, { nullable: true }),
  setup: Schema.optionalWith(Schema.String, { nullable: true }),
  atol: Schema.optionalWith(Schema.Number, { nullable: true })
})

const COLUMNS = selectList(ProblemRow.fields)

const encodeTests = Schema.encodeSync(Schema.Array(Test))

const toRow = ({ problem: p, sourceFile, sourceLine }: ProblemRecord) => ({
  id: p.id,
  dataset: p.dataset,
  task_id: p.taskId,
  split: p.split,
  kind: p.kind,
  statement: p.statement,
  entry_point: p.entryPoint ?? null,
  signature: p.signature ?? null,
  reference: p.reference ?? null,
  setup: p.setup ?? null,
  visible_tests: JSON.stringify(encodeTests(p.visibleTests)),
  held_out_tests: JSON.stringify(encodeTests(p.heldOutTests)),
  held_out_inputs: JSON.stringify(p.heldOutInputs),
  held_out_base_inputs: JSON.stringify(p.heldOutBaseInputs),
  atol: p.atol ?? null,
  source_file: sourceFile ?? null,
  source_line: sourceLine ?? null
})

/** Natural task order: numeric task ids numerically ("2" < "10"), then the others by text. */
const ORDER = `dataset, (task_id ~ '^[0-9]+$') desc,
  case when task_id ~ '^[0-9]+$' then lpad(task_id, 40, '0') else task_id end, task_id`

/** Rows per INSERT statement (17 parameters each; Postgres allows 65535 per statement). */
const CHUNK = 500

/**
 * SQL access to the `problems` table. Re-importing a problem with the same id replaces it
 * (idempotent), keeping one row per id.
 */
export class ProblemsRepo extends Effect.Service<ProblemsRepo>()("o1coder/ProblemsRepo", {
  effect: Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient

    const filter = (o: CountOptions) =>
      sql.and([
        ...(o.dataset !== undefined ? [sql`dataset = ${o.dataset}`] : []),
        ...(o.split !== undefined ? [sql`split = ${o.split}`] : [])
      ])

    /** Inserts or replaces every record (by id) in one transaction; returns how many were written. */
    const upsertMany = (records: ReadonlyArray<ProblemRecord>): Effect.Effect<number, SqlError> =>
      sql
        .withTransaction(
          Effect.forEach(
            Array.from({ length: Math.ceil(records.length / CHUNK) }, (_, i) => records.slice(i * CHUNK, (i + 1) * CHUNK)),
            (chunk) =>
              sql`insert into problems ${sql.insert(chunk.map(toRow))}
                on conflict (id) do update set
                  dataset = excluded.dataset, task_id = excluded.task_id, split = excluded.split,
                  kind = excluded.kind, statement = excluded.statement, entry_point = excluded.entry_point,
                  signature = excluded.signature, reference = excluded.reference, setup = excluded.setup,
                  visible_tests = excluded.visible_tests, held_out_tests = excluded.held_out_tests,
                  held_out_inputs = excluded.held_out_inputs, held_out_base_inputs = excluded.held_out_base_inputs, atol = excluded.atol,
                  source_file = excluded.source_file, source_line = excluded.source_line,
                  imported_at = now()`,
            { discard: true }
          )
        )
        .pipe(Effect.as(records.length), Effect.withSpan("ProblemsRepo.upsertMany", { attributes: { count: records.length } }))

    const upsert = (problem: Problem, source?: Omit<ProblemRecord, "problem">) =>
      upsertMany([{ problem, ...source }])

    const findById = SqlSchema.findOne({
      Request: Schema.String,
      Result: ProblemRow,
      execute: (id) => sql`select ${sql.literal(COLUMNS)} from problems where id = ${id}`
    })

    /** The problem with this id, or NotFound. */
    const get = (id: string): Effect.Effect<Problem, NotFound | SqlError> =>
      findById(id).pipe(
        orDieOnBadRows,
        Effect.flatMap(
          Option.match({
            onNone: () => Effect.flatMap(notFoundAmong(sql, "problem", id, "problems", "dataset, id"), Effect.fail),
            onSome: (row) => Effect.succeed(Problem.make(row))
          })
        ),
        Effect.withSpan("ProblemsRepo.get", { attributes: { id } })
      )

    const findAll = SqlSchema.findAll({
      Request: Schema.Struct({
        dataset: Schema.optional(Schema.String),
        split: Schema.optional(Schema.String),
        limit: Schema.optional(Schema.Number),
        offset: Schema.optional(Schema.Number)
      }),
      Result: ProblemRow,
      execute: (o) =>
        sql`select ${sql.literal(COLUMNS)} from problems where ${filter(o)}
          order by ${sql.literal(ORDER)}
          ${o.limit !== undefined ? sql`limit ${Math.max(0, Math.floor(o.limit))}` : sql``}
          ${o.offset !== undefined ? sql`offset ${Math.max(0, Math.floor(o.offset))}` : sql``}`
    })

    /** Problems in natural task order (dataset, then numeric task ids numerically). */
    const list = (o: ListOptions = {}): Effect.Effect<ReadonlyArray<Problem>, SqlError> =>
      findAll(o).pipe(
        orDieOnBadRows,
        Effect.map((rows) => rows.map((row) => Problem.make(row))),
        Effect.withSpan("ProblemsRepo.list")
      )

    const Filter = Schema.Struct({ dataset: Schema.optional(Schema.String), split: Schema.optional(Schema.String) })

    const countOf = SqlSchema.single({
      Request: Filter,
      Result: Count,
      execute: (o) => sql`select count(*)::int as n from problems where ${filter(o)}`
    })
    const count = (o: CountOptions = {}): Effect.Effect<number, SqlError> =>
      countOf(o).pipe(orDieOnBadRows, Effect.map((r) => r.n))

    const splitCounts = SqlSchema.findAll({
      Request: Schema.UndefinedOr(Schema.String),
      Result: Schema.Struct({ dataset: Schema.String, split: Schema.String, count: Schema.Number }),
      execute: (dataset) =>
        sql`select dataset, split, count(*)::int as count from problems
          where ${filter({ dataset })} group by dataset, split order by dataset, split`
    })
    /** Row counts per dataset and split, in name order. */
    const countBySplit = (dataset?: string): Effect.Effect<ReadonlyArray<SplitCount>, SqlError> =>
      orDieOnBadRows(splitCounts(dataset))

    const countById = SqlSchema.single({
      Request: Schema.String,
      Result: Count,
      execute: (id) => sql`select count(*)::int as n from problems where id = ${id}`
    })
    const exists = (id: string): Effect.Effect<boolean, SqlError> =>
      countById(id).pipe(orDieOnBadRows, Effect.map((r) => r.n > 0))

    const datasetNames = SqlSchema.findAll({
      Request: Schema.Void,
      Result: Schema.Struct({ dataset: Schema.String }),
      execute: () => sql`select distinct dataset from problems order by dataset`
    })
    const splitNames = SqlSchema.findAll({
      Request: Schema.UndefinedOr(Schema.String),
      Result: Schema.Struct({ split: Schema.String }),
      execute: (dataset) =>
        sql`select distinct split from problems
          where ${dataset !== undefined ? sql`dataset = ${dataset}` : sql`true`} order by split`
    })

    /** Fails with NotFound naming the datasets (or the dataset's splits) unless some problem matches. */
    const requireMatch = (o: CountOptions) =>
      Effect.gen(function* () {
        if (o.dataset === undefined && o.split === undefined) return
        if ((yield* count(o)) > 0) return
        const datasets = yield* orDieOnBadRows(datasetNames(undefined))
        if (o.dataset !== undefined && !datasets.some((d) => d.dataset === o.dataset)) {
          return yield* new NotFound({ what: "dataset", id: o.dataset, known: datasets.map((d) => d.dataset) })
        }
        const splits = yield* orDieOnBadRows(splitNames(o.dataset))
        return yield* new NotFound({ what: o.dataset !== undefined ? `split of ${o.dataset}` : "split", id: o.split ?? "", known: splits.map((s) => s.split) })
      })

    return { upsert, upsertMany, get, list, count, countBySplit, exists, requireMatch } as const
  })
}) {}

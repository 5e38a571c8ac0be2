import { notFoundAmong } from "./Known.ts"
import * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import { Evaluation, NotFound, Test } from "@o1coder/domain"
import * as SqlSchema from "@effect/sql/SqlSchema"
import { Effect, Option, Schema } from "effect"
import { orDieOnBadRows, selectList } from "./Rows.ts"

/** An input the reference solution could not label (it errored or returned an unrepresentable value). */
export const LabelFailure = Schema.Struct({
  index: Schema.Number,
  args: Schema.String,
  status: Schema.String,
  error: Schema.String
})
export type LabelFailure = typeof LabelFailure.Type

export interface HeldOutLabels {
  readonly tests: ReadonlyArray<Test>
  readonly failures: ReadonlyArray<LabelFailure>
  /** The reference's time per test (ms), where measured (same order as `tests`). */
  readonly times?: ReadonlyArray<number> | undefined
  /** The first `baseCount` tests label base inputs (EvalPlus grading); 0 otherwise. */
  readonly baseCount?: number | undefined
}

export interface EvaluationRecord {
  readonly evaluation: Evaluation
  readonly notes: ReadonlyArray<string>
}

/** An `evaluations` row as selected: the Evaluation's fields and its notes. */
const EvaluationRow = Schema.Struct({ ...Evaluation.fields, notes: Schema.Array(Schema.String) })

const toRecord = ({ notes, ...evaluation }: typeof EvaluationRow.Type): EvaluationRecord => ({ evaluation: Evaluation.make(evaluation), notes })

const encodeDetails = Schema.encodeSync(Evaluation.fields.details)
const Labels = Schema.Struct({
  tests: Schema.Array(Test),
  failures: Schema.Array(LabelFailure),
  times: Schema.Array(Schema.Number),
  baseCount: Schema.Number
})

const COLUMNS = selectList(EvaluationRow.fields)

/** SQL access to `evaluations` and to the cached held-out labels (`held_out_labels`). */
export class EvaluationsRepo extends Effect.Service<EvaluationsRepo>()("o1coder/EvaluationsRepo", {
  effect: Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient

    /** Writes (or replaces, by id) one evaluation. */
    const save = (evaluation: Evaluation, notes: ReadonlyArray<string> = []): Effect.Effect<void, SqlError> =>
      sql`insert into evaluations ${sql.insert({
        id: evaluation.id,
        run_id: evaluation.runId,
        round: evaluation.round,
        model_version: evaluation.modelVersion,
        dataset: evaluation.dataset,
        split: evaluation.split,
        mode: evaluation.mode,
        protocol: evaluation.protocol,
        metrics: JSON.stringify(evaluation.metrics),
        details: JSON.stringify(encodeDetails(evaluation.details)),
        notes: JSON.stringify(notes),
        created_at: evaluation.createdAt
      })}
      on conflict (id) do update set run_id = excluded.run_id, round = excluded.round,
        model_version = excluded.model_version, dataset = excluded.dataset, split = excluded.split,
        mode = excluded.mode, protocol = excluded.protocol, metrics = excluded.metrics,
        details = excluded.details, notes = excluded.notes, created_at = excluded.created_at`.pipe(
        Effect.asVoid,
        Effect.withSpan("EvaluationsRepo.save", { attributes: { id: evaluation.id } })
      )

    const byId = SqlSchema.findOne({
      Request: Schema.String,
      Result: EvaluationRow,
      execute: (id) => sql`select ${sql.literal(COLUMNS)} from evaluations where id = ${id}`
    })

    const get = (id: string): Effect.Effect<EvaluationRecord, NotFound | SqlError> =>
      byId(id).pipe(
        orDieOnBadRows,
        Effect.flatMap(
          Option.match({
            onNone: () => Effect.flatMap(notFoundAmong(sql, "evaluation", id, "evaluations", "created_at desc, id"), Effect.fail),
            onSome: (row) => Effect.succeed(toRecord(row))
          })
        ),
        Effect.withSpan("EvaluationsRepo.get", { attributes: { id } })
      )

    const newest = SqlSchema.findAll({
      Request: Schema.Struct({ runId: Schema.optional(Schema.String), dataset: Schema.optional(Schema.String), limit: Schema.optional(Schema.Number) }),
      Result: EvaluationRow,
      execute: (o) =>
        sql`select ${sql.literal(COLUMNS)} from evaluations where ${sql.and([
          ...(o.runId !== undefined ? [sql`run_id = ${o.runId}`] : []),
          ...(o.dataset !== undefined ? [sql`dataset = ${o.dataset}`] : [])
        ])} order by created_at desc, id limit ${o.limit ?? 50}`
    })

    /** Newest first. */
    const list = (o: { readonly runId?: string | undefined; readonly dataset?: string | undefined; readonly limit?: number | undefined } = {}) =>
      newest(o).pipe(orDieOnBadRows, Effect.map((rows) => rows.map(toRecord)))

    const labelsOf = SqlSchema.findOne({
      Request: Schema.Struct({ problemId: Schema.String, key: Schema.String }),
      Result: Labels,
      execute: ({ key, problemId }) =>
        sql`select ${sql.literal(selectList(Labels.fields))} from held_out_labels where problem_id = ${problemId} and key = ${key}`
    })

    const getLabels = (problemId: string, key: string): Effect.Effect<HeldOutLabels | undefined, SqlError> =>
      labelsOf({ problemId, key }).pipe(orDieOnBadRows, Effect.map(Option.getOrUndefined))

    const putLabels = (problemId: string, key: string, labels: HeldOutLabels): Effect.Effect<void, SqlError> =>
      sql`insert into held_out_labels ${sql.insert({
        problem_id: problemId,
        key,
        tests: JSON.stringify(Schema.encodeSync(Schema.Array(Test))(labels.tests)),
        failures: JSON.stringify(labels.failures),
        times: JSON.stringify(labels.times ?? []),
        base_count: labels.baseCount ?? 0
      })} on conflict (problem_id, key) do update set tests = excluded.tests, failures = excluded.failures,
        times = excluded.times, base_count = excluded.base_count`.pipe(Effect.asVoid)

    return { save, get, list, getLabels, putLabels } as const
  })
}) {}

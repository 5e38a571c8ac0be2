import { notFoundAmong } from "./Known.ts"
import * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import { Evaluation, NotFound, Test } from "@o1coder/domain"
import { Effect, ParseResult, Schema } from "effect"

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

const Row = Schema.Struct({
  id: Schema.String,
  run_id: Schema.NullOr(Schema.String),
  round: Schema.NullOr(Schema.Number),
  model_version: Schema.NullOr(Schema.String),
  dataset: Schema.String,
  split: Schema.String,
  mode: Schema.String,
  protocol: Schema.String,
  metrics: Schema.Unknown,
  details: Schema.Unknown,
  notes: Schema.Unknown,
  created_at: Schema.Union(Schema.DateFromSelf, Schema.DateFromString)
})

const decodeRow = (row: unknown): Effect.Effect<EvaluationRecord, ParseResult.ParseError> =>
  Effect.gen(function* () {
    const r = yield* Schema.decodeUnknown(Row)(row)
    const evaluation = yield* Schema.decodeUnknown(Evaluation)({
      id: r.id,
      runId: r.run_id,
      round: r.round,
      modelVersion: r.model_version,
      dataset: r.dataset,
      split: r.split,
      mode: r.mode,
      protocol: r.protocol,
      metrics: r.metrics,
      details: r.details,
      createdAt: r.created_at
    })
    const notes = yield* Schema.decodeUnknown(Schema.Array(Schema.String))(r.notes)
    return { evaluation, notes }
  })

const encodeDetails = Schema.encodeSync(Evaluation.fields.details)
const Labels = Schema.Struct({
  tests: Schema.Array(Test),
  failures: Schema.Array(LabelFailure),
  times: Schema.Array(Schema.Number),
  base_count: Schema.Number
})

const COLUMNS = "id, run_id, round, model_version, dataset, split, mode, protocol, metrics, details, notes, created_at"

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

    const get = (id: string): Effect.Effect<EvaluationRecord, NotFound | SqlError | ParseResult.ParseError> =>
      sql.unsafe(`select ${COLUMNS} from evaluations where id = $1`, [id]).pipe(
        Effect.flatMap((rows): Effect.Effect<EvaluationRecord, NotFound | SqlError | ParseResult.ParseError> =>
          rows.length === 0 ? Effect.flatMap(notFoundAmong(sql, "evaluation", id, "evaluations", "created_at desc, id"), Effect.fail) : decodeRow(rows[0])
        ),
        Effect.withSpan("EvaluationsRepo.get", { attributes: { id } })
      )

    /** Newest first. */
    const list = (o: { readonly runId?: string | undefined; readonly dataset?: string | undefined; readonly limit?: number | undefined } = {}) =>
      sql`select ${sql.literal(COLUMNS)} from evaluations where ${sql.and([
        ...(o.runId !== undefined ? [sql`run_id = ${o.runId}`] : []),
        ...(o.dataset !== undefined ? [sql`dataset = ${o.dataset}`] : [])
      ])} order by created_at desc, id limit ${o.limit ?? 50}`.pipe(Effect.flatMap(Effect.forEach(decodeRow)))

    const getLabels = (problemId: string, key: string): Effect.Effect<HeldOutLabels | undefined, SqlError | ParseResult.ParseError> =>
      sql<{ tests: unknown; failures: unknown }>`select tests, failures, times, base_count from held_out_labels
        where problem_id = ${problemId} and key = ${key}`.pipe(
        Effect.flatMap((rows) =>
          rows.length === 0
            ? Effect.succeed(undefined)
            : Effect.map(Schema.decodeUnknown(Labels)(rows[0]), (l): HeldOutLabels => ({ tests: l.tests, failures: l.failures, times: l.times, baseCount: l.base_count }))
        )
      )

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

import * as SqlClient from "@effect/sql/SqlClient"
import { canonicalJson, JobId, RunId } from "@o1coder/domain"
import * as SqlSchema from "@effect/sql/SqlSchema"
import { Effect, Option, Schema } from "effect"
import { orDieOnBadRows, selectList } from "./Rows.ts"

/** The `training_jobs` table: one row per deterministic job id, its status changes in place. */
export const JobStatus = Schema.Literal("pending", "running", "succeeded", "failed", "cancelled")
export type JobStatus = typeof JobStatus.Type

export class JobRow extends Schema.Class<JobRow>("JobRow")({
  id: JobId,
  backend: Schema.String,
  stage: Schema.String,
  externalId: Schema.NullOr(Schema.String),
  status: JobStatus,
  runId: Schema.NullOr(RunId),
  round: Schema.NullOr(Schema.Number),
  spec: Schema.Unknown,
  outputDir: Schema.NullOr(Schema.String),
  logPath: Schema.NullOr(Schema.String),
  message: Schema.NullOr(Schema.String),
  createdAt: Schema.DateFromSelf,
  updatedAt: Schema.DateFromSelf
}) {}

const COLUMNS = selectList(JobRow.fields)

export interface NewJob {
  readonly id: string
  readonly backend: string
  readonly stage: string
  readonly runId: string | null
  readonly round: number | null
  readonly spec: unknown
  readonly outputDir: string | null
  readonly logPath: string | null
}

export const isFinished = (status: JobStatus): boolean => status === "succeeded" || status === "failed" || status === "cancelled"

export class JobsRepo extends Effect.Service<JobsRepo>()("o1coder/JobsRepo", {
  effect: Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const byId = SqlSchema.findOne({
      Request: Schema.String,
      Result: JobRow,
      execute: (id) => sql`select ${sql.literal(COLUMNS)} from training_jobs where id = ${id}`
    })
    const get = (id: string) => byId(id).pipe(orDieOnBadRows, Effect.map(Option.getOrUndefined))

    /** Inserts a pending job; an existing row with the same id is left as it is (attach). */
    const insert = (job: NewJob) =>
      sql`
        insert into training_jobs (id, backend, stage, status, run_id, round, spec, output_dir, log_path)
        values (${job.id}, ${job.backend}, ${job.stage}, 'pending', ${job.runId}, ${job.round},
                ${canonicalJson(job.spec)}::jsonb, ${job.outputDir}, ${job.logPath})
        on conflict (id) do nothing`.pipe(Effect.asVoid)

    /** Resets a finished job for a deliberate re-run (new attempt, same id). */
    const reset = (job: NewJob) =>
      sql`
        update training_jobs set backend = ${job.backend}, status = 'pending', external_id = null, message = null,
          spec = ${canonicalJson(job.spec)}::jsonb, output_dir = ${job.outputDir}, log_path = ${job.logPath}, updated_at = now()
        where id = ${job.id}`.pipe(Effect.asVoid)

    const setExternalId = (id: string, externalId: string) =>
      sql`update training_jobs set external_id = ${externalId}, updated_at = now() where id = ${id}`.pipe(Effect.asVoid)

    /** Stores a status change (a no-op when nothing changed, so polling does not churn rows). */
    const setStatus = (id: string, status: JobStatus, message: string | null) =>
      sql`
        update training_jobs set status = ${status}, message = ${message}, updated_at = now()
        where id = ${id} and (status <> ${status} or message is distinct from ${message})`.pipe(Effect.asVoid)

    const ofRun = SqlSchema.findAll({
      Request: Schema.UndefinedOr(Schema.String),
      Result: JobRow,
      execute: (runId) =>
        sql`select ${sql.literal(COLUMNS)} from training_jobs
          ${runId === undefined ? sql`` : sql`where run_id = ${runId}`} order by created_at, id`
    })
    const list = (filter: { readonly runId?: string | undefined } = {}) => orDieOnBadRows(ofRun(filter.runId))

    return { get, insert, reset, setExternalId, setStatus, list } as const
  })
}) {}

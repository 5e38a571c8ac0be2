import * as SqlClient from "@effect/sql/SqlClient"
import { canonicalJson } from "@o1coder/domain"
import { Effect, Schema } from "effect"

/** The `training_jobs` table: one row per deterministic job id, its status changes in place. */
export const JobStatus = Schema.Literal("pending", "running", "succeeded", "failed", "cancelled")
export type JobStatus = typeof JobStatus.Type

export class JobRow extends Schema.Class<JobRow>("JobRow")({
  id: Schema.String,
  backend: Schema.String,
  stage: Schema.String,
  externalId: Schema.NullOr(Schema.String),
  status: JobStatus,
  runId: Schema.NullOr(Schema.String),
  round: Schema.NullOr(Schema.Number),
  spec: Schema.Unknown,
  outputDir: Schema.NullOr(Schema.String),
  logPath: Schema.NullOr(Schema.String),
  message: Schema.NullOr(Schema.String),
  createdAt: Schema.DateFromSelf,
  updatedAt: Schema.DateFromSelf
}) {}

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
    const decode = Schema.decodeUnknown(JobRow)
    const columns = sql`id, backend, stage, external_id as "externalId", status, run_id as "runId", round, spec,
      output_dir as "outputDir", log_path as "logPath", message, created_at as "createdAt", updated_at as "updatedAt"`
    const toRow = (r: any) =>
      decode({
        ...r,
        spec: typeof r.spec === "string" ? JSON.parse(r.spec) : r.spec,
        createdAt: new Date(r.createdAt),
        updatedAt: new Date(r.updatedAt)
      }).pipe(Effect.orDie)

    const get = (id: string) =>
      Effect.flatMap(sql`select ${columns} from training_jobs where id = ${id}`, (rows) =>
        rows.length === 0 ? Effect.succeed(undefined) : Effect.map(toRow(rows[0]), (r) => r as JobRow | undefined)
      )

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

    const list = (filter: { readonly runId?: string | undefined } = {}) =>
      Effect.flatMap(
        filter.runId === undefined
          ? sql`select ${columns} from training_jobs order by created_at, id`
          : sql`select ${columns} from training_jobs where run_id = ${filter.runId} order by created_at, id`,
        (rows) => Effect.forEach(rows, toRow)
      )

    return { get, insert, reset, setExternalId, setStatus, list } as const
  })
}) {}

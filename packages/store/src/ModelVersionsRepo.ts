import * as SqlClient from "@effect/sql/SqlClient"
import { canonicalJson, JobId, ModelVersionId, RunId } from "@o1coder/domain"
import * as SqlSchema from "@effect/sql/SqlSchema"
import { Effect, Option, Schema } from "effect"
import { orDieOnBadRows, selectList } from "./Rows.ts"

/** The `model_versions` table: every model the loop used or produced, with its lineage. */
export class ModelVersionRow extends Schema.Class<ModelVersionRow>("ModelVersionRow")({
  id: ModelVersionId,
  role: Schema.Literal("policy", "tcg", "prm"),
  /** What o1coder samples from (a model spec string). */
  spec: Schema.String,
  /** What a trainer loads: an HF id or a checkpoint directory; null when unknown (e.g. a hosted API). */
  checkpoint: Schema.NullOr(Schema.String),
  parentId: Schema.NullOr(ModelVersionId),
  runId: Schema.NullOr(RunId),
  round: Schema.NullOr(Schema.Number),
  jobId: Schema.NullOr(JobId),
  datasets: Schema.Array(Schema.String),
  meta: Schema.Unknown,
  createdAt: Schema.DateFromSelf
}) {}

export interface NewModelVersion {
  readonly id: string
  readonly role: "policy" | "tcg" | "prm"
  readonly spec: string
  readonly checkpoint?: string | null | undefined
  readonly parentId: string | null
  readonly runId: string | null
  readonly round: number | null
  readonly jobId: string | null
  readonly datasets: ReadonlyArray<string>
  readonly meta?: unknown
}

const COLUMNS = selectList(ModelVersionRow.fields)

export class ModelVersionsRepo extends Effect.Service<ModelVersionsRepo>()("o1coder/ModelVersionsRepo", {
  effect: Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const byId = SqlSchema.findOne({
      Request: Schema.String,
      Result: ModelVersionRow,
      execute: (id) => sql`select ${sql.literal(COLUMNS)} from model_versions where id = ${id}`
    })
    const get = (id: string) => byId(id).pipe(orDieOnBadRows, Effect.map(Option.getOrUndefined))

    /**
     * Registers a version; registering the same id again keeps the first row (a finished job
     * registers its output once, however often it is waited on).
     */
    const register = (v: NewModelVersion) =>
      Effect.gen(function* () {
        yield* sql`
          insert into model_versions (id, role, spec, checkpoint, parent_id, run_id, round, job_id, datasets, meta)
          values (${v.id}, ${v.role}, ${v.spec}, ${v.checkpoint ?? null}, ${v.parentId}, ${v.runId}, ${v.round}, ${v.jobId},
                  ${canonicalJson(v.datasets)}::jsonb, ${canonicalJson(v.meta ?? {})}::jsonb)
          on conflict (id) do nothing`
        return yield* byId(v.id).pipe(Effect.flatten, orDieOnBadRows)
      }).pipe(Effect.withSpan("ModelVersionsRepo.register"))

    const ofJob = SqlSchema.findAll({
      Request: Schema.String,
      Result: ModelVersionRow,
      execute: (jobId) => sql`select ${sql.literal(COLUMNS)} from model_versions where job_id = ${jobId} order by created_at, id`
    })
    const byJob = (jobId: string) => orDieOnBadRows(ofJob(jobId))

    const matching = SqlSchema.findAll({
      Request: Schema.Struct({ runId: Schema.optional(Schema.String), role: Schema.optional(Schema.String) }),
      Result: ModelVersionRow,
      execute: (filter) =>
        sql`select ${sql.literal(COLUMNS)} from model_versions
            where true
              ${filter.runId === undefined ? sql`` : sql`and run_id = ${filter.runId}`}
              ${filter.role === undefined ? sql`` : sql`and role = ${filter.role}`}
            order by created_at, id`
    })
    const list = (filter: { readonly runId?: string | undefined; readonly role?: string | undefined } = {}) => orDieOnBadRows(matching(filter))

    return { get, register, byJob, list } as const
  })
}) {}

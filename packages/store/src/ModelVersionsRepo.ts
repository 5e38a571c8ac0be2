import * as SqlClient from "@effect/sql/SqlClient"
import { canonicalJson } from "@o1coder/domain"
import { Effect, Schema } from "effect"

/** The `model_versions` table: every model the loop used or produced, with its lineage. */
export class ModelVersionRow extends Schema.Class<ModelVersionRow>("ModelVersionRow")({
  id: Schema.String,
  role: Schema.Literal("policy", "tcg", "prm"),
  /** What o1coder samples from (a model spec string). */
  spec: Schema.String,
  /** What a trainer loads: an HF id or a checkpoint directory; null when unknown (e.g. a hosted API). */
  checkpoint: Schema.NullOr(Schema.String),
  parentId: Schema.NullOr(Schema.String),
  runId: Schema.NullOr(Schema.String),
  round: Schema.NullOr(Schema.Number),
  jobId: Schema.NullOr(Schema.String),
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

const json = (v: unknown): unknown => (typeof v === "string" ? JSON.parse(v) : v)

export class ModelVersionsRepo extends Effect.Service<ModelVersionsRepo>()("o1coder/ModelVersionsRepo", {
  effect: Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const decode = Schema.decodeUnknown(ModelVersionRow)
    const columns = sql`id, role, spec, checkpoint, parent_id as "parentId", run_id as "runId", round, job_id as "jobId", datasets, meta, created_at as "createdAt"`
    const toRow = (r: any) =>
      decode({ ...r, datasets: json(r.datasets), meta: json(r.meta), createdAt: new Date(r.createdAt) }).pipe(Effect.orDie)

    const get = (id: string) =>
      Effect.flatMap(sql`select ${columns} from model_versions where id = ${id}`, (rows) =>
        rows.length === 0 ? Effect.succeed(undefined) : Effect.map(toRow(rows[0]), (r) => r as ModelVersionRow | undefined)
      )

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
        return (yield* get(v.id))!
      }).pipe(Effect.withSpan("ModelVersionsRepo.register"))

    const byJob = (jobId: string) =>
      Effect.flatMap(sql`select ${columns} from model_versions where job_id = ${jobId} order by created_at, id`, (rows) =>
        Effect.forEach(rows, toRow)
      )

    const list = (filter: { readonly runId?: string | undefined; readonly role?: string | undefined } = {}) =>
      Effect.flatMap(
        sql`select ${columns} from model_versions
            where true
              ${filter.runId === undefined ? sql`` : sql`and run_id = ${filter.runId}`}
              ${filter.role === undefined ? sql`` : sql`and role = ${filter.role}`}
            order by created_at, id`,
        (rows) => Effect.forEach(rows, toRow)
      )

    return { get, register, byJob, list } as const
  })
}) {}

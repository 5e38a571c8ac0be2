import * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import * as SqlSchema from "@effect/sql/SqlSchema"
import { Effect, Schema } from "effect"
import { Count, orDieOnBadRows, selectList } from "./Rows.ts"

/** One recorded sample of a model call (`model_calls` row). The key is computed by the models package. */
export class ModelCallRecord extends Schema.Class<ModelCallRecord>("ModelCallRecord")({
  key: Schema.String,
  modelVersion: Schema.String,
  role: Schema.NullOr(Schema.String),
  runId: Schema.NullOr(Schema.String),
  kind: Schema.Literal("complete", "chat"),
  sampleIndex: Schema.Number,
  /** The sample's own seed (the call's seed + sample index), null when the call had none. */
  seed: Schema.optionalWith(Schema.NullOr(Schema.Number), { default: () => null }),
  request: Schema.Unknown,
  response: Schema.Unknown,
  finishReason: Schema.NullOr(Schema.String),
  promptTokens: Schema.Number,
  completionTokens: Schema.Number,
  /** How completionTokens was counted (usage, logprobs, tokenize, usage-split, generated, estimate). */
  tokensCountedBy: Schema.optionalWith(Schema.NullOr(Schema.String), { default: () => null }),
  latencyMs: Schema.Number,
  replays: Schema.optionalWith(Schema.Number, { default: () => 0 })
}) {}

const COLUMNS = selectList(ModelCallRecord.fields, {
  expressions: {
    sampleIndex: "sample_index::int",
    seed: "seed::float8",
    promptTokens: "prompt_tokens::int",
    completionTokens: "completion_tokens::int",
    latencyMs: "latency_ms::float8",
    replays: "replays::int"
  }
})

export class ModelCallsRepo extends Effect.Service<ModelCallsRepo>()("o1coder/ModelCallsRepo", {
  effect: Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient

    const byKeys = SqlSchema.findAll({
      Request: Schema.Array(Schema.String),
      Result: ModelCallRecord,
      execute: (keys) => sql`select ${sql.literal(COLUMNS)} from model_calls where ${sql.in("key", keys)}`
    })

    /** The records among `keys` (in no particular order). */
    const find = (keys: ReadonlyArray<string>): Effect.Effect<ReadonlyArray<ModelCallRecord>, SqlError> =>
      keys.length === 0 ? Effect.succeed([]) : orDieOnBadRows(byKeys(keys))

    /** Counts one replay (a call served from the store) on each key. */
    const markReplayed = (keys: ReadonlyArray<string>): Effect.Effect<void, SqlError> =>
      keys.length === 0 ? Effect.void : Effect.asVoid(sql`update model_calls set replays = replays + 1 where ${sql.in("key", keys)}`)

    const insertAll = SqlSchema.findAll({
      Request: Schema.Array(ModelCallRecord),
      Result: Schema.Struct({ key: Schema.String }),
      execute: (records) =>
        sql`insert into model_calls ${sql.insert(
          records.map((r) => ({
            key: r.key,
            model_version: r.modelVersion,
            role: r.role,
            run_id: r.runId,
            kind: r.kind,
            sample_index: r.sampleIndex,
            seed: r.seed ?? null,
            request: JSON.stringify(r.request),
            response: JSON.stringify(r.response),
            finish_reason: r.finishReason,
            prompt_tokens: r.promptTokens,
            completion_tokens: r.completionTokens,
            tokens_counted_by: r.tokensCountedBy ?? null,
            latency_ms: r.latencyMs,
            replays: r.replays ?? 0
          }))
        )} on conflict (key) do nothing returning key`
    })

    /**
     * Inserts records; a key already present is kept as it was (first answer wins). Returns the
     * keys actually inserted.
     */
    const record = (records: ReadonlyArray<ModelCallRecord>): Effect.Effect<ReadonlyArray<string>, SqlError> =>
      records.length === 0 ? Effect.succeed([]) : insertAll(records).pipe(orDieOnBadRows, Effect.map((rows) => rows.map((r) => r.key)))

    const versionsOf = SqlSchema.findAll({
      Request: Schema.Struct({ runId: Schema.String, role: Schema.optional(Schema.String) }),
      Result: Schema.Struct({ modelVersion: Schema.String }),
      execute: ({ role, runId }) =>
        sql`select distinct model_version as "modelVersion" from model_calls
          where run_id = ${runId} ${role !== undefined ? sql`and (role = ${role} or role is null)` : sql``}
          order by 1`
    })

    /** Distinct model versions recorded for a run (and role, if given). */
    const versionsOfRun = (runId: string, role?: string): Effect.Effect<ReadonlyArray<string>, SqlError> =>
      versionsOf({ runId, role }).pipe(orDieOnBadRows, Effect.map((rows) => rows.map((r) => r.modelVersion)))

    const countWhere = SqlSchema.single({
      Request: Schema.Struct({ modelVersion: Schema.optional(Schema.String), runId: Schema.optional(Schema.String) }),
      Result: Count,
      execute: (filter) =>
        sql`select count(*)::int as n from model_calls where true
          ${filter.modelVersion !== undefined ? sql`and model_version = ${filter.modelVersion}` : sql``}
          ${filter.runId !== undefined ? sql`and run_id = ${filter.runId}` : sql``}`
    })

    const count = (filter: { readonly modelVersion?: string; readonly runId?: string } = {}): Effect.Effect<number, SqlError> =>
      countWhere(filter).pipe(orDieOnBadRows, Effect.map((row) => row.n))

    return { find, markReplayed, record, versionsOfRun, count } as const
  })
}) {}

import * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import { Effect, Schema } from "effect"

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

const Row = Schema.Struct({
  key: Schema.String,
  model_version: Schema.String,
  role: Schema.NullOr(Schema.String),
  run_id: Schema.NullOr(Schema.String),
  kind: Schema.Literal("complete", "chat"),
  sample_index: Schema.Number,
  seed: Schema.NullOr(Schema.Number),
  request: Schema.Unknown,
  response: Schema.Unknown,
  finish_reason: Schema.NullOr(Schema.String),
  prompt_tokens: Schema.Number,
  completion_tokens: Schema.Number,
  tokens_counted_by: Schema.NullOr(Schema.String),
  latency_ms: Schema.Number,
  replays: Schema.Number
})

const fromRow = (r: typeof Row.Type) =>
  new ModelCallRecord({
    key: r.key,
    modelVersion: r.model_version,
    role: r.role,
    runId: r.run_id,
    kind: r.kind,
    sampleIndex: r.sample_index,
    seed: r.seed,
    request: r.request,
    response: r.response,
    finishReason: r.finish_reason,
    promptTokens: r.prompt_tokens,
    completionTokens: r.completion_tokens,
    tokensCountedBy: r.tokens_counted_by,
    latencyMs: r.latency_ms,
    replays: r.replays
  })

const decodeRows = Schema.decodeUnknown(Schema.Array(Row))

export class ModelCallsRepo extends Effect.Service<ModelCallsRepo>()("o1coder/ModelCallsRepo", {
  effect: Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const columns = sql`key, model_version, role, run_id, kind, sample_index::int, seed::float8 as seed, request, response, finish_reason,
      prompt_tokens::int, completion_tokens::int, tokens_counted_by, latency_ms::float8 as latency_ms, replays::int`

    /** The records among `keys` (in no particular order). */
    const find = (keys: ReadonlyArray<string>): Effect.Effect<ReadonlyArray<ModelCallRecord>, SqlError> =>
      keys.length === 0
        ? Effect.succeed([])
        : sql`select ${columns} from model_calls where ${sql.in("key", keys)}`.pipe(
            Effect.flatMap(decodeRows),
            Effect.map((rows) => rows.map(fromRow)),
            Effect.orDie
          )

    /** Counts one replay (a call served from the store) on each key. */
    const markReplayed = (keys: ReadonlyArray<string>): Effect.Effect<void, SqlError> =>
      keys.length === 0 ? Effect.void : Effect.asVoid(sql`update model_calls set replays = replays + 1 where ${sql.in("key", keys)}`)

    /**
     * Inserts records; a key already present is kept as it was (first answer wins). Returns the
     * keys actually inserted.
     */
    const record = (records: ReadonlyArray<ModelCallRecord>): Effect.Effect<ReadonlyArray<string>, SqlError> =>
      records.length === 0
        ? Effect.succeed([])
        : sql<{ key: string }>`insert into model_calls ${sql.insert(
            records.map((r) => ({
              key: r.key,
              model_version: r.modelVersion,
              role: r.role,
              run_id: r.runId,
              kind: r.kind,
              sample_index: r.sampleIndex,
              seed: r.seed,
              request: JSON.stringify(r.request),
              response: JSON.stringify(r.response),
              finish_reason: r.finishReason,
              prompt_tokens: r.promptTokens,
              completion_tokens: r.completionTokens,
              tokens_counted_by: r.tokensCountedBy,
              latency_ms: r.latencyMs,
              replays: r.replays
            }))
          )} on conflict (key) do nothing returning key`.pipe(Effect.map((rows) => rows.map((r) => r.key)))

    /** Distinct model versions recorded for a run (and role, if given). */
    const versionsOfRun = (runId: string, role?: string): Effect.Effect<ReadonlyArray<string>, SqlError> =>
      sql<{ model_version: string }>`select distinct model_version from model_calls
        where run_id = ${runId} ${role !== undefined ? sql`and (role = ${role} or role is null)` : sql``}
        order by model_version`.pipe(Effect.map((rows) => rows.map((r) => r.model_version)))

    const count = (filter: { readonly modelVersion?: string; readonly runId?: string } = {}): Effect.Effect<number, SqlError> =>
      sql<{ n: number }>`select count(*)::int as n from model_calls where true
        ${filter.modelVersion !== undefined ? sql`and model_version = ${filter.modelVersion}` : sql``}
        ${filter.runId !== undefined ? sql`and run_id = ${filter.runId}` : sql``}`.pipe(Effect.map((rows) => rows[0]?.n ?? 0))

    return { find, markReplayed, record, versionsOfRun, count } as const
  })
}) {}

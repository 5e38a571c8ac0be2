import { hashOf } from "@o1coder/domain"
import { ModelCallRecord, ModelCallsRepo } from "@o1coder/store/ModelCallsRepo"
import { Effect, Schema } from "effect"
import type { ChatMessage, LanguageModelService } from "./LanguageModel.ts"
import { Completion, ModelError, SamplingOptions, TokensCountedBy } from "./LanguageModel.ts"

/**
 * Record/replay over any backend: every sample is stored in `model_calls` under
 * key = hash(model version, kind, exact prompt or messages, sampling parameters except n, sample index).
 *
 * A call with n = k looks up the k sample keys. If all are recorded, it is served from the store
 * (zero backend calls, `replays` counted on each row). Otherwise the backend is asked only for the
 * missing samples: one request per run of consecutive missing indices i..j, with n = j - i + 1 and
 * seed + i, so that sample i always has seed + i (recorded in `model_calls.seed`). That is how
 * llama.cpp seeds the choices of one request, and it makes a top-up (n = 3, then n = 5) ask for new
 * samples instead of repeating samples 0 and 1. Nothing is recorded for a failed call. Serving
 * engines do not reproduce outputs from a seed under batching, so this is what makes a resumed
 * search identical.
 *
 * Modes: `record` (default) replays what is stored and records the rest; `replay-only` fails with
 * ModelError `replay_miss` when any sample is missing; `off` passes through.
 */

export const RecordMode = Schema.Literal("record", "replay-only", "off")
export type RecordMode = typeof RecordMode.Type

export interface RecordOptions {
  readonly mode?: RecordMode | undefined
  readonly role?: string | undefined
  readonly runId?: string | undefined
  /** Record under this version instead of the backend's own (e.g. `replay:<run>` resolves it). */
  readonly modelVersion?: string | undefined
}

export type CallInput =
  | { readonly kind: "complete"; readonly prompt: string }
  | { readonly kind: "chat"; readonly messages: ReadonlyArray<{ readonly role: string; readonly content: string }> }

const samplingKey = (o: SamplingOptions) => ({
  stop: o.stop,
  temperature: o.temperature,
  topP: o.topP,
  topK: o.topK,
  maxTokens: o.maxTokens,
  seed: o.seed ?? null,
  logprobs: o.logprobs
})

/** The record key of one sample. */
export const sampleKey = (modelVersion: string, input: CallInput, options: SamplingOptions, sampleIndex: number): string =>
  hashOf({ modelVersion, input, sampling: samplingKey(options), sampleIndex })

const StoredCompletion = Schema.Struct({
  text: Schema.String,
  finishReason: Schema.String,
  promptTokens: Schema.Number,
  completionTokens: Schema.Number,
  tokensCountedBy: Schema.optional(TokensCountedBy),
  logprobs: Schema.optional(Schema.Array(Schema.Struct({ token: Schema.String, logprob: Schema.Number })))
})

const toCompletion = (response: unknown): Completion => new Completion(Schema.decodeUnknownSync(StoredCompletion)(response))

export const wrap = (
  backend: LanguageModelService,
  options: RecordOptions = {}
): Effect.Effect<LanguageModelService, never, ModelCallsRepo> =>
  Effect.gen(function* () {
    const mode = options.mode ?? "record"
    if (mode === "off") return backend
    const repo = yield* ModelCallsRepo
    const modelVersion = options.modelVersion ?? backend.modelVersion
    const storeError = (e: unknown) =>
      new ModelError({ kind: "unreachable", reason: `model call store: ${String(e)}`, modelVersion })

    const call = (
      input: CallInput,
      o: SamplingOptions,
      ask: (options: SamplingOptions) => Effect.Effect<ReadonlyArray<Completion>, ModelError>
    ): Effect.Effect<ReadonlyArray<Completion>, ModelError> =>
      Effect.gen(function* () {
        const keys = Array.from({ length: o.n }, (_, i) => sampleKey(modelVersion, input, o, i))
        const found = new Map((yield* repo.find(keys).pipe(Effect.mapError(storeError))).map((r) => [r.key, r]))
        const missing = keys.flatMap((k, i) => (found.has(k) ? [] : [i]))
        if (missing.length > 0 && mode === "replay-only") {
          return yield* new ModelError({
            kind: "replay_miss",
            reason: `${missing.length} of ${o.n} samples are not recorded for this ${input.kind} call (replay-only mode)`,
            modelVersion
          })
        }
        const fresh = new Map<number, Completion>()
        const request = { ...input, sampling: samplingKey(o) }
        for (const run of consecutiveRuns(missing)) {
          const started = performance.now()
          const answers = yield* ask(new SamplingOptions({ ...o, n: run.n, ...(o.seed !== undefined ? { seed: o.seed + run.start } : {}) }))
          const latencyMs = performance.now() - started
          if (answers.length !== run.n) {
            return yield* new ModelError({ kind: "bad_response", reason: `asked for ${run.n} samples, got ${answers.length}`, modelVersion })
          }
          const records = answers.map((c, j) => {
            const sampleIndex = run.start + j
            return new ModelCallRecord({
              key: keys[sampleIndex]!,
              modelVersion,
              role: options.role ?? null,
              runId: options.runId ?? null,
              kind: input.kind,
              sampleIndex,
              seed: o.seed !== undefined ? o.seed + sampleIndex : null,
              request,
              response: Schema.encodeSync(StoredCompletion)(c),
              finishReason: c.finishReason,
              // The prompt's prefill is shared by the samples of one request: counted once.
              promptTokens: j === 0 ? c.promptTokens : 0,
              completionTokens: c.completionTokens,
              tokensCountedBy: c.tokensCountedBy ?? null,
              latencyMs: latencyMs / run.n,
              replays: 0
            })
          })
          const inserted = new Set(yield* repo.record(records).pipe(Effect.mapError(storeError)))
          answers.forEach((c, j) => fresh.set(run.start + j, c))
          // A concurrent identical call recorded first: answer what the store holds, as a replay will.
          const raced = records.filter((r) => !inserted.has(r.key)).map((r) => r.key)
          for (const r of yield* repo.find(raced).pipe(Effect.mapError(storeError))) {
            fresh.set(keys.indexOf(r.key), toCompletion(r.response))
          }
        }
        yield* repo.markReplayed(keys.filter((k) => found.has(k))).pipe(Effect.mapError(storeError))
        return keys.map((k, i) => {
          const hit = found.get(k)
          return hit === undefined ? fresh.get(i)! : new Completion({ ...toCompletion(hit.response), cached: true })
        })
      }).pipe(Effect.withSpan("RecordReplay.call", { attributes: { modelVersion, mode, n: o.n } }))

    return {
      modelVersion,
      complete: (prompt, o) =>
        call({ kind: "complete", prompt }, o, (sub) => backend.complete(prompt, sub)),
      chat: (messages: ReadonlyArray<ChatMessage>, o) =>
        call(
          { kind: "chat", messages: messages.map((m) => ({ role: m.role, content: m.content })) },
          o,
          (sub) => backend.chat(messages, sub)
        )
    } satisfies LanguageModelService
  })

/** Runs of consecutive indices: [0, 1, 2, 5, 6] -> (start 0, n 3), (start 5, n 2). */
const consecutiveRuns = (indices: ReadonlyArray<number>): ReadonlyArray<{ readonly start: number; readonly n: number }> => {
  const runs: Array<{ start: number; n: number }> = []
  for (const i of indices) {
    const last = runs[runs.length - 1]
    if (last !== undefined && last.start + last.n === i) last.n++
    else runs.push({ start: i, n: 1 })
  }
  return runs
}

/** A backend that has nothing: every call fails (the backend of `replay:<run>`). */
export const nothing = (modelVersion: string): LanguageModelService => {
  const miss = Effect.fail(new ModelError({ kind: "replay_miss", reason: "no backend behind a replay model", modelVersion }))
  return { modelVersion, complete: () => miss, chat: () => miss }
}

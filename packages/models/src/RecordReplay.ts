import { hashOf } from "@o1coder/domain"
import { ModelCallRecord, ModelCallsRepo } from "@o1coder/store/ModelCallsRepo"
import { Effect, Schema } from "effect"
import type { ChatMessage, LanguageModelService } from "./LanguageModel.ts"
import { Completion, ModelError, SamplingOptions } from "./LanguageModel.ts"

/**
 * Record/replay over any backend: every sample is stored in `model_calls` under
 * key = hash(model version, kind, exact prompt or messages, sampling parameters except n, sample index).
 *
 * A call with n = k looks up the k sample keys. If all are recorded, it is served from the store
 * (zero backend calls, `replays` counted on each row). Otherwise the backend is asked only for the
 * missing samples, in one request with n = (number missing), and its answers fill the missing
 * indices in order. Nothing is recorded for a failed call. Serving engines do not reproduce
 * outputs from a seed under batching, so this is what makes a resumed search identical.
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
      ask: (n: number) => Effect.Effect<ReadonlyArray<Completion>, ModelError>
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
        const fresh: Array<Completion> = []
        if (missing.length > 0) {
          const started = performance.now()
          const answers = yield* ask(missing.length)
          const latencyMs = performance.now() - started
          if (answers.length < missing.length) {
            return yield* new ModelError({
              kind: "bad_response",
              reason: `asked for ${missing.length} samples, got ${answers.length}`,
              modelVersion
            })
          }
          fresh.push(...answers.slice(0, missing.length))
          const request = { ...input, sampling: samplingKey(o) }
          const inserted = yield* repo
            .record(
              missing.map((sampleIndex, j) => {
                const c = fresh[j]!
                return new ModelCallRecord({
                  key: keys[sampleIndex]!,
                  modelVersion,
                  role: options.role ?? null,
                  runId: options.runId ?? null,
                  kind: input.kind,
                  sampleIndex,
                  request,
                  response: Schema.encodeSync(StoredCompletion)(c),
                  finishReason: c.finishReason,
                  // The prompt's prefill is shared by the samples of one request: counted once.
                  promptTokens: j === 0 ? c.promptTokens : 0,
                  completionTokens: c.completionTokens,
                  latencyMs: latencyMs / missing.length,
                  replays: 0
                })
              })
            )
            .pipe(Effect.mapError(storeError))
          // A concurrent identical call recorded first: answer what the store holds, as a replay will.
          const raced = missing.map((i) => keys[i]!).filter((k) => !inserted.includes(k))
          if (raced.length > 0) {
            for (const r of yield* repo.find(raced).pipe(Effect.mapError(storeError))) {
              fresh[missing.indexOf(keys.indexOf(r.key))] = toCompletion(r.response)
            }
          }
        }
        const replayedKeys = keys.filter((k) => found.has(k))
        yield* repo.markReplayed(replayedKeys).pipe(Effect.mapError(storeError))
        let next = 0
        return keys.map((k) => {
          const hit = found.get(k)
          if (hit === undefined) return fresh[next++]!
          return new Completion({ ...toCompletion(hit.response), cached: true })
        })
      }).pipe(Effect.withSpan("RecordReplay.call", { attributes: { modelVersion, mode, n: o.n } }))

    return {
      modelVersion,
      complete: (prompt, o) =>
        call({ kind: "complete", prompt }, o, (n) => backend.complete(prompt, withN(o, n))),
      chat: (messages: ReadonlyArray<ChatMessage>, o) =>
        call(
          { kind: "chat", messages: messages.map((m) => ({ role: m.role, content: m.content })) },
          o,
          (n) => backend.chat(messages, withN(o, n))
        )
    } satisfies LanguageModelService
  })

const withN = (o: SamplingOptions, n: number): SamplingOptions => (n === o.n ? o : new SamplingOptions({ ...o, n }))

/** A backend that has nothing: every call fails (the backend of `replay:<run>`). */
export const nothing = (modelVersion: string): LanguageModelService => {
  const miss = Effect.fail(new ModelError({ kind: "replay_miss", reason: "no backend behind a replay model", modelVersion }))
  return { modelVersion, complete: () => miss, chat: () => miss }
}

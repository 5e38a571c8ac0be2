import { Effect, Random } from "effect"
import type { Scope } from "effect"
import * as NodePath from "node:path"
import type { ChatMessage, LanguageModelService, SamplingOptions } from "./LanguageModel.ts"
import { Completion, ModelError } from "./LanguageModel.ts"
import { llamaThreads } from "./ModelsConfig.ts"

/**
 * node-llama-cpp (3.21.1) in-process backend for a GGUF file. The package is imported only when
 * this backend is selected, so users who never select it pay nothing at start-up (and may omit the
 * optional dependency). Uses the prebuilt CPU binaries: `gpu: false, build: "never"` never
 * downloads or compiles. `threads` defaults to half the cores (see `ModelsConfig.llamaThreads`). The model and
 * context are disposed when the scope closes.
 */

export interface LlamaOptions {
  readonly modelPath: string
  readonly modelVersion?: string | undefined
  /** Tokens per sequence (default: up to 2048, at most what the model was trained on). */
  readonly contextSize?: number | undefined
  /** Samples generated at once (context sequences, default 3). */
  readonly parallel?: number | undefined
  readonly threads?: number | undefined
}

/** The chat messages as a plain transcript (this backend does not apply the model's chat template). */
export const renderTranscript = (messages: ReadonlyArray<ChatMessage>): string =>
  messages.map((m) => `### ${m.role[0]!.toUpperCase()}${m.role.slice(1)}\n${m.content}\n`).join("") + "### Assistant\n"

export const make = (options: LlamaOptions): Effect.Effect<LanguageModelService, ModelError, Scope.Scope> =>
  Effect.gen(function* () {
    const modelVersion = options.modelVersion ?? `llama:${NodePath.basename(options.modelPath)}`
    const loadFailed = (what: string) => (e: unknown) =>
      new ModelError({ kind: "load_failed", reason: `${what}: ${e instanceof Error ? e.message : String(e)}`, modelVersion })
    const lib = yield* Effect.tryPromise({ try: () => import("node-llama-cpp"), catch: loadFailed("node-llama-cpp is not installed") })
    const llama = yield* Effect.acquireRelease(
      Effect.tryPromise({
        try: () =>
          lib.getLlama({
            gpu: false,
            build: "never",
            usePrebuiltBinaries: true,
            progressLogs: false,
            logLevel: lib.LlamaLogLevel.error,
            // llama.cpp reports unset optional GGUF tokens at error level: not worth a line each.
            logger: (_level, message) => {
              if (!/bad special token/.test(message)) console.error(`[node-llama-cpp] ${message.trimEnd()}`)
            }
          }),
        catch: loadFailed("loading llama.cpp binaries")
      }),
      (l) => Effect.promise(() => l.dispose())
    )
    const model = yield* Effect.acquireRelease(
      Effect.tryPromise({ try: () => llama.loadModel({ modelPath: options.modelPath }), catch: loadFailed(`loading ${options.modelPath}`) }),
      (m) => Effect.promise(() => m.dispose())
    )
    const parallel = options.parallel ?? 3
    const threads = options.threads ?? (yield* Effect.mapError(llamaThreads, (e) => new ModelError({ kind: "load_failed", reason: String(e), modelVersion })))
    const contextSize = options.contextSize ?? Math.min(2048, model.trainContextSize)
    const context = yield* Effect.acquireRelease(
      Effect.tryPromise({
        try: () => model.createContext({ contextSize, sequences: parallel, threads }),
        catch: loadFailed("creating a context")
      }),
      (c) => Effect.promise(() => c.dispose())
    )
    const slots = yield* Effect.makeSemaphore(parallel)

    const sample = (prompt: string, o: SamplingOptions, seed: number): Effect.Effect<Completion, ModelError> =>
      slots.withPermits(1)(
        Effect.tryPromise({
          try: async (signal) => {
            const sequence = context.getSequence()
            try {
              const completion = new lib.LlamaCompletion({ contextSequence: sequence })
              let generated = 0
              const promptTokens = model.tokenize(prompt).length
              if (promptTokens + 1 >= contextSize) throw new ContextTooLong(`${promptTokens} prompt tokens, context ${contextSize}`)
              const result = await completion.generateCompletionWithMeta(prompt, {
                maxTokens: Math.min(o.maxTokens, contextSize - promptTokens - 1),
                temperature: o.temperature,
                topK: o.topK,
                topP: o.topP,
                seed,
                ...(o.stop.length > 0 ? { customStopTriggers: o.stop } : {}),
                signal,
                onToken: (tokens) => {
                  generated += tokens.length
                }
              })
              const reason = result.metadata.stopReason
              return new Completion({
                text: result.response,
                finishReason: reason === "maxTokens" ? "length" : reason === "abort" ? "abort" : "stop",
                promptTokens,
                completionTokens: generated,
                tokensCountedBy: "generated"
              })
            } finally {
              await sequence.dispose()
            }
          },
          catch: (e) =>
            new ModelError({
              kind: e instanceof ContextTooLong ? "context_too_long" : "bad_response",
              reason: e instanceof Error ? e.message : String(e),
              modelVersion
            })
        })
      )

    // Sample i uses seed + i (a random base seed when none is given), so the n samples differ.
    const complete = (prompt: string, o: SamplingOptions) =>
      Effect.flatMap(o.seed !== undefined ? Effect.succeed(o.seed) : Random.nextIntBetween(0, 2 ** 30), (seed) =>
        Effect.forEach(Array.from({ length: o.n }, (_, i) => seed + i), (s) => sample(prompt, o, s), { concurrency: parallel })
      ).pipe(
        Effect.withSpan("LlamaCpp.complete", { attributes: { modelVersion, n: o.n } })
      )

    return {
      modelVersion,
      complete,
      chat: (messages, o) => complete(renderTranscript(messages), o)
    } satisfies LanguageModelService
  })

class ContextTooLong extends Error {}


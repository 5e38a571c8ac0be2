import * as SqlClient from "@effect/sql/SqlClient"
import type { ModelRole, Problem } from "@o1coder/domain"
import { ModelCallsRepo } from "@o1coder/store/ModelCallsRepo"
import { Config, Effect, Either, Option, Redacted } from "effect"
import type { Scope } from "effect"
import type { LanguageModelService } from "./LanguageModel.ts"
import { ModelError } from "./LanguageModel.ts"
import * as LlamaCpp from "./LlamaCpp.ts"
import * as OpenAiCompatible from "./OpenAiCompatible.ts"
import * as RecordReplay from "./RecordReplay.ts"
import * as SimulatedPolicy from "./SimulatedPolicy.ts"
import * as SimulatedTestGenerator from "./SimulatedTestGenerator.ts"

/**
 * Model spec strings, resolved in one place:
 *
 *   openai:<base url>[,<base url>...]#<model>   OpenAI-compatible server(s), e.g.
 *                                              openai:http://host:8000/v1#Qwen2.5-Coder-7B-Instruct
 *   llama:<path.gguf>                          node-llama-cpp in process
 *   simulated[:<params.json>]                  the simulated policy (test double)
 *   simulated-tcg[:<wrong share>]              the simulated test generator (test double)
 *   replay:<run id>[#<model version>]          replay-only from the store's recorded calls
 *
 * Record/replay (store `model_calls`) is applied by default (`record`).
 */

export type ParsedSpec =
  | { readonly _tag: "openai"; readonly baseUrls: ReadonlyArray<string>; readonly model: string }
  | { readonly _tag: "llama"; readonly path: string }
  | { readonly _tag: "simulated"; readonly paramsPath: string | undefined }
  | { readonly _tag: "simulated-tcg"; readonly wrongShare: number | undefined }
  | { readonly _tag: "replay"; readonly runId: string; readonly modelVersion: string | undefined }

const invalid = (spec: string, reason: string) =>
  new ModelError({ kind: "load_failed", reason: `invalid model spec "${spec}": ${reason}`, modelVersion: spec })

export const parse = (spec: string): Either.Either<ParsedSpec, ModelError> => {
  const colon = spec.indexOf(":")
  const scheme = colon >= 0 ? spec.slice(0, colon) : spec
  const rest = colon >= 0 ? spec.slice(colon + 1) : ""
  switch (scheme) {
    case "openai": {
      const hash = rest.lastIndexOf("#")
      if (hash < 0) return Either.left(invalid(spec, "expected openai:<base url>#<model>"))
      const baseUrls = rest.slice(0, hash).split(",").map((u) => u.trim()).filter((u) => u !== "")
      const model = rest.slice(hash + 1).trim()
      if (baseUrls.length === 0 || model === "") return Either.left(invalid(spec, "expected openai:<base url>#<model>"))
      for (const url of baseUrls) {
        if (!/^https?:\/\//.test(url)) return Either.left(invalid(spec, `not an http(s) URL: ${url}`))
      }
      return Either.right({ _tag: "openai", baseUrls, model })
    }
    case "llama":
      return rest === "" ? Either.left(invalid(spec, "expected llama:<path.gguf>")) : Either.right({ _tag: "llama", path: rest })
    case "simulated":
      return Either.right({ _tag: "simulated", paramsPath: rest === "" ? undefined : rest })
    case "simulated-tcg": {
      if (rest === "") return Either.right({ _tag: "simulated-tcg", wrongShare: undefined })
      const share = Number(rest)
      return Number.isFinite(share) && share >= 0 && share <= 1
        ? Either.right({ _tag: "simulated-tcg", wrongShare: share })
        : Either.left(invalid(spec, "the wrong share must be a number in [0, 1]"))
    }
    case "replay": {
      const hash = rest.indexOf("#")
      const runId = hash >= 0 ? rest.slice(0, hash) : rest
      if (runId === "") return Either.left(invalid(spec, "expected replay:<run id>[#<model version>]"))
      return Either.right({ _tag: "replay", runId, modelVersion: hash >= 0 ? rest.slice(hash + 1) : undefined })
    }
    default:
      return Either.left(invalid(spec, `unknown kind "${scheme}" (openai, llama, simulated, simulated-tcg, replay)`))
  }
}

export interface SpecContext {
  readonly role?: ModelRole | undefined
  readonly runId?: string | undefined
  /** Problems the simulated models know (their reference solutions). */
  readonly problems?: ReadonlyArray<Problem> | undefined
  readonly lookup?: ((prompt: string) => Problem | undefined) | undefined
  /** Record/replay mode (default `record`; `replay:` specs are always `replay-only`). */
  readonly record?: RecordReplay.RecordMode | undefined
  /** Record calls under this version instead of the backend's own. */
  readonly modelVersion?: string | undefined
  readonly openai?: Partial<Omit<OpenAiCompatible.OpenAiOptions, "endpoints">> & { readonly maxConcurrency?: number | undefined }
  readonly llama?: Partial<Omit<LlamaCpp.LlamaOptions, "modelPath">>
}

/** `O1CODER_API_KEY`, else `OPENAI_API_KEY`, as a Redacted (absent: no Authorization header). */
export const apiKeyConfig: Config.Config<Option.Option<Redacted.Redacted<string>>> = Config.option(
  Config.redacted("O1CODER_API_KEY").pipe(Config.orElse(() => Config.redacted("OPENAI_API_KEY")))
)

/** The backend a spec names, without record/replay (`replay:` specs have no backend). */
export const makeBackend = (spec: string, context: SpecContext = {}): Effect.Effect<LanguageModelService, ModelError, Scope.Scope> =>
  Effect.gen(function* () {
    const parsed = yield* parse(spec)
    switch (parsed._tag) {
      case "openai": {
        const apiKey = yield* apiKeyConfig.pipe(Effect.mapError((e) => invalid(spec, String(e))))
        return yield* OpenAiCompatible.make({
          ...context.openai,
          ...(context.modelVersion !== undefined ? { modelVersion: context.modelVersion } : {}),
          endpoints: parsed.baseUrls.map((baseUrl) => ({
            baseUrl,
            model: parsed.model,
            apiKey: Option.getOrUndefined(apiKey),
            maxConcurrency: context.openai?.maxConcurrency
          }))
        })
      }
      case "llama":
        return yield* LlamaCpp.make({ ...context.llama, modelPath: parsed.path, modelVersion: context.modelVersion })
      case "simulated": {
        const params = parsed.paramsPath !== undefined ? yield* SimulatedPolicy.loadParams(parsed.paramsPath) : undefined
        return yield* SimulatedPolicy.make({
          problems: context.problems ?? [],
          params,
          lookup: context.lookup,
          modelVersion: context.modelVersion
        }).pipe(Effect.mapError((e) => new ModelError({ kind: "load_failed", reason: e.reason, modelVersion: spec })))
      }
      case "simulated-tcg":
        return yield* SimulatedTestGenerator.make({
          problems: context.problems ?? [],
          wrongShare: parsed.wrongShare,
          lookup: context.lookup,
          modelVersion: context.modelVersion
        })
      case "replay":
        return RecordReplay.nothing(parsed.modelVersion ?? context.modelVersion ?? spec)
    }
  })

/**
 * The model a spec names, with record/replay over the store's `model_calls`. `replay:<run>` finds
 * the model version recorded for that run (and role) unless given after `#`.
 */
export const make = (
  spec: string,
  context: SpecContext = {}
): Effect.Effect<LanguageModelService, ModelError, Scope.Scope | SqlClient.SqlClient> =>
  Effect.gen(function* () {
    const parsed = yield* parse(spec)
    const repo = yield* Effect.provide(ModelCallsRepo, ModelCallsRepo.Default)
    const storeError = (e: unknown) => new ModelError({ kind: "unreachable", reason: `model call store: ${String(e)}`, modelVersion: spec })
    if (parsed._tag === "replay") {
      let version = parsed.modelVersion ?? context.modelVersion
      if (version === undefined) {
        const versions = yield* repo.versionsOfRun(parsed.runId, context.role).pipe(Effect.mapError(storeError))
        if (versions.length !== 1) {
          return yield* new ModelError({
            kind: "replay_miss",
            reason: versions.length === 0
              ? `no recorded model calls for run ${parsed.runId}${context.role !== undefined ? ` and role ${context.role}` : ""}`
              : `run ${parsed.runId} recorded several model versions (${versions.join(", ")}): name one as replay:${parsed.runId}#<version>`,
            modelVersion: spec
          })
        }
        version = versions[0]!
      }
      return yield* RecordReplay.wrap(RecordReplay.nothing(version), { mode: "replay-only", role: context.role, runId: context.runId }).pipe(
        Effect.provideService(ModelCallsRepo, repo)
      )
    }
    const backend = yield* makeBackend(spec, context)
    return yield* RecordReplay.wrap(backend, { mode: context.record ?? "record", role: context.role, runId: context.runId }).pipe(
      Effect.provideService(ModelCallsRepo, repo)
    )
  })

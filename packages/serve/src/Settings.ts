import { Limits } from "@o1coder/sandbox"
import { Config, Context, Effect, Option, Redacted, Schema } from "effect"
import * as NodeFs from "node:fs"

export const DEFAULT_PORT = 8750
export const DEFAULT_HOST = "127.0.0.1"

/** How the reward service listens and what it admits. */
export interface ServeSettings {
  readonly host: string
  /** 0 picks a free port. */
  readonly port: number
  /** Bearer token every scoring request must carry (required when bound off loopback). */
  readonly token: Option.Option<Redacted.Redacted<string>>
  /** Largest request body; a larger one is answered 413 before it is read. */
  readonly maxBodyBytes: number
  /** Most completions in one `/v1/reward` or `/get_reward` request (400 beyond). */
  readonly maxBatch: number
  /** Completions admitted at once (running or waiting for a sandbox worker); beyond it 429. */
  readonly queueCapacity: number
  /** Seconds a 429 asks the client to wait. */
  readonly retryAfterSeconds: number
  /** A request's deadline unless it asks for a shorter one (504 when it passes). */
  readonly deadlineMs: number
  /** Limits of each candidate (the per-test timeout can be lowered per request). */
  readonly limits: Limits
}

export class ServeSettingsTag extends Context.Tag("o1coder/ServeSettings")<ServeSettingsTag, ServeSettings>() {}

export class SettingsError extends Schema.TaggedError<SettingsError>()("SettingsError", {
  message: Schema.String,
  cause: Schema.optional(Schema.Defect)
}) {}

export const defaults: ServeSettings = {
  host: DEFAULT_HOST,
  port: DEFAULT_PORT,
  token: Option.none(),
  maxBodyBytes: 16 * 1024 * 1024,
  maxBatch: 1024,
  queueCapacity: 4096,
  retryAfterSeconds: 1,
  deadlineMs: 300_000,
  limits: Limits.default
}

/** 127.0.0.0/8, ::1 and localhost: addresses only this machine reaches. */
export const isLoopback = (host: string): boolean =>
  host === "localhost" || host === "::1" || host === "[::1]" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)

/** The token from a file (its first line), else O1CODER_SERVE_TOKEN. */
export const tokenFrom = (tokenFile: Option.Option<string>) =>
  Effect.gen(function* () {
    if (Option.isSome(tokenFile)) {
      const text = yield* Effect.try({
        try: () => NodeFs.readFileSync(tokenFile.value, "utf8"),
        catch: (cause) => new SettingsError({ message: `cannot read the token file ${tokenFile.value}`, cause })
      })
      const token = text.split("\n")[0]!.trim()
      if (token === "") return yield* new SettingsError({ message: `the token file ${tokenFile.value} is empty` })
      return Option.some(Redacted.make(token))
    }
    const env = yield* Config.option(Config.redacted("O1CODER_SERVE_TOKEN")).pipe(
      Effect.mapError((cause) => new SettingsError({ message: "O1CODER_SERVE_TOKEN", cause }))
    )
    return Option.filter(env, (t) => Redacted.value(t).trim() !== "")
  })

const positive = (name: string, fallback: number) => Config.integer(name).pipe(Config.withDefault(fallback), Config.validate({ message: `${name} must be positive`, validation: (n) => n > 0 }))

/** Limits from O1CODER_SERVE_MAX_BODY_BYTES, _MAX_BATCH, _QUEUE, _DEADLINE_MS, _RETRY_AFTER_S. */
export const limitsFromConfig = Config.all({
  maxBodyBytes: positive("O1CODER_SERVE_MAX_BODY_BYTES", defaults.maxBodyBytes),
  maxBatch: positive("O1CODER_SERVE_MAX_BATCH", defaults.maxBatch),
  queueCapacity: positive("O1CODER_SERVE_QUEUE", defaults.queueCapacity),
  deadlineMs: positive("O1CODER_SERVE_DEADLINE_MS", defaults.deadlineMs),
  retryAfterSeconds: positive("O1CODER_SERVE_RETRY_AFTER_S", defaults.retryAfterSeconds)
})

/** Refuses a server reachable from other machines without a token. */
export const checked = (settings: ServeSettings): Effect.Effect<ServeSettings, SettingsError> =>
  !isLoopback(settings.host) && Option.isNone(settings.token)
    ? Effect.fail(
        new SettingsError({
          message: `refusing to listen on ${settings.host} without a token: pass --token-file FILE or set O1CODER_SERVE_TOKEN (loopback needs none)`
        })
      )
    : settings.maxBatch > settings.queueCapacity
      ? Effect.fail(new SettingsError({ message: `the batch limit (${settings.maxBatch}) exceeds the queue (${settings.queueCapacity}): no full batch could ever be admitted` }))
      : Effect.succeed(settings)

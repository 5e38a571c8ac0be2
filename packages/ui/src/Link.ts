import { FetchHttpClient, HttpClient, HttpClientResponse } from "@effect/platform"
import { Database } from "@o1coder/store"
import { Config, Effect, Option } from "effect"
import * as NodePath from "node:path"
import { Health } from "./Api.ts"
import { DEFAULT_HOST, DEFAULT_PORT } from "./UiServer.ts"

/** The store as /api/health names it: a PGlite directory made absolute, or the Postgres URL without its password. */
export const storeLabel = (target: Database.DatabaseTarget): string =>
  target._tag === "Pglite" && target.dataDir !== undefined ? `pglite ${NodePath.resolve(target.dataDir)}` : Database.describeTarget(target)

/** O1CODER_UI_URL: where the CLI looks for a running `o1coder ui` (default http://127.0.0.1:8751). */
export const uiUrl = Config.string("O1CODER_UI_URL").pipe(
  Config.withDefault(`http://${DEFAULT_HOST}:${DEFAULT_PORT}`),
  Config.map((url) => url.replace(/\/+$/, ""))
)

/** The UI at `base`, if one answers there within half a second. */
const probe = (base: string) =>
  HttpClient.get(`${base}/api/health`).pipe(
    Effect.flatMap(HttpClientResponse.schemaBodyJson(Health)),
    Effect.timeout("500 millis"),
    Effect.option,
    Effect.provide(FetchHttpClient.layer)
  )

/**
 * One line for the CLI's output that leads to `path` in the UI: its address when a UI on the
 * same store is running, else the command that serves it.
 */
export const pageLine = (path: string) =>
  Effect.gen(function* () {
    const base = yield* uiUrl
    const store = storeLabel(yield* Database.targetFromConfig)
    const running = yield* probe(base)
    if (Option.isSome(running) && running.value.store === store) return `ui: ${base}${path}`
    if (Option.isSome(running)) return `ui: the UI at ${base} reads another store (${running.value.store}); \`o1coder ui --port N\` serves this one`
    return `ui: \`o1coder ui\` serves ${base}${path}`
  }).pipe(Effect.orElseSucceed(() => `ui: \`o1coder ui\` serves ${path}`))

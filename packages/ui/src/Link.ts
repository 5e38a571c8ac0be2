import { FetchHttpClient, FileSystem, HttpClient, HttpClientResponse } from "@effect/platform"
import { Database } from "@o1coder/store"
import { Array as Arr, Config, Effect, Option, Schema } from "effect"
import * as NodePath from "node:path"
import { Health } from "./Api.ts"
import { DEFAULT_HOST, DEFAULT_PORT } from "./Address.ts"

/** The store as /api/health names it: a PGlite directory made absolute, or the Postgres URL without its password. */
export const storeLabel = (target: Database.DatabaseTarget): string =>
  target._tag === "Pglite" && target.dataDir !== undefined ? `pglite ${NodePath.resolve(target.dataDir)}` : Database.describeTarget(target)

/** O1CODER_UI_URL: where the CLI looks for a running `o1coder ui` without a record (default http://127.0.0.1:8751). */
export const uiUrl = Config.string("O1CODER_UI_URL").pipe(
  Config.withDefault(`http://${DEFAULT_HOST}:${DEFAULT_PORT}`),
  Config.map((url) => url.replace(/\/+$/, ""))
)

/**
 * Where a running `o1coder ui` writes its address for the store it serves: beside a PGlite
 * directory (`.o1coder/ui.json` for `.o1coder/db`), else `.o1coder/ui-postgres.json` here.
 */
export const recordPath = (target: Database.DatabaseTarget): string =>
  target._tag === "Pglite" && target.dataDir !== undefined
    ? NodePath.join(NodePath.dirname(NodePath.resolve(target.dataDir)), "ui.json")
    : NodePath.resolve(".o1coder", target._tag === "Postgres" ? "ui-postgres.json" : "ui-memory.json")

const UiRecord = Schema.Struct({ url: Schema.String, store: Schema.String, pid: Schema.Number })
const decodeRecord = Schema.decodeUnknown(Schema.parseJson(UiRecord))
const encodeRecord = Schema.encode(Schema.parseJson(UiRecord, { space: 2 }))

/**
 * Records that the UI at `url` serves `target`'s store, for as long as the current scope lasts
 * (the record is removed when the UI stops, unless another UI has replaced it since).
 */
export const record = (target: Database.DatabaseTarget, url: string) =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const path = recordPath(target)
    const text = yield* encodeRecord({ url, store: storeLabel(target), pid: process.pid })
    yield* fs.makeDirectory(NodePath.dirname(path), { recursive: true })
    yield* fs.writeFileString(path, `${text}\n`)
    yield* Effect.addFinalizer(() =>
      fs.readFileString(path).pipe(
        Effect.flatMap(decodeRecord),
        Effect.flatMap((r) => (r.url === url && r.pid === process.pid ? fs.remove(path) : Effect.void)),
        Effect.ignore
      )
    )
    return path
  })

/** The URL a running UI recorded for `target`'s store, if any. */
const recorded = (target: Database.DatabaseTarget) =>
  Effect.flatMap(FileSystem.FileSystem, (fs) => fs.readFileString(recordPath(target))).pipe(
    Effect.flatMap(decodeRecord),
    Effect.map((r) => r.url),
    Effect.option
  )

/** The UI at `base`, if one answers there within a second. */
const probe = (base: string) =>
  HttpClient.get(`${base}/api/health`).pipe(
    Effect.flatMap(HttpClientResponse.schemaBodyJson(Health)),
    Effect.scoped,
    Effect.timeout("1 second"),
    Effect.option,
    Effect.provide(FetchHttpClient.layer)
  )

/**
 * One line for the CLI's output that leads to `path` in the UI: its address when a UI on the
 * same store is running (the one it recorded, else the one at O1CODER_UI_URL, each verified by a
 * request), else the command that serves it.
 */
export const pageLine = (path: string) =>
  Effect.gen(function* () {
    const target = yield* Database.targetFromConfig
    const store = storeLabel(target)
    const fallback = yield* uiUrl
    const candidates = Arr.dedupe([...Option.toArray(yield* recorded(target)), fallback])
    const answered: Array<{ base: string; store: string }> = []
    for (const base of candidates) {
      const health = yield* probe(base)
      if (Option.isNone(health)) continue
      if (health.value.store === store) return `ui: ${base}${path}`
      answered.push({ base, store: health.value.store })
    }
    const other = answered[0]
    if (other !== undefined) return `ui: the UI at ${other.base} reads another store (${other.store}); \`o1coder ui --port 0\` serves this one`
    return `ui: \`o1coder ui\` serves this at ${fallback}${path}`
  }).pipe(Effect.orElseSucceed(() => `ui: \`o1coder ui\` serves this at ${path}`))

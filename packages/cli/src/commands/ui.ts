import { Command, Options } from "@effect/cli"
import * as Demo from "@o1coder/selfplay/Demo"
import { Database } from "@o1coder/store"
import { UiLink, UiServer } from "@o1coder/ui"
import { Config, Console, Effect, Option } from "effect"
import * as NodeFs from "node:fs"
import { provide, withStore } from "../Layers.ts"

const port = Options.integer("port").pipe(
  Options.withDefault(UiServer.DEFAULT_PORT),
  Options.withDescription("Port to listen on (0: any free port).")
)
const host = Options.text("host").pipe(
  Options.withDefault(UiServer.DEFAULT_HOST),
  Options.withDescription("Address to listen on; 127.0.0.1 keeps the UI to this machine.")
)

/**
 * The store to show: the configured one; with nothing configured and no `.o1coder/db` here, the
 * demo's (so that `o1coder demo && o1coder ui` shows the demo).
 */
const chooseStore = Effect.gen(function* () {
  const target = yield* Database.targetFromConfig
  const dataDirSet = Option.isSome(yield* Config.option(Config.string("O1CODER_DATA_DIR")))
  const demoDb = Demo.dbDir(Demo.DEMO_DATA_DIR)
  if (target._tag === "Pglite" && !dataDirSet && !NodeFs.existsSync(Database.DEFAULT_DATA_DIR) && NodeFs.existsSync(demoDb)) {
    return { target: { _tag: "Pglite", dataDir: demoDb } satisfies Database.DatabaseTarget, note: ` (the demo's: there is no ${Database.DEFAULT_DATA_DIR} here)` }
  }
  return { target, note: "" }
})

export const ui = Command.make("ui", { host, port }, ({ host, port }) =>
  Effect.gen(function* () {
    const { note, target } = yield* chooseStore
    const serve = Effect.gen(function* () {
      const url = yield* UiServer.start({ host, port, store: UiLink.storeLabel(target) }).pipe(
        Effect.catchTag("ServeError", (e) =>
          Effect.fail(
            new Error(
              `cannot listen on ${host}:${port}: ${e.cause instanceof Error ? e.cause.message : String(e.cause)}` +
                " (another o1coder ui? choose a free port with --port)"
            )
          )
        )
      )
      yield* UiLink.record(target, url)
      yield* Console.log(`o1coder ui: ${url}/`)
      yield* Console.log(`store: ${Database.describeTarget(target)}${note}; read-only. Ctrl-C stops it.`)
      return yield* Effect.never
    })
    // The store and the server live until Ctrl-C.
    return yield* serve.pipe(Effect.scoped, provide("views"), withStore(target))
  })
).pipe(
  Command.withDescription(
    "Serve a read-only web app over the store\n" +
      "Runs with per-round charts, stages, datasets, jobs and model lineage; interactive search trees (click a node\n" +
      "for its step, code and verdicts); problems and their generated suites. Pages of a run or search still going\n" +
      "update by themselves. Prints its address (http://127.0.0.1:8751/ by default) and opens nothing; after\n" +
      "`o1coder demo` it shows the demo's store. While it runs, `o1coder status`, `report`, `search` and `tree`\n" +
      "print the page of what they show (it records its address beside the store: .o1coder/ui.json).\n\n" +
      "Example:\n" +
      "  o1coder ui --port 0"
  )
)

export const commands = [ui] as const

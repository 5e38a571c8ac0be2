import { Database } from "@o1coder/store"
import { RunsRepo } from "@o1coder/store/RunsRepo"
import * as TestDatabase from "@o1coder/store/TestDatabase"
import { Effect, Layer, Redacted } from "effect"
import * as NodeFs from "node:fs"
import * as NodeOs from "node:os"
import * as NodePath from "node:path"
import { describe, expect, it } from "vitest"
import { runCli, startCli } from "./helpers.ts"

/**
 * The CLI's links to the UI, end to end: `o1coder report` names the command that serves the run's
 * page; once `o1coder ui` runs on the same store it prints the page's URL (Postgres: two processes
 * may share it).
 */
const RUN = "run-ui-links"
/** Nothing listens on port 1: without a record the CLI finds no UI. */
const NOBODY = "http://127.0.0.1:1"

describe("o1coder report and the UI", () => {
  it("prints the command that serves the page, then the page's URL while o1coder ui runs", { timeout: 180_000 }, async () => {
    await Effect.runPromise(
      Effect.scoped(
        Effect.gen(function* () {
          const { url } = yield* TestDatabase.freshPostgresUrl
          yield* Effect.flatMap(RunsRepo, (runs) => runs.create({ id: RUN, name: "links", config: {} })).pipe(
            Effect.provide(RunsRepo.Default.pipe(Layer.provide(Database.layer({ _tag: "Postgres", url: Redacted.make(url) }))))
          )
          const cwd = NodeFs.mkdtempSync(NodePath.join(NodeOs.tmpdir(), "o1-ui-links-"))
          const env = { DATABASE_URL: url, O1CODER_UI_URL: NOBODY }
          const report = () => Effect.promise(() => runCli(["report", RUN], { cwd, env }))

          const before = yield* report()
          expect(before.code, before.stderr).toBe(0)
          expect(before.stdout).toContain(`ui: \`o1coder ui\` serves this at ${NOBODY}/runs/${RUN}`)

          const ui = startCli(["ui", "--port", "0"], { cwd, env })
          yield* Effect.addFinalizer(() => Effect.promise(() => (ui.child.kill("SIGTERM"), ui.done)))
          const address = yield* Effect.promise(
            () =>
              new Promise<string>((resolve, reject) => {
                let out = ""
                ui.child.stdout!.on("data", (d) => {
                  out += d
                  const m = out.match(/^o1coder ui: (http:\/\/\S+?)\/$/m)
                  if (m) resolve(m[1]!)
                })
                void ui.done.then((r) => reject(new Error(`o1coder ui exited ${r.code}: ${r.stderr}`)))
              })
          )
          const during = yield* report()
          expect(during.stdout).toContain(`ui: ${address}/runs/${RUN}`)

          const stopped = yield* Effect.promise(() => (ui.child.kill("SIGTERM"), ui.done))
          expect(stopped.signal ?? stopped.code).not.toBeNull()
          expect(NodeFs.existsSync(NodePath.join(cwd, ".o1coder", "ui-postgres.json"))).toBe(false)
          NodeFs.rmSync(cwd, { recursive: true, force: true })
        })
      )
    )
  })
})

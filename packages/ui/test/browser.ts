import { HttpServer } from "@effect/platform"
import * as TestDatabase from "@o1coder/store/TestDatabase"
import { Context, Effect, Layer } from "effect"
import * as NodeFs from "node:fs"
import * as NodeOs from "node:os"
import * as NodePath from "node:path"
import { chromium, type BrowserContext, type Page } from "playwright-core"
import * as UiServer from "../src/UiServer.ts"
import { Views } from "../src/Views.ts"
import { repositories, seed } from "./fixtures.ts"

/**
 * What the browser tests share: Debian's chromium driven by playwright-core, and the UI server
 * over an in-memory PGlite store seeded with the fixture run (written through the repositories).
 */
export const CHROMIUM = "/usr/bin/chromium"
export const chromiumMissing = !NodeFs.existsSync(CHROMIUM)

const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync"
]

/** A chromium with a fresh profile (its own --user-data-dir), removed when the scope closes. */
export class Browser extends Context.Tag("ui-test/Browser")<Browser, BrowserContext>() {}

export const browserLayer = Layer.scoped(
  Browser,
  Effect.acquireRelease(
    Effect.promise(async () => {
      const profile = NodeFs.mkdtempSync(NodePath.join(NodeOs.tmpdir(), "o1coder-ui-chromium-"))
      // playwright passes the profile as --user-data-dir (it refuses the flag in `args`).
      const context = await chromium.launchPersistentContext(profile, {
        executablePath: CHROMIUM,
        headless: true,
        args: FLAGS,
        viewport: { width: 1280, height: 860 }
      })
      context.setDefaultTimeout(30_000)
      return Object.assign(context, { profile })
    }),
    (context) =>
      Effect.promise(async () => {
        await context.close()
        NodeFs.rmSync(context.profile, { recursive: true, force: true })
      })
  )
)

/** The UI server over a fresh seeded store; `extra` writes more rows before it starts. */
export const serverLayer = <E>(extra: Effect.Effect<unknown, E, Layer.Layer.Success<typeof repositories>> = Effect.void) =>
  UiServer.layer({ host: "127.0.0.1", port: 0, store: "browser test store", refresh: "200 millis" }).pipe(
    Layer.provideMerge(Views.Default),
    Layer.provideMerge(Layer.effectDiscard(Effect.zipRight(seed, extra))),
    Layer.provideMerge(repositories),
    Layer.provideMerge(TestDatabase.pglite)
  )

export const baseUrl = Effect.map(HttpServer.HttpServer, (server) => UiServer.urlOf(server.address))

/** A promise from playwright as an effect (a rejection fails the test). */
export const pw = <A>(f: () => Promise<A>) => Effect.promise(f)

/**
 * A tab that records the page's uncaught errors; `errors` is checked at the end of a test (the
 * front-end must never throw).
 */
export const openTab = Effect.gen(function* () {
  const context = yield* Browser
  const page = yield* pw(() => context.newPage())
  const errors: Array<string> = []
  page.on("pageerror", (e) => errors.push(e.message))
  page.on("console", (m) => {
    if (m.type() === "error" && !m.text().includes("404")) errors.push(m.text())
  })
  yield* Effect.addFinalizer(() => pw(() => page.close()))
  return { page, errors }
})

/** Screenshots of one test file, in a folder named after it (printed, kept after the run). */
export const screenshotDir = (name: string) => {
  const dir = NodePath.join(NodeOs.tmpdir(), "o1coder-ui-screenshots", name)
  NodeFs.rmSync(dir, { recursive: true, force: true })
  NodeFs.mkdirSync(dir, { recursive: true })
  console.log(`screenshots: ${dir}`)
  return dir
}

export const shot = (page: Page, dir: string, file: string) => pw(() => page.screenshot({ path: NodePath.join(dir, file), fullPage: false }))

/** Waits for the router to have drawn a page of `kind` (`data-page` on its root). */
export const pageOf = (page: Page, kind: string) => pw(() => page.waitForSelector(`#app[data-ready] [data-page="${kind}"]`))

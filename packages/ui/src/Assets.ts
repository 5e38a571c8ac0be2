import { Data, Effect } from "effect"
import * as NodeFs from "node:fs"
import { fileURLToPath } from "node:url"

/** The front-end's sources: hand-written HTML and CSS, and TypeScript bundled by esbuild. */
const WEB_DIR = fileURLToPath(new URL("../web/", import.meta.url))

export class AssetsError extends Data.TaggedError("AssetsError")<{ readonly reason: string; readonly cause?: unknown }> {
  override get message() {
    return `o1coder ui: cannot build the front-end: ${this.reason}`
  }
}

export interface Assets {
  readonly html: string
  readonly css: string
  readonly js: string
  /** Milliseconds the bundle took. */
  readonly bundleMs: number
}

const read = (file: string) =>
  Effect.try({
    try: () => NodeFs.readFileSync(`${WEB_DIR}${file}`, "utf8"),
    catch: (cause) => new AssetsError({ reason: `cannot read web/${file}`, cause })
  })

/**
 * Reads the page and the stylesheet and bundles `web/main.ts` (one ES module, no source maps) in
 * memory, once per server: nothing to go stale, nothing fetched from a network at any point.
 */
export const load = Effect.gen(function* () {
  const started = Date.now()
  const esbuild = yield* Effect.tryPromise({
    try: () => import("esbuild"),
    catch: (cause) => new AssetsError({ reason: "esbuild is not installed (run npm ci)", cause })
  })
  const result = yield* Effect.tryPromise({
    try: () =>
      esbuild.build({
        entryPoints: [`${WEB_DIR}main.ts`],
        bundle: true,
        write: false,
        format: "esm",
        target: "es2022",
        platform: "browser",
        minify: true,
        legalComments: "none",
        logLevel: "silent"
      }),
    catch: (cause) => new AssetsError({ reason: String((cause as Error)?.message ?? cause), cause })
  })
  const js = result.outputFiles[0]?.text
  if (js === undefined) return yield* new AssetsError({ reason: "esbuild produced no output" })
  return { html: yield* read("index.html"), css: yield* read("style.css"), js, bundleMs: Date.now() - started } satisfies Assets
})

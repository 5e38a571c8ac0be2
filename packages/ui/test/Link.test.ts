import { FileSystem } from "@effect/platform"
import { NodeFileSystem } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import * as TestDatabase from "@o1coder/store/TestDatabase"
import { ConfigProvider, Effect, Layer } from "effect"
import * as NodeFs from "node:fs"
import * as NodeOs from "node:os"
import * as NodePath from "node:path"
import * as UiLink from "../src/Link.ts"
import * as UiServer from "../src/UiServer.ts"
import { Views } from "../src/Views.ts"
import { repositories } from "./fixtures.ts"

/** Nothing listens on port 1 of the loopback: the configured fallback address finds no UI. */
const NOBODY = "http://127.0.0.1:1"

const withStore = (dataDir: string) =>
  Effect.withConfigProvider(ConfigProvider.fromMap(new Map([["O1CODER_DATA_DIR", dataDir], ["O1CODER_UI_URL", NOBODY]])))

/** A UI serving `store` (as /api/health names it) that records itself for `target`; returns its URL. */
const runningUi = (target: Parameters<typeof UiLink.record>[0], store: string) =>
  Effect.gen(function* () {
    const url = yield* UiServer.start({ host: "127.0.0.1", port: 0, store })
    yield* UiLink.record(target, url)
    return url
  }).pipe(Effect.provide(Views.Default.pipe(Layer.provide(repositories), Layer.provide(TestDatabase.pglite))))

describe("links from the CLI to the UI", () => {
  it.live("the page URL while a UI on the same store runs (found from its record), else the command that serves it", () =>
    Effect.gen(function* () {
      const dir = NodeFs.mkdtempSync(NodePath.join(NodeOs.tmpdir(), "o1coder-ui-link-"))
      const target = { _tag: "Pglite", dataDir: NodePath.join(dir, "db") } as const
      const line = UiLink.pageLine("/runs/r1").pipe(withStore(target.dataDir))

      expect(yield* line).toBe(`ui: \`o1coder ui\` serves this at ${NOBODY}/runs/r1`)

      yield* Effect.scoped(
        Effect.gen(function* () {
          const url = yield* runningUi(target, UiLink.storeLabel(target))
          expect(url).not.toBe(NOBODY)
          expect(UiLink.recordPath(target)).toBe(NodePath.join(dir, "ui.json"))
          expect(JSON.parse(NodeFs.readFileSync(UiLink.recordPath(target), "utf8"))).toMatchObject({ url, store: `pglite ${target.dataDir}` })
          expect(yield* line).toBe(`ui: ${url}/runs/r1`)
        })
      )
      // Stopped: its record is gone, and the line names the command again.
      expect(NodeFs.existsSync(UiLink.recordPath(target))).toBe(false)
      expect(yield* line).toBe(`ui: \`o1coder ui\` serves this at ${NOBODY}/runs/r1`)

      // A record whose UI answers for another store is not taken for this one.
      yield* Effect.scoped(
        Effect.gen(function* () {
          const url = yield* runningUi(target, "pglite /somewhere/else")
          expect(yield* line).toBe(`ui: the UI at ${url} reads another store (pglite /somewhere/else); \`o1coder ui --port 0\` serves this one`)
        })
      )
      // A stale record (its UI is gone) is verified by a request, not trusted.
      yield* Effect.flatMap(FileSystem.FileSystem, (fs) =>
        fs.writeFileString(UiLink.recordPath(target), JSON.stringify({ url: "http://127.0.0.1:2", store: UiLink.storeLabel(target), pid: 1 }))
      )
      expect(yield* line).toBe(`ui: \`o1coder ui\` serves this at ${NOBODY}/runs/r1`)
      NodeFs.rmSync(dir, { recursive: true, force: true })
    }).pipe(Effect.provide(NodeFileSystem.layer))
  )
})

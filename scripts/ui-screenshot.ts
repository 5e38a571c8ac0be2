/**
 * The README's screenshots of `o1coder ui`: serves a store (default the demo's, .o1coder/demo/db;
 * run `npx o1coder demo` first), opens its latest run and that run's largest solved tree in
 * Debian's chromium, and writes docs/ui-run.png and docs/ui-tree.png.
 *
 * usage: npx tsx scripts/ui-screenshot.ts [PGLITE_DIR]
 */
import { NodeContext } from "@effect/platform-node"
import { Database } from "@o1coder/store"
import { UiServer, Views } from "@o1coder/ui"
import { Effect, Layer } from "effect"
import * as NodeFs from "node:fs"
import * as NodeOs from "node:os"
import * as NodePath from "node:path"
import { chromium } from "playwright-core"

const dataDir = process.argv[2] ?? ".o1coder/demo/db"
const docs = NodePath.join(import.meta.dirname, "..", "docs")
if (!NodeFs.existsSync(dataDir)) {
  console.error(`no store at ${dataDir}: run \`npx o1coder demo\` first (or name a PGlite directory)`)
  process.exit(1)
}
const target: Database.DatabaseTarget = { _tag: "Pglite", dataDir }

const shoot = (base: string) =>
  Effect.promise(async () => {
    const profile = NodeFs.mkdtempSync(NodePath.join(NodeOs.tmpdir(), "o1coder-ui-shot-"))
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: "/usr/bin/chromium",
      headless: true,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
      viewport: { width: 1200, height: 760 }
    })
    try {
      const page = await context.newPage()
      const runs = (await (await fetch(`${base}/api/runs`)).json()) as ReadonlyArray<{ id: string }>
      const run = runs[0]
      if (run === undefined) throw new Error(`no run in ${dataDir}`)
      await page.goto(`${base}/runs/${encodeURIComponent(run.id)}`)
      await page.waitForSelector('#app[data-ready] [data-page="run"] figure.chart')
      await page.screenshot({ path: NodePath.join(docs, "ui-run.png") })
      const detail = (await (await fetch(`${base}/api/runs/${encodeURIComponent(run.id)}`)).json()) as {
        searches: ReadonlyArray<{ id: string; nodes: number; solved: boolean; round: number | null }>
      }
      const tree = [...detail.searches].filter((s) => s.solved).sort((a, b) => (b.round ?? 0) - (a.round ?? 0) || b.nodes - a.nodes)[0]
      if (tree !== undefined) {
        await page.goto(`${base}/searches/${encodeURIComponent(tree.id)}`)
        await page.waitForSelector('svg.tree[data-render-ms]')
        await page.waitForSelector('[data-panel="node"] [data-node] [data-table="verdicts"]')
        await page.screenshot({ path: NodePath.join(docs, "ui-tree.png") })
      }
      return [run.id, tree?.id] as const
    } finally {
      await context.close()
      NodeFs.rmSync(profile, { recursive: true, force: true })
    }
  })

const program = Effect.gen(function* () {
  // The store as the README's reader would see it (relative, not this machine's absolute path).
  const url = yield* UiServer.start({ host: "127.0.0.1", port: 0, store: Database.describeTarget(target) })
  const [run, tree] = yield* shoot(url)
  for (const file of ["ui-run.png", "ui-tree.png"]) {
    const path = NodePath.join(docs, file)
    if (NodeFs.existsSync(path)) console.log(`${path}: ${(NodeFs.statSync(path).size / 1024).toFixed(0)} KiB`)
  }
  console.log(`run ${run}, tree ${tree ?? "(no solved search)"}`)
}).pipe(Effect.scoped, Effect.provide(Views.Default.pipe(Layer.provide(Database.layer(target)), Layer.provideMerge(NodeContext.layer))))

Effect.runPromise(program).catch((e) => {
  console.error(e)
  process.exit(1)
})

#!/usr/bin/env node
// Bundles the CLI into packages/cli/dist/ so that `o1coder` starts without compiling TypeScript.
//
// Workspace sources and registry packages are bundled into content-hashed files (an entry and
// lazily loaded chunks); packages that load native addons, wasm or data files from their own
// directory stay external. Source files that find files next to themselves
// (`new URL("../python/x.py", import.meta.url)`: Python helpers, migrations, demo data) get
// `import.meta.url` rewritten to their own source location, so they find the same files from
// the bundle as from `src/`.
//
// dist/current.json names the entry and lists every bundled workspace source with its size and
// mtime: the bin compares it with the sources at start and rebuilds when one changed, so a stale
// bundle never runs. It is replaced by a rename and bundle files are never overwritten, so a
// command started from an older build keeps loading its own chunks.
//
// usage: node scripts/build-cli.mjs [--quiet]
import * as NodeFs from "node:fs"
import * as NodePath from "node:path"
import { fileURLToPath } from "node:url"

const root = fileURLToPath(new URL("..", import.meta.url))
const outdir = NodePath.join(root, "packages/cli/dist")
const quiet = process.argv.includes("--quiet")

/** Packages that load native addons, wasm or data files relative to their own files. */
const external = ["@electric-sql/pglite", "node-llama-cpp", "pg-native", "msgpackr-extract", "tsx", "esbuild"]

/** Keeps `import.meta.url` meaning "this source file" inside the bundle. */
const sourceUrls = {
  name: "source-import-meta-url",
  setup(build) {
    build.onLoad({ filter: /[\\/]packages[\\/][^\\/]+[\\/]src[\\/].*\.ts$/ }, async (args) => {
      const text = await NodeFs.promises.readFile(args.path, "utf8")
      const relative = NodePath.relative(outdir, args.path).split(NodePath.sep).join("/")
      const contents = text.includes("import.meta.url")
        ? text.replaceAll("import.meta.url", `new URL(${JSON.stringify(relative)}, import.meta.url).href`)
        : text
      return { contents, loader: "ts" }
    })
  }
}

/** Files whose change makes the bundle stale: the workspace sources it holds and the lockfile. */
const watched = (metafile) =>
  [...Object.keys(metafile.inputs).filter((file) => !file.includes("node_modules")), "package-lock.json"]
    .map((file) => NodePath.resolve(root, file))
    .filter((file) => NodeFs.existsSync(file))
    .map((file) => {
      const stat = NodeFs.statSync(file)
      return { path: NodePath.relative(outdir, file), size: stat.size, mtimeMs: stat.mtimeMs }
    })

/** Removes bundle files of earlier builds that no process has needed for two days. */
const prune = (keep) => {
  const cutoff = Date.now() - 2 * 24 * 3600 * 1000
  for (const file of NodeFs.readdirSync(outdir)) {
    const path = NodePath.join(outdir, file)
    const stat = NodeFs.statSync(path, { throwIfNoEntry: false })
    if (stat?.isFile() && path.endsWith(".mjs") && !keep.has(path) && stat.mtimeMs < cutoff) NodeFs.rmSync(path, { force: true })
  }
}

export const build = async () => {
  const esbuild = await import("esbuild")
  const started = Date.now()
  const result = await esbuild.build({
    absWorkingDir: root,
    entryPoints: { o1coder: "packages/cli/src/main.ts" },
    bundle: true,
    splitting: true,
    platform: "node",
    format: "esm",
    target: "node20",
    outdir,
    entryNames: "[name]-[hash]",
    chunkNames: "[name]-[hash]",
    outExtension: { ".js": ".mjs" },
    minifyWhitespace: true,
    minifySyntax: true,
    metafile: true,
    logLevel: "warning",
    external,
    // Bundled CommonJS packages call require() for Node built-ins.
    banner: { js: 'import { createRequire as __o1Require } from "node:module"; const require = __o1Require(import.meta.url);' },
    plugins: [sourceUrls]
  })
  const outputs = Object.keys(result.metafile.outputs).map((file) => NodePath.resolve(root, file))
  const entry = outputs.find((file) => NodePath.basename(file).startsWith("o1coder-"))
  const current = { entry: NodePath.relative(outdir, entry), inputs: watched(result.metafile) }
  const staging = NodePath.join(outdir, `current.json.tmp-${process.pid}`)
  NodeFs.writeFileSync(staging, JSON.stringify(current))
  NodeFs.renameSync(staging, NodePath.join(outdir, "current.json"))
  prune(new Set(outputs))
  if (!quiet) {
    const bytes = Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0)
    console.log(
      `built packages/cli/dist/${current.entry} and ${outputs.length - 1} lazily loaded chunks ` +
        `(${(bytes / 1e6).toFixed(1)} MB, ${current.inputs.length} watched sources, ${Date.now() - started} ms)`
    )
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await build()

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
// usage: node scripts/build-cli.mjs [--quiet] [--if-stale]
//        node scripts/build-cli.mjs --check      exit 0 when the bundle is current, 1 when not
import * as NodeFs from "node:fs"
import * as NodePath from "node:path"
import { fileURLToPath } from "node:url"

const root = fileURLToPath(new URL("..", import.meta.url))
const outdir = NodePath.join(root, "packages/cli/dist")
const currentFile = NodePath.join(outdir, "current.json")

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

/**
 * Writes a content-hashed output unless it is already there, by a rename: a running command may be
 * loading that very file, and another build may be writing it at the same time.
 */
const writeOnce = (path, contents) => {
  const now = new Date()
  if (NodeFs.statSync(path, { throwIfNoEntry: false })?.size === contents.length) NodeFs.utimesSync(path, now, now)
  else replace(path, contents)
}

const replace = (path, contents) => {
  const staging = `${path}.tmp-${process.pid}`
  NodeFs.writeFileSync(staging, contents)
  NodeFs.renameSync(staging, path)
}

/** Removes bundle files of earlier builds that no process has needed for two days. */
const prune = (keep) => {
  const cutoff = Date.now() - 2 * 24 * 3600 * 1000
  for (const file of NodeFs.readdirSync(outdir)) {
    const path = NodePath.join(outdir, file)
    const stat = NodeFs.statSync(path, { throwIfNoEntry: false })
    if (stat?.isFile() && path.endsWith(".mjs") && !keep.has(path) && stat.mtimeMs < cutoff) NodeFs.rmSync(path, { force: true })
  }
}

/** The entry of the current bundle when no source changed since it was built, else undefined. */
export const freshEntry = () => {
  let current
  try {
    current = JSON.parse(NodeFs.readFileSync(currentFile, "utf8"))
  } catch {
    return undefined
  }
  const unchanged = current.inputs.every(({ path, size, mtimeMs }) => {
    const stat = NodeFs.statSync(NodePath.join(outdir, path), { throwIfNoEntry: false })
    return stat !== undefined && stat.size === size && stat.mtimeMs === mtimeMs
  })
  return unchanged ? NodePath.join(outdir, current.entry) : undefined
}

/** Bundles the CLI and returns the entry's path. */
export const build = async ({ quiet = false } = {}) => {
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
    write: false,
    logLevel: "warning",
    external,
    // Bundled CommonJS packages call require() for Node built-ins.
    banner: { js: 'import { createRequire as __o1Require } from "node:module"; const require = __o1Require(import.meta.url);' },
    plugins: [sourceUrls]
  })
  NodeFs.mkdirSync(outdir, { recursive: true })
  for (const file of result.outputFiles) writeOnce(file.path, file.contents)
  const outputs = result.outputFiles.map((file) => file.path)
  const entry = outputs.find((file) => NodePath.basename(file).startsWith("o1coder-"))
  const current = { entry: NodePath.relative(outdir, entry), inputs: watched(result.metafile) }
  replace(currentFile, JSON.stringify(current))
  prune(new Set(outputs))
  if (!quiet) {
    const bytes = Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0)
    console.log(
      `built packages/cli/dist/${current.entry} and ${outputs.length - 1} lazily loaded chunks ` +
        `(${(bytes / 1e6).toFixed(1)} MB, ${current.inputs.length} watched sources, ${Date.now() - started} ms)`
    )
  }
  return entry
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (process.argv.includes("--check")) process.exit(freshEntry() === undefined ? 1 : 0)
  const quiet = process.argv.includes("--quiet")
  if (!(process.argv.includes("--if-stale") && freshEntry() !== undefined)) await build({ quiet })
}

#!/usr/bin/env node
// Starts the bundled CLI (packages/cli/dist, built by `npm ci` through the root `prepare` script).
// When a source file changed since that build, it rebuilds first (about a second), so the bundle
// never runs stale code. Without esbuild it runs the TypeScript sources through tsx (slow start).
import { spawnSync } from "node:child_process"
import * as NodeFs from "node:fs"
import { fileURLToPath } from "node:url"

const dist = new URL("../dist/", import.meta.url)

const readCurrent = () => {
  try {
    return JSON.parse(NodeFs.readFileSync(new URL("current.json", dist), "utf8"))
  } catch {
    return undefined
  }
}

const isFresh = (current) =>
  current !== undefined &&
  current.inputs.every(({ path, size, mtimeMs }) => {
    const stat = NodeFs.statSync(new URL(path, dist), { throwIfNoEntry: false })
    return stat !== undefined && stat.size === size && stat.mtimeMs === mtimeMs
  })

let current = readCurrent()
if (!isFresh(current)) {
  const script = fileURLToPath(new URL("../../../scripts/build-cli.mjs", import.meta.url))
  const built = spawnSync(process.execPath, [script, "--quiet"], { stdio: ["ignore", "ignore", "pipe"], encoding: "utf8" })
  current = built.status === 0 ? readCurrent() : undefined
  if (current === undefined) {
    process.stderr.write(`o1coder: could not bundle the CLI, running from the TypeScript sources (slow start)\n${built.stderr ?? ""}`)
  }
}

if (current !== undefined) {
  await import(new URL(current.entry, dist).href)
} else {
  const { register } = await import("tsx/esm/api")
  register()
  await import("../src/main.ts")
}

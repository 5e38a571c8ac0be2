#!/usr/bin/env node
// Starts the bundled CLI (packages/cli/dist, built by `npm ci` through the root `prepare` script).
// When a source file changed since that build, it rebuilds first (a few seconds), so the bundle
// never runs stale code. If bundling fails it runs the TypeScript sources through tsx (slow start).
import { pathToFileURL } from "node:url"
import { build, freshEntry } from "../../../scripts/build-cli.mjs"

let entry = freshEntry()
if (entry === undefined) {
  try {
    entry = await build({ quiet: true })
  } catch (error) {
    process.stderr.write(`o1coder: could not bundle the CLI (${error.message}); running from the TypeScript sources (slow start)\n`)
  }
}

if (entry !== undefined) {
  await import(pathToFileURL(entry).href)
} else {
  const { register } = await import("tsx/esm/api")
  register()
  await import("../src/main.ts")
}

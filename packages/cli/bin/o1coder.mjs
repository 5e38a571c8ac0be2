#!/usr/bin/env node
// Runs the TypeScript CLI through tsx so that `npx o1coder` works right after `npm ci`.
import { register } from "tsx/esm/api"
register()
await import("../src/main.ts")

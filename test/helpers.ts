import * as SqlClient from "@effect/sql/SqlClient"
import { REPO_ROOT } from "@o1coder/domain"
import { Database } from "@o1coder/store"
export { pgAdmin } from "@o1coder/store/TestDatabase"
import { Effect } from "effect"
import { spawn, type ChildProcess } from "node:child_process"
import * as NodePath from "node:path"

/** The CLI entry point, run with the current node: the same program users start with `npx o1coder`. */
export const CLI = NodePath.join(REPO_ROOT, "packages/cli/bin/o1coder.mjs")

export interface CliResult {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly stdout: string
  readonly stderr: string
}

export interface CliOptions {
  readonly cwd?: string | undefined
  readonly env?: Record<string, string> | undefined
  /** Its own process group (a test can then signal the group, as a terminal's Ctrl-C does). */
  readonly detached?: boolean | undefined
  /** Called with each stderr line as it arrives (stage markers). */
  readonly onStderrLine?: ((line: string, child: ChildProcess) => void) | undefined
  /** A command the CLI runs under, which execs it (`ip netns exec NS`: in a network namespace). */
  readonly wrap?: ReadonlyArray<string> | undefined
}

export const startCli = (args: ReadonlyArray<string>, options: CliOptions = {}) => {
  const argv = [...(options.wrap ?? []), process.execPath, CLI, ...args]
  const child = spawn(argv[0]!, argv.slice(1), {
    cwd: options.cwd ?? REPO_ROOT,
    env: { ...process.env, NO_COLOR: "1", ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
    detached: options.detached ?? false
  })
  let stdout = ""
  let stderr = ""
  let partial = ""
  child.stdout!.on("data", (d) => (stdout += d))
  child.stderr!.on("data", (d: Buffer) => {
    stderr += d
    partial += d.toString()
    const lines = partial.split("\n")
    partial = lines.pop()!
    for (const line of lines) options.onStderrLine?.(line, child)
  })
  const done = new Promise<CliResult>((resolve) =>
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr }))
  )
  return { child, done }
}

export const runCli = (args: ReadonlyArray<string>, options: CliOptions = {}) => startCli(args, options).done

/** Runs `f` against a PGlite data directory (the process that wrote it must have exited). */
export const withPglite = <A>(dataDir: string, f: (sql: SqlClient.SqlClient) => Effect.Effect<A, unknown>) =>
  Effect.runPromise(
    Effect.flatMap(SqlClient.SqlClient, f).pipe(
      Effect.provide(Database.layer({ _tag: "Pglite", dataDir })),
      Effect.scoped
    ) as Effect.Effect<A, unknown, never>
  )


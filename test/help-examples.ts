import { loadAll } from "@o1coder/cli/commands/index"
import { describeCommand, type CommandHelp } from "@o1coder/cli/Help"
import { REPO_ROOT } from "@o1coder/domain"
import * as NodeFs from "node:fs"
import * as NodeOs from "node:os"
import * as NodePath from "node:path"
import { runCli, startCli, withPglite } from "./helpers.ts"

const flatten = (h: CommandHelp): Array<CommandHelp> => [h, ...h.subcommands.flatMap(flatten)]

/** Splits a shell-like example line into arguments (double quotes group; no other shell syntax). */
export const shellWords = (line: string): Array<string> => {
  const words: Array<string> = []
  for (const m of line.matchAll(/"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/g)) words.push(m[1] ?? m[2] ?? m[3]!)
  return words
}

/** Every example of every command's --help, as the command path and the example's words after `o1coder`. */
export const helpExamples = async (): Promise<Array<{ readonly command: string; readonly line: string; readonly args: Array<string> }>> => {
  const helps = (await loadAll()).map((c) => describeCommand(c, ["o1coder"])).flatMap(flatten)
  const examples: Array<{ command: string; line: string; args: Array<string> }> = []
  for (const help of helps) {
    const lines = help.description.split("\n")
    const start = lines.findIndex((l) => /^Examples?:$/.test(l))
    if (start < 0) continue
    let current = ""
    for (const l of lines.slice(start + 1)) {
      if (!l.startsWith("  ")) break
      current += (current === "" ? "" : " ") + l.trim().replace(/\\$/, "").trim()
      if (l.trimEnd().endsWith("\\")) continue
      const args = shellWords(current)
      if (args[0] === "o1coder") examples.push({ command: help.path.join(" "), line: current, args: args.slice(1) })
      current = ""
    }
  }
  return examples
}

/**
 * Runs every example of every `--help` against the demo's store in `demoDir`: each must exit 0 and
 * print something (not "(no rows)"). Placeholders (SEARCH_ID, JOB_ID, EVAL_ID) become ids from
 * that store; the examples run in a scratch directory that sees the checkout's packages/, recipes/
 * and ../shared like a clone does, so the files they write stay out of the repository. Returns the
 * failures, each with its output.
 */
export const runHelpExamples = async (demoDir: string): Promise<Array<string>> => {
  const db = NodePath.join(demoDir, "db")
  const ids = await withPglite(db, (sql) =>
    sql.unsafe<{ search: string; job: string; evaluation: string }>(`select
      (select id from searches where run_id is not null order by id limit 1) as search,
      (select id from training_jobs order by id limit 1) as job,
      (select id from evaluations order by id limit 1) as evaluation`)
  )
  const placeholders: Record<string, string> = { SEARCH_ID: ids[0]!.search, JOB_ID: ids[0]!.job, EVAL_ID: ids[0]!.evaluation }
  const scratch = NodeFs.mkdtempSync(NodePath.join(NodeOs.tmpdir(), "o1-examples-"))
  const cwd = NodePath.join(scratch, "repo")
  NodeFs.mkdirSync(cwd)
  for (const dir of ["packages", "recipes"]) NodeFs.symlinkSync(NodePath.join(REPO_ROOT, dir), NodePath.join(cwd, dir))
  NodeFs.symlinkSync(NodePath.resolve(REPO_ROOT, "../shared"), NodePath.join(scratch, "shared"))
  const env = { O1CODER_DATA_DIR: db, DATABASE_URL: "" }

  const examples = await helpExamples()
  if (examples.length < 30) return [`only ${examples.length} examples found in the help texts`]
  const failures: Array<string> = []
  for (const example of examples) {
    const args = example.args.map((a) => placeholders[a] ?? a)
    const missing = args.find((a) => a.includes("../shared/") && !NodeFs.existsSync(NodePath.resolve(cwd, a.replace(/^llama:/, ""))))
    if (missing !== undefined) {
      console.log(`skipped (data file absent: ${missing}): o1coder ${example.line}`)
      continue
    }
    // The store these run on is what `o1coder demo` left: the caller ran it.
    if (args[0] === "demo") continue
    // A runner joins a cluster through a shared Postgres, which the demo's store is not (test/cluster.test.ts runs runners).
    if (args[0] === "runner") {
      console.log(`skipped (needs a shared Postgres): o1coder ${example.line}`)
      continue
    }
    const started = Date.now()
    // Servers (ui, serve) work when they print where they listen; they are stopped then.
    const server = SERVERS[args[0]!]
    const result = server !== undefined ? await untilOutput(args, { cwd, env }, server) : await runCli(args, { cwd, env })
    const seconds = ((Date.now() - started) / 1000).toFixed(1)
    const out = result.stdout.trim()
    if (result.code !== 0 || out === "" || /^\(no rows\)$/m.test(out)) {
      failures.push(`o1coder ${args.join(" ")} (${example.command}): exit ${result.code}\n${(result.stderr.trim() || out).slice(-1500)}`)
    } else console.log(`ok ${seconds}s: o1coder ${args.join(" ")}`)
  }
  NodeFs.rmSync(scratch, { recursive: true, force: true })
  return failures
}

const SERVERS: Record<string, RegExp> = { ui: /o1coder ui: http:\/\/\S+/, serve: /o1coder serve: http:\/\/\S+/ }

/** Starts a long-running command (a server), waits until its output matches, then stops it (code 0 when it matched). */
const untilOutput = (args: ReadonlyArray<string>, options: { cwd: string; env: Record<string, string> }, ready: RegExp) =>
  new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    let matched = false
    const { child, done } = startCli(args, options)
    const timer = setTimeout(() => child.kill("SIGTERM"), 120_000)
    child.stdout!.on("data", (d: Buffer) => {
      if (!matched && ready.test(d.toString())) {
        matched = true
        child.kill("SIGTERM")
      }
    })
    void done.then((r) => {
      clearTimeout(timer)
      resolve({ code: matched ? 0 : r.code, stdout: r.stdout, stderr: r.stderr })
    })
  })

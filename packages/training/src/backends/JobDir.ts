import { Effect } from "effect"
import * as Fs from "node:fs"
import * as Path from "node:path"
import { TrainerError } from "../Errors.ts"
import { shellQuote } from "../Placeholders.ts"
import type { PreparedJob } from "./Backend.ts"

/**
 * The files of a job directory, shared by the local and Slurm backends:
 *
 * - `cmd.sh`: the rendered command; `run.sh`: runs it and then writes `exit` (its exit code,
 *   written atomically), so a finished job is known even when nothing watched it end;
 * - `pid`: the local wrapper's process (group) id; `cancelled`: written before a cancel kills it;
 * - the log file, `output/` (default output directory).
 */
export const files = (jobDir: string) => ({
  cmd: Path.join(jobDir, "cmd.sh"),
  run: Path.join(jobDir, "run.sh"),
  exit: Path.join(jobDir, "exit"),
  pid: Path.join(jobDir, "pid"),
  cancelled: Path.join(jobDir, "cancelled")
})

const envLines = (env: Record<string, string> | undefined) =>
  Object.entries(env ?? {})
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) throw new Error(`invalid environment variable name ${k}`)
      return `export ${k}=${shellQuote(v)}`
    })

/** Writes cmd.sh and run.sh (with `header` lines after the shebang) and clears a previous attempt's records. */
export const prepare = (job: PreparedJob, backend: string, header: ReadonlyArray<string> = []) =>
  Effect.try({
    try: () => {
      const f = files(job.jobDir)
      Fs.mkdirSync(job.jobDir, { recursive: true })
      Fs.mkdirSync(job.outputDir, { recursive: true })
      for (const stale of [f.exit, f.pid, f.cancelled]) Fs.rmSync(stale, { force: true })
      Fs.writeFileSync(f.cmd, `${job.command}\n`, { mode: 0o755 })
      const run = [
        "#!/bin/sh",
        ...header,
        `# o1coder training job ${job.id} (${job.spec.stage})`,
        `cd ${shellQuote(job.jobDir)}`,
        ...envLines(job.spec.env),
        `export O1CODER_JOB_ID=${shellQuote(job.id)} O1CODER_OUTPUT_DIR=${shellQuote(job.outputDir)}`,
        "sh ./cmd.sh",
        "code=$?",
        'echo "$code" > exit.tmp && mv exit.tmp exit',
        'exit "$code"'
      ]
      Fs.writeFileSync(f.run, `${run.join("\n")}\n`, { mode: 0o755 })
      return f
    },
    catch: (e) => new TrainerError({ backend, operation: "submit", reason: `cannot prepare ${job.jobDir}: ${String(e)}` })
  })

export const readExit = (jobDir: string): number | undefined => {
  try {
    const text = Fs.readFileSync(files(jobDir).exit, "utf8").trim()
    return text === "" ? undefined : Number(text)
  } catch {
    return undefined
  }
}

export const wasCancelled = (jobDir: string): boolean => Fs.existsSync(files(jobDir).cancelled)

export const markCancelled = (jobDir: string) => {
  Fs.mkdirSync(jobDir, { recursive: true })
  Fs.writeFileSync(files(jobDir).cancelled, new Date().toISOString())
}

export const readLog = (logPath: string, backend: string) =>
  Effect.try({
    try: () => (Fs.existsSync(logPath) ? Fs.readFileSync(logPath, "utf8") : ""),
    catch: (e) => new TrainerError({ backend, operation: "logs", reason: String(e) })
  })

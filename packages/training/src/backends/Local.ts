import { Effect, type Scope } from "effect"
import { spawn } from "node:child_process"
import * as Fs from "node:fs"
import { TrainerError } from "../Errors.ts"
import { tailLines, type JobHandle, type TrainingBackend } from "./Backend.ts"
import * as JobDir from "./JobDir.ts"

/** State letter and process group of a pid from /proc (Linux), undefined when it is gone. */
const procStat = (pid: number): { readonly state: string; readonly pgrp: number } | undefined => {
  try {
    const text = Fs.readFileSync(`/proc/${pid}/stat`, "utf8")
    const fields = text.slice(text.lastIndexOf(")") + 2).split(" ")
    return { state: fields[0]!, pgrp: Number(fields[2]) }
  } catch {
    return undefined
  }
}

const hasProc = Fs.existsSync("/proc/self/stat")

/** Alive and not a zombie (an exited child nobody reaped yet is not running). */
const alive = (pid: number): boolean => {
  if (hasProc) {
    const stat = procStat(pid)
    return stat !== undefined && stat.state !== "Z" && stat.state !== "X"
  }
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM"
  }
}

/**
 * Whether any non-zombie process of the group remains. Zombies count as gone: orphans are
 * reparented to PID 1, which in some containers never reaps them.
 */
export const groupAlive = (pgid: number): boolean => {
  if (!hasProc) return killGroup(pgid, 0 as unknown as NodeJS.Signals)
  for (const entry of Fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue
    const stat = procStat(Number(entry))
    if (stat !== undefined && stat.pgrp === pgid && stat.state !== "Z" && stat.state !== "X") return true
  }
  return false
}

const readPid = (jobDir: string): number | undefined => {
  try {
    const pid = Number(Fs.readFileSync(JobDir.files(jobDir).pid, "utf8").trim())
    return Number.isInteger(pid) && pid > 0 ? pid : undefined
  } catch {
    return undefined
  }
}

export interface LocalOptions {
  /**
   * Kill the jobs this process started when its scope closes (default false). By default a
   * local job is detached (its own session and process group) and outlives the o1coder process:
   * on resume its status comes from the job directory — the `exit` record when it finished, the
   * live `pid` while it runs. A job whose process is gone without an exit record (a reboot, a
   * SIGKILL) reports `failed`; submitting it again with `retry` re-runs it.
   */
  readonly killOnExit?: boolean
  /** Seconds between SIGTERM and SIGKILL on cancel (default 5). */
  readonly graceSeconds?: number
}

const fail = (operation: string) => (e: unknown) => new TrainerError({ backend: "local", operation, reason: String((e as Error)?.message ?? e) })

/** Signals a whole process group; false when it no longer exists. */
const killGroup = (pgid: number, signal: NodeJS.Signals): boolean => {
  try {
    process.kill(-pgid, signal)
    return true
  } catch {
    return false
  }
}

const stopGroup = (pgid: number, graceSeconds: number) =>
  Effect.gen(function* () {
    if (!killGroup(pgid, "SIGTERM")) return
    for (let i = 0; i < graceSeconds * 10; i++) {
      if (!groupAlive(pgid)) return
      yield* Effect.sleep("100 millis")
    }
    killGroup(pgid, "SIGKILL")
  })

/**
 * Runs jobs as child processes of this machine: `run.sh` in the job directory, in its own
 * process group, stdout and stderr to the log file. Exit code 0 → succeeded, other → failed;
 * cancel kills the group.
 */
export const make = (options: LocalOptions = {}): Effect.Effect<TrainingBackend, never, Scope.Scope> =>
  Effect.gen(function* () {
    const grace = options.graceSeconds ?? 5
    const started = new Set<number>()
    if (options.killOnExit === true) {
      yield* Effect.addFinalizer(() => Effect.forEach([...started], (pgid) => stopGroup(pgid, grace), { discard: true }))
    }

    const status: TrainingBackend["status"] = (job: JobHandle) =>
      Effect.sync(() => {
        if (JobDir.wasCancelled(job.jobDir)) return { status: "cancelled" as const, message: "cancelled" }
        const finished = (code: number) =>
          code === 0 ? { status: "succeeded" as const, message: null } : { status: "failed" as const, message: `exit code ${code}` }
        const code = JobDir.readExit(job.jobDir)
        if (code !== undefined) return finished(code)
        const pid = readPid(job.jobDir)
        if (pid !== undefined && alive(pid)) return { status: "running" as const, message: null }
        // The job may have written its exit record and ended between the two reads above.
        const late = JobDir.readExit(job.jobDir)
        if (late !== undefined) return finished(late)
        return { status: "failed" as const, message: "process gone without an exit record (killed or machine restarted); submit with retry to re-run" }
      })

    const submit: TrainingBackend["submit"] = (job) =>
      Effect.gen(function* () {
        const pid = readPid(job.jobDir)
        const running = pid !== undefined && alive(pid) && JobDir.readExit(job.jobDir) === undefined
        const finished = JobDir.readExit(job.jobDir) !== undefined && !JobDir.wasCancelled(job.jobDir)
        if (running || (finished && !job.retry)) return { externalId: String(pid ?? ""), attached: true }
        const f = yield* JobDir.prepare(job, "local")
        const child = yield* Effect.try({
          try: () => {
            const log = Fs.openSync(job.logPath, "a")
            try {
              const child = spawn("/bin/sh", [f.run], { cwd: job.jobDir, detached: true, stdio: ["ignore", log, log] })
              if (child.pid === undefined) throw new Error("spawn failed")
              Fs.writeFileSync(f.pid, String(child.pid))
              child.on("error", () => {})
              child.unref()
              return child
            } finally {
              Fs.closeSync(log)
            }
          },
          catch: fail("submit")
        })
        started.add(child.pid!)
        return { externalId: String(child.pid), attached: false }
      })

    const logs: TrainingBackend["logs"] = (job, tail) => Effect.map(JobDir.readLog(job.logPath, "local"), (t) => tailLines(t, tail))

    const cancel: TrainingBackend["cancel"] = (job) =>
      Effect.gen(function* () {
        const pid = readPid(job.jobDir)
        if (JobDir.readExit(job.jobDir) !== undefined) return
        yield* Effect.try({ try: () => JobDir.markCancelled(job.jobDir), catch: fail("cancel") })
        if (pid !== undefined) yield* stopGroup(pid, grace)
      })

    return { name: "local", submit, status, logs, cancel } satisfies TrainingBackend
  })

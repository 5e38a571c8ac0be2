import { Effect } from "effect"
import { execFile } from "node:child_process"
import { TrainerError } from "../Errors.ts"
import type { JobStatus } from "@o1coder/store/JobsRepo"
import { tailLines, type PreparedJob, type TrainingBackend } from "./Backend.ts"
import * as JobDir from "./JobDir.ts"

export interface SlurmOptions {
  /** Default partition when the spec names none. */
  readonly partition?: string
  /** Extra `#SBATCH` lines (without the prefix), e.g. `--account=ml`. */
  readonly extraDirectives?: ReadonlyArray<string>
}

const run = (operation: string, file: string, args: ReadonlyArray<string>) =>
  Effect.async<string, TrainerError>((resume) => {
    const child = execFile(file, args as Array<string>, { timeout: 60_000 }, (error, stdout, stderr) => {
      if (error) resume(Effect.fail(new TrainerError({ backend: "slurm", operation, reason: `${file} ${args.join(" ")}: ${(stderr || error.message).trim()}` })))
      else resume(Effect.succeed(stdout))
    })
    return Effect.sync(() => child.kill())
  })

/** The `#SBATCH` directives of a job; its name is the o1coder job id, so a lost submission can be found again. */
export const directives = (job: PreparedJob, options: SlurmOptions = {}): Array<string> => {
  const s = job.spec
  const lines = [`--job-name=${job.id}`, `--output=${job.logPath}`, `--chdir=${job.jobDir}`]
  const partition = s.partition ?? options.partition
  if (partition !== undefined) lines.push(`--partition=${partition}`)
  if (s.gpus !== undefined && s.gpus > 0) lines.push(`--gres=gpu:${s.gpus}`)
  if (s.cpus !== undefined) lines.push(`--cpus-per-task=${s.cpus}`)
  if (s.timeLimit !== undefined) lines.push(`--time=${s.timeLimit}`)
  if (s.name !== undefined) lines.push(`--comment=${s.name.replace(/\s+/g, "_")}`)
  return [...lines, ...(options.extraDirectives ?? [])].map((d) => `#SBATCH ${d}`)
}

/** Slurm job states (squeue/scontrol names) to ours. */
export const mapState = (state: string): JobStatus => {
  const s = state.toUpperCase()
  if (s === "COMPLETED") return "succeeded"
  if (s.startsWith("CANCELLED")) return "cancelled"
  if (["PENDING", "CONFIGURING", "REQUEUED", "REQUEUE_HOLD", "REQUEUE_FED", "RESV_DEL_HOLD"].includes(s)) return "pending"
  if (["RUNNING", "COMPLETING", "SUSPENDED", "STOPPED", "RESIZING", "SIGNALING", "STAGE_OUT"].includes(s)) return "running"
  return "failed" // FAILED, TIMEOUT, NODE_FAIL, OUT_OF_MEMORY, PREEMPTED, BOOT_FAIL, DEADLINE, ...
}

/** Fields of `scontrol show job` output (`Key=Value` pairs). */
export const parseScontrol = (text: string): Record<string, string> => {
  const out: Record<string, string> = {}
  for (const m of text.matchAll(/(?:^|\s)([A-Za-z:/]+)=(\S*)/g)) out[m[1]!] ??= m[2]!
  return out
}

/**
 * A Slurm cluster through its commands: `sbatch --parsable` to submit the generated script,
 * `scontrol show job` (and `squeue` to find a job by name) to watch, `scancel` to cancel. No
 * `sacct`: the job script writes its own exit record next to the log, which answers once
 * Slurm has forgotten the job. Log and job directory must be on storage the nodes share.
 */
export const make = (options: SlurmOptions = {}): TrainingBackend => {
  const findByName = (id: string) =>
    Effect.map(run("submit", "squeue", ["-h", "-n", id, "-o", "%i %T"]), (out) =>
      out.split("\n").map((l) => l.trim().split(/\s+/)).filter((p) => p.length === 2 && mapState(p[1]!) !== "cancelled").map((p) => p[0]!)
    )

  const submit: TrainingBackend["submit"] = (job) =>
    Effect.gen(function* () {
      const live = yield* findByName(job.id)
      if (live.length > 0) return { externalId: live[0]!, attached: true }
      const f = yield* JobDir.prepare(job, "slurm", directives(job, options))
      const out = yield* run("submit", "sbatch", ["--parsable", f.run])
      const externalId = out.trim().split(";")[0]!
      if (!/^\d+/.test(externalId)) return yield* new TrainerError({ backend: "slurm", operation: "submit", reason: `unexpected sbatch output: ${out}` })
      return { externalId, attached: false }
    })

  const status: TrainingBackend["status"] = (job) =>
    run("status", "scontrol", ["show", "job", job.externalId]).pipe(
      Effect.map((text) => {
        const f = parseScontrol(text)
        const state = f["JobState"] ?? "UNKNOWN"
        const mapped = mapState(state)
        const message = mapped === "failed" ? `${state} exit ${f["ExitCode"] ?? "?"} (${f["Reason"] ?? ""})` : mapped === "pending" ? `pending: ${f["Reason"] ?? ""}` : null
        return { status: mapped, message }
      }),
      // Slurm forgets finished jobs after MinJobAge: the exit record answers then.
      Effect.catchAll((e) =>
        /Invalid job id/i.test(e.reason)
          ? Effect.sync(() => {
              const code = JobDir.readExit(job.jobDir)
              if (JobDir.wasCancelled(job.jobDir)) return { status: "cancelled" as const, message: "cancelled" }
              if (code === undefined) return { status: "failed" as const, message: "unknown to Slurm and no exit record" }
              return code === 0 ? { status: "succeeded" as const, message: null } : { status: "failed" as const, message: `exit code ${code}` }
            })
          : Effect.fail(e)
      )
    )

  const logs: TrainingBackend["logs"] = (job, tail) => Effect.map(JobDir.readLog(job.logPath, "slurm"), (t) => tailLines(t, tail))

  const cancel: TrainingBackend["cancel"] = (job) =>
    Effect.gen(function* () {
      yield* Effect.try({ try: () => JobDir.markCancelled(job.jobDir), catch: (e) => new TrainerError({ backend: "slurm", operation: "cancel", reason: String(e) }) })
      // A job that ended meanwhile (or that Slurm forgot) needs no cancelling.
      yield* run("cancel", "scancel", [job.externalId]).pipe(
        Effect.catchIf((e) => /already completing or completed|Invalid job id/i.test(e.reason), () => Effect.void)
      )
    })

  return { name: "slurm", submit, status, logs, cancel }
}

import type { Effect } from "effect"
import type { JobStatus } from "@o1coder/store/JobsRepo"
import type { TrainerError } from "../Errors.ts"
import type { ResolvedSpec } from "../JobSpec.ts"

/** A job ready for a backend: its id, the rendered command and its directories. */
export interface PreparedJob {
  readonly id: string
  readonly spec: ResolvedSpec
  /** The command with placeholders replaced. */
  readonly command: string
  /** Holds scripts, the log and the exit record. */
  readonly jobDir: string
  readonly outputDir: string
  readonly logPath: string
  /** A deliberate re-run of a finished job: do not attach to the previous attempt's record. */
  readonly retry: boolean
}

/** What a backend needs to find a submitted job again (rebuilt from `training_jobs`). */
export interface JobHandle {
  readonly id: string
  readonly externalId: string
  readonly jobDir: string
  readonly logPath: string
}

export interface RemoteStatus {
  readonly status: JobStatus
  readonly message: string | null
}

/**
 * A training engine. `submit` is idempotent on the job id: when the engine already has the
 * job it attaches (`attached: true`) instead of starting a second one.
 */
export interface TrainingBackend {
  readonly name: "local" | "slurm" | "ray"
  readonly submit: (job: PreparedJob) => Effect.Effect<{ readonly externalId: string; readonly attached: boolean }, TrainerError>
  readonly status: (job: JobHandle) => Effect.Effect<RemoteStatus, TrainerError>
  /** The log text (the last `tail` lines when given). */
  readonly logs: (job: JobHandle, tail?: number) => Effect.Effect<string, TrainerError>
  readonly cancel: (job: JobHandle) => Effect.Effect<void, TrainerError>
}

export const tailLines = (text: string, tail: number | undefined): string => {
  if (tail === undefined) return text
  const lines = text.replace(/\n$/, "").split("\n")
  return lines.slice(Math.max(0, lines.length - tail)).join("\n")
}

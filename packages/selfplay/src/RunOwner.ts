import { RunOwner, type Run } from "@o1coder/domain"
import { RunsRepo } from "@o1coder/store/RunsRepo"
import { Duration, Effect, Schedule, Schema } from "effect"
import * as NodeOs from "node:os"

/**
 * Who drives a run, and whether it still does. The driving process records itself (host, pid,
 * start time) and beats every few seconds; a reader trusts a `running` status only while that
 * process exists (same host) and its heartbeat is recent (any host, by the database's clock).
 */
export const HEARTBEAT_EVERY = Duration.seconds(5)

/** A heartbeat older than this means the owner is gone (or frozen): generous, for loaded machines. */
export const STALE_AFTER_SECONDS = 120

export const currentOwner = (): RunOwner =>
  new RunOwner({ host: NodeOs.hostname(), pid: process.pid, startedAt: new Date(Date.now() - process.uptime() * 1000) })

/** Whether a process with this pid exists on this host (EPERM: it exists, owned by someone else). */
export const pidExists = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM"
  }
}

export type Liveness =
  | { readonly alive: true; readonly owner: string }
  | { readonly alive: false; readonly reason: string }

const describeOwner = (owner: RunOwner) => `pid ${owner.pid} on ${owner.host}`

/** Whether the process that drives `run` is alive (only meaningful for a `running` run). */
export const liveness = (run: Run, host: string = NodeOs.hostname(), exists: (pid: number) => boolean = pidExists): Liveness => {
  const age = run.heartbeatAgeSeconds
  if (run.owner === null) return { alive: false, reason: "no process has claimed it" }
  const who = describeOwner(run.owner)
  if (run.owner.host === host && !exists(run.owner.pid)) return { alive: false, reason: `${who} is gone` }
  if (age === null || age > STALE_AFTER_SECONDS) {
    return { alive: false, reason: `${who} has not beaten for ${age === null ? "ever" : `${Math.round(age)} s`}` }
  }
  return { alive: true, owner: who }
}

export interface ShownStatus {
  /** The stored status, except `interrupted` for a `running` run whose owner is gone. */
  readonly status: "running" | "completed" | "failed" | "interrupted"
  /** The status with what to do about it, e.g. `interrupted (resume with o1coder resume ID)`; why in `liveness`. */
  readonly text: string
  readonly liveness: Liveness | undefined
}

export const resumeCommand = (runId: string) => `o1coder resume ${runId}`

/** What `status` and `runs` show for a run: `running` only while its owner is alive. */
export const shownStatus = (run: Run, check: (run: Run) => Liveness = (r) => liveness(r)): ShownStatus => {
  if (run.status !== "running") {
    const text =
      run.status === "completed" ? "completed" : `${run.status} (resume with ${resumeCommand(run.id)})`
    return { status: run.status, text, liveness: undefined }
  }
  const alive = check(run)
  return alive.alive
    ? { status: "running", text: `running (${alive.owner})`, liveness: alive }
    : { status: "interrupted", text: `interrupted (resume with ${resumeCommand(run.id)})`, liveness: alive }
}

/**
 * Claims `runId` for this process and beats until the scope closes. Another process may take the
 * run over later (its claim replaces ours, and our heartbeats then no longer count).
 */
export const own = (runId: string) =>
  Effect.gen(function* () {
    const repo = yield* RunsRepo
    const owner = currentOwner()
    yield* repo.claim(runId, owner)
    yield* repo.heartbeat(runId, owner).pipe(
      Effect.ignore,
      Effect.repeat(Schedule.spaced(HEARTBEAT_EVERY)),
      Effect.delay(HEARTBEAT_EVERY),
      Effect.forkScoped
    )
    return owner
  }).pipe(Effect.withSpan("RunOwner.own", { attributes: { runId } }))

/** The run is driven by another live process: a second driver would race it. */
export class RunBusy extends Schema.TaggedError<RunBusy>()("RunBusy", { runId: Schema.String, owner: Schema.String }) {
  override get message(): string {
    return `run ${this.runId} is running in ${this.owner}; stop that process first (or wait: o1coder status ${this.runId})`
  }
}

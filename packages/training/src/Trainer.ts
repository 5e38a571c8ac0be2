import { DatasetsRepo } from "@o1coder/store/DatasetsRepo"
import { isFinished, JobsRepo, type JobRow } from "@o1coder/store/JobsRepo"
import { ModelVersionsRepo, type ModelVersionRow } from "@o1coder/store/ModelVersionsRepo"
import { Context, Duration, Effect, Layer, Schedule, Schema, type Scope } from "effect"
import * as Path from "node:path"
import type { JobHandle, PreparedJob, TrainingBackend } from "./backends/Backend.ts"
import { TrainerError, TrainingFailed, WaitTimeout } from "./Errors.ts"
import { jobIdOf, JobSpec, renderTemplate, roleOfStage, templateProblems, type DatasetRef, type ResolvedSpec } from "./JobSpec.ts"

/** The backends a Trainer can use, by name. */
export class TrainingBackends extends Context.Tag("o1coder/TrainingBackends")<TrainingBackends, ReadonlyMap<string, TrainingBackend>>() {
  /** A registry from backends (each possibly built in a scope, e.g. the local one). */
  static layer = <const T extends ReadonlyArray<Effect.Effect<TrainingBackend, any, any>>>(
    ...backends: T
  ): Layer.Layer<TrainingBackends, Effect.Effect.Error<T[number]>, Exclude<Effect.Effect.Context<T[number]>, Scope.Scope>> =>
    Layer.scoped(
      TrainingBackends,
      Effect.map(Effect.all(backends as ReadonlyArray<Effect.Effect<TrainingBackend, any, any>>), (list) => new Map(list.map((b) => [b.name, b] as const)))
    ) as any
}

export const DEFAULT_WORK_DIR = ".o1coder/jobs"

export interface SubmitOptions {
  /** Re-run a job that already failed or was cancelled (same id, new attempt). Default: attach. */
  readonly retry?: boolean
}

export interface WaitOptions {
  /** Poll interval (default 2 s). */
  readonly pollEvery?: Duration.DurationInput
  /** Give up waiting after this long (the job keeps running); default: no deadline. */
  readonly timeout?: Duration.DurationInput
  /** Cancel the job when the waiting fiber is interrupted (Ctrl-C); default true. */
  readonly cancelOnInterrupt?: boolean
  /** Log lines shown with a failure (default 20). */
  readonly tailLines?: number
  /** Called after every status poll with the refreshed job (a screen shows its state and log). */
  readonly onPoll?: ((job: JobRow) => Effect.Effect<void>) | undefined
}

export interface Finished {
  readonly job: JobRow
  readonly version: ModelVersionRow
}

/** The id of the model version a job's output registers as. */
export const versionIdOf = (jobId: string): string => `mv-${jobId.replace(/^job-/, "")}`

const decodeSpec = Schema.decodeUnknown(JobSpec)

/**
 * Training dispatch (step 5 of a self-play round): submit, status, logs, cancel and wait, over
 * local, Slurm and Ray backends. Job ids are derived from the work (see `jobIdOf`); submitting
 * the same work again attaches to the existing job. Status changes are stored in
 * `training_jobs`; a succeeded job registers its output once in `model_versions`, with its
 * parent version and datasets as lineage.
 */
export class Trainer extends Effect.Service<Trainer>()("o1coder/Trainer", {
  effect: Effect.gen(function* () {
    const jobs = yield* JobsRepo
    const versions = yield* ModelVersionsRepo
    const datasets = yield* DatasetsRepo
    const backends = yield* TrainingBackends

    const backendOf = (name: string) => {
      const b = backends.get(name)
      return b === undefined
        ? Effect.fail(new TrainerError({ backend: name, operation: "select", reason: `backend not configured; available: ${[...backends.keys()].join(", ") || "none"}` }))
        : Effect.succeed(b)
    }

    const datasetRef = (spec: JobSpec, d: DatasetRef | string) =>
      typeof d !== "string"
        ? Effect.succeed<DatasetRef>(d)
        : Effect.flatMap(datasets.get(d).pipe(Effect.orDie), (row) =>
            row === undefined
              ? Effect.fail(new TrainerError({ backend: spec.backend, operation: "submit", reason: `dataset ${d} not found` }))
              : Effect.succeed<DatasetRef>({ id: row.id, path: row.path, sha256: row.sha256, format: row.format })
          )

    /** Datasets by reference; the base model's path and spec default to the parent version's checkpoint and spec. */
    const resolve = (spec: JobSpec) =>
      Effect.gen(function* () {
        const refs = yield* Effect.forEach(spec.datasets, (d) => datasetRef(spec, d))
        const parent = spec.parentVersion === undefined ? undefined : yield* versions.get(spec.parentVersion).pipe(Effect.orDie)
        if (spec.parentVersion !== undefined && parent === undefined) {
          return yield* new TrainerError({ backend: spec.backend, operation: "submit", reason: `parent version ${spec.parentVersion} not found in model_versions` })
        }
        const baseModelPath = spec.baseModelPath ?? parent?.checkpoint ?? undefined
        const baseModelSpec = spec.baseModelSpec ?? parent?.spec
        return {
          ...spec,
          datasets: refs,
          ...(baseModelPath !== undefined ? { baseModelPath } : {}),
          ...(baseModelSpec !== undefined ? { baseModelSpec } : {})
        } satisfies ResolvedSpec as ResolvedSpec
      })

    const get = (id: string) =>
      Effect.flatMap(jobs.get(id).pipe(Effect.orDie), (row) =>
        row === undefined ? Effect.fail(new TrainerError({ backend: "?", operation: "find", reason: `no training job ${id}` })) : Effect.succeed(row)
      )

    const handleOf = (row: JobRow): JobHandle => ({
      id: row.id,
      externalId: row.externalId ?? "",
      logPath: row.logPath ?? "",
      jobDir: row.logPath !== null ? Path.dirname(row.logPath) : ""
    })

    /** Registers the output of a succeeded job (idempotent). */
    const register = (row: JobRow) =>
      Effect.gen(function* () {
        const spec = row.spec as ResolvedSpec
        const outputDir = row.outputDir ?? ""
        const paths = { jobId: row.id, outputDir }
        const modelSpec = renderTemplate(spec.outputSpec ?? "{output_dir}", spec, paths, false)
        const checkpoint = renderTemplate(spec.outputCheckpoint ?? "{output_dir}", spec, paths, false)
        return yield* versions
          .register({
            id: versionIdOf(row.id),
            role: roleOfStage(spec.stage),
            spec: modelSpec,
            checkpoint,
            parentId: spec.parentVersion ?? null,
            runId: row.runId,
            round: row.round,
            jobId: row.id,
            datasets: spec.datasets.map((d) => d.id),
            meta: { backend: row.backend, stage: spec.stage, baseModelPath: spec.baseModelPath ?? null, baseModelSpec: spec.baseModelSpec ?? null, externalId: row.externalId, outputDir }
          })
          .pipe(Effect.orDie)
      })

    /** Asks the backend, stores a change, registers the output of a success. */
    const status = Effect.fn("Trainer.status")(function* (id: string) {
        yield* Effect.annotateCurrentSpan("jobId", id)
        const row = yield* get(id)
        if (isFinished(row.status) || row.externalId === null) return row
        const backend = yield* backendOf(row.backend)
        const remote = yield* backend.status(handleOf(row))
        yield* jobs.setStatus(id, remote.status, remote.message).pipe(Effect.orDie)
        const updated = yield* get(id)
        if (updated.status === "succeeded") yield* register(updated)
        return updated
      })

    /**
     * Submits a job, or attaches to the job the same work already made. Accepts a decoded
     * `JobSpec` or its JSON form (e.g. a parsed config file).
     */
    const submit = Effect.fn("Trainer.submit")(function* (input: JobSpec | unknown, options: SubmitOptions = {}) {
        const spec = yield* decodeSpec(input).pipe(
          Effect.mapError((e) => new TrainerError({ backend: "?", operation: "submit", reason: `invalid job spec: ${e.message}` }))
        )
        const resolved = yield* resolve(spec)
        const backend = yield* backendOf(resolved.backend)
        const id = jobIdOf(resolved)
        const existing = yield* jobs.get(id).pipe(Effect.orDie)
        const retry = options.retry === true && existing !== undefined && (existing.status === "failed" || existing.status === "cancelled")
        if (existing !== undefined && existing.externalId !== null && !retry) {
          return isFinished(existing.status) ? existing : yield* status(id)
        }
        const jobDir = Path.resolve(resolved.workDir ?? DEFAULT_WORK_DIR, id)
        const outputDir = Path.resolve(resolved.outputDir ?? Path.join(jobDir, "output"))
        const problems = templateProblems(resolved, { jobId: id, outputDir })
        if (problems.length > 0) {
          return yield* new TrainerError({ backend: backend.name, operation: "submit", reason: `invalid job spec:\n  ${problems.join("\n  ")}` })
        }
        const prepared: PreparedJob = {
          id,
          spec: resolved,
          command: renderTemplate(resolved.command, resolved, { jobId: id, outputDir }, true),
          jobDir,
          outputDir,
          logPath: Path.join(jobDir, "train.log"),
          retry
        }
        const newJob = { id, backend: backend.name, stage: resolved.stage, runId: resolved.runId ?? null, round: resolved.round ?? null, spec: resolved, outputDir, logPath: prepared.logPath }
        yield* (retry ? jobs.reset(newJob) : jobs.insert(newJob)).pipe(Effect.orDie)
        const submitted = yield* backend.submit(prepared).pipe(
          Effect.tapError((e) => jobs.setStatus(id, "failed", `submit failed: ${e.reason}`).pipe(Effect.orDie))
        )
        yield* jobs.setExternalId(id, submitted.externalId).pipe(Effect.orDie)
        yield* Effect.logDebug(`${submitted.attached ? "attached to" : "submitted"} ${id} on ${backend.name} as ${submitted.externalId}`)
        return yield* status(id)
      })

    const logs = (id: string, tail?: number) =>
      Effect.gen(function* () {
        const row = yield* get(id)
        if (row.externalId === null) return ""
        const backend = yield* backendOf(row.backend)
        return yield* backend.logs(handleOf(row), tail)
      })

    const cancel = Effect.fn("Trainer.cancel")(function* (id: string) {
        yield* Effect.annotateCurrentSpan("jobId", id)
        const row = yield* get(id)
        if (isFinished(row.status)) return row
        if (row.externalId !== null) {
          const backend = yield* backendOf(row.backend)
          yield* backend.cancel(handleOf(row))
        }
        yield* jobs.setStatus(id, "cancelled", "cancelled by request").pipe(Effect.orDie)
        return yield* get(id)
      })

    /**
     * Polls until the job finishes. Succeeded → the registered model version; failed or
     * cancelled → `TrainingFailed` with the log's last lines; past `timeout` → `WaitTimeout`
     * (the job keeps running). Interrupting the wait cancels the job unless
     * `cancelOnInterrupt: false`.
     */
    const wait = (id: string, options: WaitOptions = {}) => {
      const poll = status(id).pipe(
        Effect.tap((row) => options.onPoll?.(row) ?? Effect.void),
        Effect.repeat({
          schedule: Schedule.spaced(options.pollEvery ?? "2 seconds"),
          until: (row) => isFinished(row.status)
        }),
        Effect.zipRight(get(id))
      )
      const bounded = options.timeout === undefined
        ? poll
        : poll.pipe(Effect.timeoutFail({ duration: options.timeout, onTimeout: () => new WaitTimeout({ jobId: id, waitedMs: Duration.toMillis(options.timeout!) }) }))
      return bounded.pipe(
        Effect.onInterrupt(() => (options.cancelOnInterrupt === false ? Effect.void : cancel(id).pipe(Effect.ignore))),
        Effect.flatMap((row) =>
          row.status === "succeeded"
            ? Effect.map(register(row), (version): Finished => ({ job: row, version }))
            : Effect.flatMap(logs(id, options.tailLines ?? 20).pipe(Effect.orElseSucceed(() => "(logs unavailable)")), (logTail) =>
                Effect.fail(new TrainingFailed({ jobId: id, status: row.status, reason: row.message ?? row.status, logTail }))
              )
        ),
        Effect.withSpan("Trainer.wait", { attributes: { jobId: id } })
      )
    }

    const list = (filter: { readonly runId?: string | undefined } = {}) => jobs.list(filter).pipe(Effect.orDie)

    return { submit, status, logs, cancel, wait, list, get, idOf: (spec: ResolvedSpec) => jobIdOf(spec) } as const
  }),
  dependencies: [JobsRepo.Default, ModelVersionsRepo.Default, DatasetsRepo.Default]
}) {}

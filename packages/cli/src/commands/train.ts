import { Args, Command, Options } from "@effect/cli"
import type { JobRow } from "@o1coder/store/JobsRepo"
import { ModelVersionsRepo } from "@o1coder/store/ModelVersionsRepo"
import { RunsRepo } from "@o1coder/store/RunsRepo"
import { Trainer, TRAINING_STAGES } from "@o1coder/training"
import { Console, Effect, Option } from "effect"
import * as Fs from "node:fs"
import YAML from "yaml"
import { provide, provideWith, rayAddressConfig } from "../Layers.ts"
import { output, printTable } from "../Output.ts"
import { makeProgress, printNotice } from "../Progress.ts"

const json = Options.boolean("json").pipe(Options.withDescription("Print as JSON."))
const rayAddress = Options.text("ray-address").pipe(
  Options.optional,
  Options.withDescription("Ray dashboard URL (also RAY_ADDRESS); default http://127.0.0.1:8265.")
)
const partition = Options.text("partition").pipe(Options.optional, Options.withDescription("Slurm partition when the config names none."))

/** The Trainer with every backend: Ray at the option's address (else RAY_ADDRESS, else the local default). */
const withTrainer = (address: Option.Option<string>, slurmPartition: Option.Option<string> = Option.none()) =>
  <A, E, R>(effect: Effect.Effect<A, E, R>) =>
    Effect.flatMap(Option.match(address, { onNone: () => rayAddressConfig, onSome: Effect.succeed }), (rayAddress) =>
      provideWith((graph) => graph.training({ rayAddress, slurmPartition: Option.getOrUndefined(slurmPartition) }))(effect)
    )

const jobColumns = ["id", "status", "stage", "backend", "externalId", "runId", "round", "updatedAt", "outputDir", "message"]

const jobLegend = {
  status: "pending (queued), running, succeeded, failed or cancelled, as the backend reported it just now",
  externalId: "the backend's own id: a process group (local), a Slurm job id, a Ray submission id",
  outputDir: "where the job writes its model; `o1coder versions` lists what succeeded jobs registered"
}

const versionColumns = ["id", "role", "round", "spec", "checkpoint", "parentId", "jobId", "runId", "datasets", "createdAt"]

const versionLegend = {
  spec: "the model spec o1coder samples from (use it as --policy)",
  checkpoint: "what trainers load to continue from this version",
  parentId: "the version it was trained from",
  jobId: "the training job that produced it (none for a run's initial versions)"
}

const readConfig = (file: string) =>
  Effect.try({
    try: () => {
      const text = Fs.readFileSync(file, "utf8")
      return (file.endsWith(".json") ? JSON.parse(text) : YAML.parse(text)) as Record<string, unknown>
    },
    catch: (e) => new Error(`cannot read ${file}: ${String((e as Error).message ?? e)}`)
  })

const backend = Options.choice("backend", ["local", "slurm", "ray"]).pipe(Options.optional, Options.withDescription("Where to train (overrides the config's `backend`)."))
const stage = Options.choice("stage", TRAINING_STAGES).pipe(Options.optional, Options.withDescription("What is trained (overrides the config's `stage`)."))
const config = Options.text("config").pipe(
  Options.withDescription(
    "YAML or JSON job spec: datasets (dataset ids or {id, path, sha256}), command (placeholders {base_model_path},\n" +
      "{base_model_spec}, {parent_version}, {dataset}, {dataset_format}, {datasets_json}, {output_dir}, {job_id}, {stage},\n" +
      "{run_id}, {round}, shell-quoted; any other {name} is an error), parentVersion (its checkpoint and spec are the\n" +
      "base model's) or baseModelPath / baseModelSpec, and optionally runId, round, outputDir, outputSpec, outputCheckpoint,\n" +
      "workDir, partition, gpus, cpus, timeLimit, env, runtimeEnv, metadata."
  )
)
const retry = Options.boolean("retry").pipe(Options.withDescription("Re-run a job that failed or was cancelled (same id)."))
const wait = Options.boolean("wait").pipe(Options.withDescription("Wait until the job ends (Ctrl-C cancels it unless --keep-on-interrupt)."))
const timeout = Options.integer("timeout").pipe(Options.optional, Options.withDescription("Seconds to wait at most (the job keeps running)."))
const keep = Options.boolean("keep-on-interrupt").pipe(Options.withDescription("On Ctrl-C stop waiting but leave the job running."))
const pollEvery = Options.integer("poll").pipe(Options.withDefault(5), Options.withDescription("Seconds between status polls (default 5)."))

/** A line that ticks while the job runs: its state, and its log's last line as it changes. */
const jobWatcher = (trainer: Trainer, id: string) =>
  Effect.gen(function* () {
    const progress = yield* makeProgress(`job ${id}`, 0)
    let state = ""
    const onPoll = (job: JobRow) =>
      Effect.gen(function* () {
        if (job.status !== state) {
          yield* printNotice(`job ${id}: ${job.status}${job.externalId ? ` (${job.backend} ${job.externalId})` : ""}`)
          state = job.status
        }
        const tail = yield* trainer.logs(id, 1).pipe(Effect.orElseSucceed(() => ""))
        yield* progress.update(0, `${job.status}  ${tail.trim().split("\n").at(-1) ?? ""}`)
      })
    return { onPoll, finish: progress.finish() }
  })

const waitFor = (id: string, o: { timeout: Option.Option<number>; keep: boolean; pollEvery: number; json: boolean }) =>
  Effect.gen(function* () {
    const trainer = yield* Trainer
    const watcher = yield* jobWatcher(trainer, id)
    const { job, version } = yield* trainer.wait(id, {
      pollEvery: `${o.pollEvery} seconds`,
      cancelOnInterrupt: !o.keep,
      onPoll: watcher.onPoll,
      ...(Option.isSome(o.timeout) ? { timeout: `${o.timeout.value} seconds` } : {})
    }).pipe(Effect.ensuring(watcher.finish))
    yield* output(o.json, { job, version }, Effect.zipRight(printTable([{ ...job }], jobColumns, jobLegend), Console.log(`registered model version ${version.id} (${version.role}): ${version.spec}`)))
  })

const submit = Command.make("submit", { backend, stage, config, retry, wait, timeout, keep, pollEvery, rayAddress, partition, json }, (o) =>
  Effect.gen(function* () {
    const file = yield* readConfig(o.config)
    const spec = { ...file, ...(Option.isSome(o.backend) ? { backend: o.backend.value } : {}), ...(Option.isSome(o.stage) ? { stage: o.stage.value } : {}) }
    const trainer = yield* Trainer
    const job = yield* trainer.submit(spec, { retry: o.retry })
    if (o.wait) return yield* waitFor(job.id, o)
    yield* output(o.json, job, printTable([{ ...job }], jobColumns, jobLegend))
  }).pipe(withTrainer(o.rayAddress, o.partition))
).pipe(
  Command.withDescription(
    "Submit a training job (local, Slurm or Ray)\n" +
      "Its id is derived from run, round, stage and the inputs' hashes: submitting the same work again attaches to\n" +
      "the existing job. A finished job registers its output in model_versions (see `o1coder versions`). With --wait\n" +
      "it shows the job's state and the tail of its log until it ends. On Slurm: --backend slurm.\n\n" +
      "Example:\n" +
      "  o1coder train submit --config packages/cli/examples/train-local.yaml --wait"
  )
)

const id = Args.text({ name: "JOB_ID" })

const status = Command.make("status", { id: id.pipe(Args.optional), rayAddress, json }, (o) =>
  Effect.gen(function* () {
    const trainer = yield* Trainer
    if (Option.isNone(o.id)) {
      const jobs = yield* trainer.list()
      return yield* output(o.json, jobs, printTable(jobs.map((j) => ({ ...j })), jobColumns, jobLegend))
    }
    const job = yield* trainer.status(o.id.value)
    yield* output(o.json, job, printTable([{ ...job }], jobColumns, jobLegend))
  }).pipe(withTrainer(o.rayAddress))
).pipe(Command.withDescription("Show jobs' states, refreshed from their backend\nOne job, or every job without JOB_ID.\n\nExamples:\n  o1coder train status\n  o1coder train status JOB_ID"))

const tail = Options.integer("tail").pipe(Options.optional, Options.withDescription("Only the last N lines."))
const logs = Command.make("logs", { id, tail, rayAddress }, (o) =>
  Effect.gen(function* () {
    const trainer = yield* Trainer
    yield* Console.log(yield* trainer.logs(o.id, Option.getOrUndefined(o.tail)))
  }).pipe(withTrainer(o.rayAddress))
).pipe(Command.withDescription("Print a job's log\nLocal and Slurm: the log file; Ray: the Jobs API.\n\nExample:\n  o1coder train logs JOB_ID --tail 50"))

const cancel = Command.make("cancel", { id, rayAddress, json }, (o) =>
  Effect.gen(function* () {
    const job = yield* (yield* Trainer).cancel(o.id)
    yield* output(o.json, job, printTable([{ ...job }], jobColumns, jobLegend))
  }).pipe(withTrainer(o.rayAddress))
).pipe(Command.withDescription("Cancel a job\nLocal: kills its process group; Slurm: scancel; Ray: stop. A job that already ended is left as it is.\n\nExample:\n  o1coder train cancel JOB_ID"))

const waitCommand = Command.make("wait", { id, timeout, keep, pollEvery, rayAddress, json }, (o) =>
  waitFor(o.id, o).pipe(withTrainer(o.rayAddress))
).pipe(Command.withDescription("Wait for a job to end\nShows its state and log tail as they change; prints the registered model version, or the last log lines on\nfailure.\n\nExample:\n  o1coder train wait JOB_ID --timeout 3600"))

export const train = Command.make("train").pipe(
  Command.withDescription("Training jobs on local processes, Slurm or Ray"),
  Command.withSubcommands([submit, status, logs, cancel, waitCommand])
)

const runFilter = Options.text("run").pipe(Options.optional, Options.withDescription("Only versions of this run (an id or a name)."))
const role = Options.choice("role", ["policy", "tcg", "prm"]).pipe(Options.optional, Options.withDescription("Only this role."))

export const versions = Command.make("versions", { run: runFilter, role, json }, (o) =>
  Effect.gen(function* () {
    const runId = Option.isSome(o.run) ? (yield* (yield* RunsRepo).resolve(o.run.value)).id : undefined
    const rows = yield* (yield* ModelVersionsRepo).list({ runId, role: Option.getOrUndefined(o.role) })
    yield* output(o.json, rows, printTable(rows.map((r) => ({ ...r, datasets: r.datasets.join(",") })), versionColumns, versionLegend))
  }).pipe(provide("store"))
).pipe(
  Command.withDescription(
    "List model versions with their lineage\n" +
      "Each version's role, the spec o1coder samples from, the checkpoint trainers load, its parent version, training\n" +
      "job and datasets.\n\n" +
      "Examples:\n" +
      "  o1coder versions --run demo --role policy\n" +
      "  o1coder versions --wide"
  )
)

export const commands = [train, versions] as const

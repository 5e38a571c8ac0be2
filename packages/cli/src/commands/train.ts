import { FetchHttpClient } from "@effect/platform"
import { Args, Command, Options } from "@effect/cli"
import { JobsRepo } from "@o1coder/store/JobsRepo"
import { ModelVersionsRepo } from "@o1coder/store/ModelVersionsRepo"
import { LocalBackend, RayBackend, SlurmBackend, Trainer, TrainingBackends, TRAINING_STAGES } from "@o1coder/training"
import { Console, Effect, Layer, Option } from "effect"
import * as Fs from "node:fs"
import YAML from "yaml"
import { DatabaseLive } from "../Layers.ts"
import { output, printTable } from "../Output.ts"

const json = Options.boolean("json").pipe(Options.withDescription("Print as JSON."))
const rayAddress = Options.text("ray-address").pipe(
  Options.optional,
  Options.withDescription("Ray dashboard URL (also RAY_ADDRESS); default http://127.0.0.1:8265.")
)
const partition = Options.text("partition").pipe(Options.optional, Options.withDescription("Slurm partition when the config names none."))

const backendsLayer = (address: Option.Option<string>, slurmPartition: Option.Option<string>) =>
  TrainingBackends.layer(
    LocalBackend.make(),
    Effect.succeed(SlurmBackend.make(Option.match(slurmPartition, { onNone: () => ({}), onSome: (p) => ({ partition: p }) }))),
    RayBackend.make({ address: Option.getOrElse(address, () => process.env.RAY_ADDRESS ?? "http://127.0.0.1:8265") })
  ).pipe(Layer.provide(FetchHttpClient.layer))

const trainerLayer = (address: Option.Option<string>, slurmPartition: Option.Option<string> = Option.none()) =>
  Layer.mergeAll(Trainer.Default, ModelVersionsRepo.Default, JobsRepo.Default).pipe(
    Layer.provideMerge(backendsLayer(address, slurmPartition)),
    Layer.provideMerge(DatabaseLive)
  )

const jobColumns = ["id", "backend", "stage", "status", "externalId", "runId", "round", "outputDir", "message", "updatedAt"]

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

const waitFor = (id: string, o: { timeout: Option.Option<number>; keep: boolean; pollEvery: number; json: boolean }) =>
  Effect.gen(function* () {
    const trainer = yield* Trainer
    const { job, version } = yield* trainer.wait(id, {
      pollEvery: `${o.pollEvery} seconds`,
      cancelOnInterrupt: !o.keep,
      ...(Option.isSome(o.timeout) ? { timeout: `${o.timeout.value} seconds` } : {})
    })
    yield* output(o.json, { job, version }, Effect.zipRight(printTable([{ ...job }], jobColumns), Console.log(`registered model version ${version.id} (${version.role}): ${version.spec}`)))
  })

const submit = Command.make("submit", { backend, stage, config, retry, wait, timeout, keep, pollEvery, rayAddress, partition, json }, (o) =>
  Effect.gen(function* () {
    const file = yield* readConfig(o.config)
    const spec = { ...file, ...(Option.isSome(o.backend) ? { backend: o.backend.value } : {}), ...(Option.isSome(o.stage) ? { stage: o.stage.value } : {}) }
    const trainer = yield* Trainer
    const job = yield* trainer.submit(spec, { retry: o.retry })
    if (o.wait) return yield* waitFor(job.id, o)
    yield* output(o.json, job, printTable([{ ...job }], jobColumns))
  }).pipe(Effect.provide(trainerLayer(o.rayAddress, o.partition)))
).pipe(
  Command.withDescription(
    "Submit a training job. Its id is derived from run, round, stage and the inputs' hashes: submitting the same work\n" +
      "again attaches to the existing job. A finished job registers its output in model_versions (see `o1coder versions`).\n" +
      "Example: o1coder train submit --backend slurm --stage policy-sft --config train/sft.yaml --wait"
  )
)

const id = Args.text({ name: "JOB_ID" })

const status = Command.make("status", { id: id.pipe(Args.optional), rayAddress, json }, (o) =>
  Effect.gen(function* () {
    const trainer = yield* Trainer
    if (Option.isNone(o.id)) {
      const jobs = yield* trainer.list()
      return yield* output(o.json, jobs, printTable(jobs.map((j) => ({ ...j })), jobColumns))
    }
    const job = yield* trainer.status(o.id.value)
    yield* output(o.json, job, printTable([{ ...job }], jobColumns))
  }).pipe(Effect.provide(trainerLayer(o.rayAddress)))
).pipe(Command.withDescription("Refresh and show a job's status (all jobs without an id).\nExample: o1coder train status job-policy-sft-0123456789abcdef"))

const tail = Options.integer("tail").pipe(Options.optional, Options.withDescription("Only the last N lines."))
const logs = Command.make("logs", { id, tail, rayAddress }, (o) =>
  Effect.gen(function* () {
    const trainer = yield* Trainer
    yield* Console.log(yield* trainer.logs(o.id, Option.getOrUndefined(o.tail)))
  }).pipe(Effect.provide(trainerLayer(o.rayAddress)))
).pipe(Command.withDescription("Print a job's log (local/Slurm: the log file; Ray: the Jobs API).\nExample: o1coder train logs job-prm-0123456789abcdef --tail 50"))

const cancel = Command.make("cancel", { id, rayAddress, json }, (o) =>
  Effect.gen(function* () {
    const job = yield* (yield* Trainer).cancel(o.id)
    yield* output(o.json, job, printTable([{ ...job }], jobColumns))
  }).pipe(Effect.provide(trainerLayer(o.rayAddress)))
).pipe(Command.withDescription("Cancel a job (local: kills its process group; Slurm: scancel; Ray: stop).\nExample: o1coder train cancel job-prm-0123456789abcdef"))

const waitCommand = Command.make("wait", { id, timeout, keep, pollEvery, rayAddress, json }, (o) =>
  waitFor(o.id, o).pipe(Effect.provide(trainerLayer(o.rayAddress)))
).pipe(Command.withDescription("Wait for a job to end; prints the registered model version, or the last log lines on failure.\nExample: o1coder train wait job-prm-0123456789abcdef --timeout 3600"))

export const train = Command.make("train").pipe(
  Command.withDescription("Training dispatch on local processes, Slurm or Ray (DESIGN.md section 1 step 5)."),
  Command.withSubcommands([submit, status, logs, cancel, waitCommand])
)

const runFilter = Options.text("run").pipe(Options.optional, Options.withDescription("Only versions of this run."))
const role = Options.choice("role", ["policy", "tcg", "prm"]).pipe(Options.optional, Options.withDescription("Only this role."))

export const versions = Command.make("versions", { run: runFilter, role, json }, (o) =>
  Effect.gen(function* () {
    const rows = yield* (yield* ModelVersionsRepo).list({ runId: Option.getOrUndefined(o.run), role: Option.getOrUndefined(o.role) })
    yield* output(o.json, rows, printTable(rows.map((r) => ({ ...r, datasets: r.datasets.join(",") })), ["id", "role", "spec", "checkpoint", "parentId", "runId", "round", "jobId", "datasets", "createdAt"]))
  }).pipe(Effect.provide(ModelVersionsRepo.Default), Effect.provide(DatabaseLive))
).pipe(
  Command.withDescription(
    "List model versions: the spec o1coder samples from, the checkpoint trainers load, and their lineage (parent, job, datasets).\nExample: o1coder versions --run demo --role policy"
  )
)

export const commands = [train, versions] as const

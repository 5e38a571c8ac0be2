import { hashOf } from "@o1coder/domain"
import { Schema } from "effect"
import { missingPlaceholders, PLACEHOLDERS, render, unknownPlaceholders, type PlaceholderValues } from "./Placeholders.ts"

export const TRAINING_STAGES = ["policy-sft", "prm", "policy-dpo", "policy-rl", "tcg"] as const
export const TrainingStage = Schema.Literal(...TRAINING_STAGES)
export type TrainingStage = typeof TrainingStage.Type

export const BackendName = Schema.Literal("local", "slurm", "ray")
export type BackendName = typeof BackendName.Type

/** A dataset a job reads: an exported file with its content hash and format (see Exporter). */
export const DatasetRef = Schema.Struct({ id: Schema.String, path: Schema.String, sha256: Schema.String, format: Schema.optional(Schema.String) })
export type DatasetRef = typeof DatasetRef.Type

/**
 * What to train, where and how. `command` is a shell command template; its placeholders (see
 * `PLACEHOLDERS`: `{base_model_path}`, `{base_model_spec}`, `{parent_version}`, `{dataset}`,
 * `{dataset_format}`, `{datasets_json}`, `{output_dir}`, `{job_id}`, `{stage}`, `{run_id}`,
 * `{round}`) are replaced by shell-quoted values; an unknown one is an invalid spec.
 *
 * Example: `python recipes/trl/sft.py --model {base_model_path} --data {dataset} --output-dir {output_dir}`.
 */
export class JobSpec extends Schema.Class<JobSpec>("JobSpec")({
  backend: BackendName,
  stage: TrainingStage,
  runId: Schema.optional(Schema.String),
  round: Schema.optional(Schema.Number),
  /** `model_versions` id trained from, recorded as the new version's parent; its spec and checkpoint are the defaults below. */
  parentVersion: Schema.optional(Schema.String),
  /** HF id or checkpoint directory a trainer loads (`{base_model_path}`); default: the parent version's checkpoint. */
  baseModelPath: Schema.optional(Schema.String),
  /** Model spec of the starting point (`{base_model_spec}`); default: the parent version's spec. */
  baseModelSpec: Schema.optional(Schema.String),
  /** Datasets by reference, or by `datasets` id (resolved from the store at submit time). */
  datasets: Schema.Array(Schema.Union(DatasetRef, Schema.String)),
  command: Schema.String,
  /** Default `<workDir>/<job id>/output`. */
  outputDir: Schema.optional(Schema.String),
  /** Spec string of the produced model version; placeholders as in `command`, unquoted. Default `{output_dir}`. */
  outputSpec: Schema.optional(Schema.String),
  /** Checkpoint (HF directory or id) of the produced version, what the next job's `{base_model_path}` is. Default `{output_dir}`. */
  outputCheckpoint: Schema.optional(Schema.String),
  /** Where job directories (scripts, logs, exit records) live; default `.o1coder/jobs`. */
  workDir: Schema.optional(Schema.String),
  /** Job name shown by the engine (Slurm `--job-name` is always the job id, for attaching). */
  name: Schema.optional(Schema.String),
  partition: Schema.optional(Schema.String),
  gpus: Schema.optional(Schema.Number),
  cpus: Schema.optional(Schema.Number),
  /** Slurm time limit, e.g. `02:00:00`. */
  timeLimit: Schema.optional(Schema.String),
  env: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.String })),
  /** Ray `runtime_env` (merged with `env` as `env_vars`) and `metadata`. */
  runtimeEnv: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.Unknown })),
  metadata: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.String }))
}) {}

/** A spec whose datasets are resolved to references. */
export type ResolvedSpec = Omit<JobSpec, "datasets"> & { readonly datasets: ReadonlyArray<DatasetRef> }

/**
 * The job id: derived from run, round, stage and the inputs' hashes (datasets' sha256, base
 * model path and spec, parent version, command), so submitting the same work again names the same job.
 */
export const jobIdOf = (spec: ResolvedSpec): string =>
  `job-${spec.stage}-${hashOf({
    runId: spec.runId ?? null,
    round: spec.round ?? null,
    stage: spec.stage,
    datasets: spec.datasets.map((d) => d.sha256),
    baseModelPath: spec.baseModelPath ?? null,
    baseModelSpec: spec.baseModelSpec ?? null,
    parentVersion: spec.parentVersion ?? null,
    command: spec.command
  }).slice(0, 16)}`

export const roleOfStage = (stage: TrainingStage): "policy" | "prm" | "tcg" =>
  stage === "prm" ? "prm" : stage === "tcg" ? "tcg" : "policy"

export interface JobPaths {
  readonly jobId: string
  readonly outputDir: string
}

/** The placeholder values of a job (undefined where the job has none, e.g. no parent checkpoint). */
export const placeholderValues = (spec: ResolvedSpec, p: JobPaths): PlaceholderValues => ({
  base_model_path: spec.baseModelPath,
  base_model_spec: spec.baseModelSpec,
  parent_version: spec.parentVersion,
  dataset: spec.datasets[0]?.path,
  dataset_format: spec.datasets[0]?.format,
  datasets_json: JSON.stringify(spec.datasets.map((d) => d.path)),
  output_dir: p.outputDir,
  job_id: p.jobId,
  stage: spec.stage,
  run_id: spec.runId,
  round: spec.round === undefined ? undefined : String(spec.round)
})

/** The templates of a spec with the problems of their placeholders (unknown, or without a value), one line each. */
export const templateProblems = (spec: ResolvedSpec, p: JobPaths): ReadonlyArray<string> => {
  const values = placeholderValues(spec, p)
  const templates: ReadonlyArray<readonly [string, string | undefined]> = [
    ["command", spec.command],
    ["outputSpec", spec.outputSpec],
    ["outputCheckpoint", spec.outputCheckpoint]
  ]
  return templates.flatMap(([field, template]) =>
    template === undefined
      ? []
      : [
          ...unknownPlaceholders(template).map((p) => `${field}: ${p}`),
          ...missingPlaceholders(template, values).map((name) => `${field}: {${name}} has no value for this job (${PLACEHOLDERS[name]})`)
        ]
  )
}

export const renderTemplate = (template: string, spec: ResolvedSpec, p: JobPaths, quote: boolean): string =>
  render(template, placeholderValues(spec, p), quote)

import { hashOf } from "@o1coder/domain"
import { Schema } from "effect"

export const TRAINING_STAGES = ["policy-sft", "prm", "policy-dpo", "policy-rl", "tcg"] as const
export const TrainingStage = Schema.Literal(...TRAINING_STAGES)
export type TrainingStage = typeof TrainingStage.Type

export const BackendName = Schema.Literal("local", "slurm", "ray")
export type BackendName = typeof BackendName.Type

/** A dataset a job reads: an exported file with its content hash (see Exporter). */
export const DatasetRef = Schema.Struct({ id: Schema.String, path: Schema.String, sha256: Schema.String })
export type DatasetRef = typeof DatasetRef.Type

/**
 * What to train, where and how. `command` is a shell command template; its placeholders are
 * replaced by shell-quoted values:
 *
 * - `{dataset}`: path of the first dataset; `{datasets_json}`: JSON array of all dataset paths
 * - `{base_model}`: the model trained from; `{output_dir}`: where the job writes its checkpoint
 * - `{job_id}`, `{stage}`, `{run_id}`, `{round}`, `{parent_version}`
 *
 * Example: `python train_sft.py --data {dataset} --model {base_model} --out {output_dir}`.
 */
export class JobSpec extends Schema.Class<JobSpec>("JobSpec")({
  backend: BackendName,
  stage: TrainingStage,
  runId: Schema.optional(Schema.String),
  round: Schema.optional(Schema.Number),
  /** Model spec of the starting point (a path, a hub name, a models-package spec). */
  baseModel: Schema.String,
  /** `model_versions` id the base model is, recorded as the new version's parent. */
  parentVersion: Schema.optional(Schema.String),
  /** Datasets by reference, or by `datasets` id (resolved from the store at submit time). */
  datasets: Schema.Array(Schema.Union(DatasetRef, Schema.String)),
  command: Schema.String,
  /** Default `<workDir>/<job id>/output`. */
  outputDir: Schema.optional(Schema.String),
  /** Spec string of the produced model version; placeholders as in `command`, unquoted. Default `{output_dir}`. */
  outputSpec: Schema.optional(Schema.String),
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
 * model, parent version, command), so submitting the same work again names the same job.
 */
export const jobIdOf = (spec: ResolvedSpec): string =>
  `job-${spec.stage}-${hashOf({
    runId: spec.runId ?? null,
    round: spec.round ?? null,
    stage: spec.stage,
    datasets: spec.datasets.map((d) => d.sha256),
    baseModel: spec.baseModel,
    parentVersion: spec.parentVersion ?? null,
    command: spec.command
  }).slice(0, 16)}`

export const roleOfStage = (stage: TrainingStage): "policy" | "prm" | "tcg" =>
  stage === "prm" ? "prm" : stage === "tcg" ? "tcg" : "policy"

export const shellQuote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`

export interface Placeholders {
  readonly jobId: string
  readonly outputDir: string
}

const values = (spec: ResolvedSpec, p: Placeholders): Record<string, string> => ({
  dataset: spec.datasets[0]?.path ?? "",
  datasets_json: JSON.stringify(spec.datasets.map((d) => d.path)),
  base_model: spec.baseModel,
  output_dir: p.outputDir,
  job_id: p.jobId,
  stage: spec.stage,
  run_id: spec.runId ?? "",
  round: spec.round === undefined ? "" : String(spec.round),
  parent_version: spec.parentVersion ?? ""
})

/** Replaces `{placeholder}`s; unknown names are left as they are (they may be shell syntax). */
export const renderTemplate = (template: string, spec: ResolvedSpec, p: Placeholders, quote: boolean): string => {
  const v = values(spec, p)
  return template.replace(/\{([a-z_]+)\}/g, (whole, name: string) =>
    Object.prototype.hasOwnProperty.call(v, name) ? (quote ? shellQuote(v[name]!) : v[name]!) : whole
  )
}

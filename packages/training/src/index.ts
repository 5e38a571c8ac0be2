/**
 * @o1coder/training: turns stored search trees into the files real trainers read, and hands
 * training to real engines, durably and idempotently.
 *
 * Export (needs `Exporter.Default`, which needs a SqlClient):
 *
 *     const { datasetId, path, rows, sha256 } = yield* (yield* Exporter).export("sft", { runId, round, out: "data/sft.jsonl" })
 *
 * kinds: sft (TRL messages | prompt-completion, D+ only), prm (trl-stepwise | o1coder-hard |
 * o1coder-soft), prm-pairs, dpo (preference), verl (parquet). Pass `renderPrompt` to use the
 * search's own prompt text.
 *
 * Train (needs `Trainer.Default` plus a `TrainingBackends` layer, e.g.
 * `TrainingBackends.layer(LocalBackend.make(), Effect.succeed(SlurmBackend.make()), RayBackend.make({ address }))`):
 *
 *     const trainer = yield* Trainer
 *     const job = yield* trainer.submit({ backend: "local", stage: "policy-sft", runId, round,
 *       parentVersion, datasets: [datasetId], command: "python recipes/trl/sft.py --model {base_model_path} --data {dataset} --output-dir {output_dir}" })
 *     const { version } = yield* trainer.wait(job.id, { timeout: "6 hours" }) // registers the output model version
 *
 * Submitting the same work again (same run, round, stage, datasets, base model, command)
 * attaches to the existing job; `version.spec` is `outputSpec` rendered (default the output dir),
 * `version.checkpoint` is `outputCheckpoint` rendered (default the output dir). The base model's
 * path and spec default to the parent version's checkpoint and spec.
 */
export { Exporter, EXPORT_FORMATS, EXPORT_KINDS, type ExportKind, type ExportOptions, type ExportResult } from "./Exporter.ts"
export { defaultRenderPrompt, plainRenderPrompt, type RenderPrompt } from "./Prompt.ts"
export * as Records from "./Records.ts"
export * as Trees from "./Trees.ts"
export { writeJsonl, fileSha256, type WrittenFile } from "./JsonlWriter.ts"
export { writeVerlParquet, VERL_SCHEMA } from "./VerlParquet.ts"
export { ExportError, ServeFailed, TrainerError, TrainingFailed, WaitTimeout } from "./Errors.ts"
export { Serving, ServeSpec, serveJobIdOf, type Served } from "./Serving.ts"
export { JobSpec, TRAINING_STAGES, TrainingStage, BackendName, DatasetRef, jobIdOf, roleOfStage, renderTemplate, templateProblems, type ResolvedSpec } from "./JobSpec.ts"
export { PLACEHOLDERS, placeholdersIn, unknownPlaceholders, type Placeholder } from "./Placeholders.ts"
export { Trainer, TrainingBackends, versionIdOf, DEFAULT_WORK_DIR, type SubmitOptions, type WaitOptions, type Finished } from "./Trainer.ts"
export type { TrainingBackend, PreparedJob, JobHandle, RemoteStatus } from "./backends/Backend.ts"
export * as LocalBackend from "./backends/Local.ts"
export * as SlurmBackend from "./backends/Slurm.ts"
export * as RayBackend from "./backends/Ray.ts"

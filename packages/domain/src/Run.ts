import { Schema } from "effect"
import { DatasetId, EvaluationId, JobId, ModelVersionId, ProblemId, RunId, SearchId, NodeId } from "./Ids.ts"
import { Action } from "./Step.ts"

export const ModelRole = Schema.Literal("policy", "tcg", "prm")
export type ModelRole = typeof ModelRole.Type

export class ModelVersion extends Schema.Class<ModelVersion>("ModelVersion")({
  id: ModelVersionId,
  role: ModelRole,
  /** A model spec string (see the models package), e.g. `simulated`, `llama:/m.gguf`. */
  spec: Schema.String,
  parentId: Schema.NullOr(ModelVersionId),
  runId: Schema.NullOr(RunId),
  round: Schema.NullOr(Schema.Number),
  jobId: Schema.NullOr(JobId),
  datasets: Schema.Array(DatasetId),
  createdAt: Schema.DateFromSelf
}) {}

export const RunStatus = Schema.Literal("running", "completed", "failed", "interrupted")

/** The process that drives a run: recorded when it takes the run, so others can tell if it is alive. */
export class RunOwner extends Schema.Class<RunOwner>("RunOwner")({
  host: Schema.String,
  pid: Schema.Number,
  startedAt: Schema.DateFromSelf
}) {}

export class Run extends Schema.Class<Run>("Run")({
  id: RunId,
  name: Schema.String,
  config: Schema.Unknown,
  status: RunStatus,
  createdAt: Schema.DateFromSelf,
  updatedAt: Schema.DateFromSelf,
  owner: Schema.optionalWith(Schema.NullOr(RunOwner), { default: () => null }),
  /** Seconds since the owner's last heartbeat, by the database's clock (null: never beat). */
  heartbeatAgeSeconds: Schema.optionalWith(Schema.NullOr(Schema.Number), { default: () => null })
}) {}

export class Round extends Schema.Class<Round>("Round")({
  runId: RunId,
  round: Schema.Number,
  stage: Schema.String,
  policyVersion: Schema.NullOr(ModelVersionId),
  startedAt: Schema.DateFromSelf,
  finishedAt: Schema.NullOr(Schema.DateFromSelf)
}) {}

export class Node extends Schema.Class<Node>("Node")({
  id: NodeId,
  searchId: SearchId,
  parentId: Schema.NullOr(NodeId),
  /** Order of creation within the search; children keep their sample order. */
  seq: Schema.Number,
  depth: Schema.Number,
  action: Schema.NullOr(Action),
  /** The step text exactly as rendered after its header (empty for the root). */
  body: Schema.String,
  code: Schema.NullOr(Schema.String),
  terminal: Schema.Boolean,
  visits: Schema.Number,
  valueSum: Schema.Number,
  reward: Schema.NullOr(Schema.Number),
  passed: Schema.NullOr(Schema.Number),
  total: Schema.NullOr(Schema.Number),
  prior: Schema.NullOr(Schema.Number)
}) {
  get value(): number {
    return this.visits === 0 ? 0 : this.valueSum / this.visits
  }
}

export const JobStatus = Schema.Literal("pending", "running", "succeeded", "failed", "cancelled")
export type JobStatus = typeof JobStatus.Type

export class TrainingJob extends Schema.Class<TrainingJob>("TrainingJob")({
  id: JobId,
  backend: Schema.Literal("local", "slurm", "ray", "fake"),
  stage: Schema.String,
  externalId: Schema.NullOr(Schema.String),
  status: JobStatus,
  runId: Schema.NullOr(RunId),
  round: Schema.NullOr(Schema.Number),
  spec: Schema.Unknown,
  outputDir: Schema.NullOr(Schema.String),
  createdAt: Schema.DateFromSelf,
  updatedAt: Schema.DateFromSelf
}) {}

export class Evaluation extends Schema.Class<Evaluation>("Evaluation")({
  id: EvaluationId,
  runId: Schema.NullOr(RunId),
  round: Schema.NullOr(Schema.Number),
  modelVersion: Schema.NullOr(ModelVersionId),
  dataset: Schema.String,
  split: Schema.String,
  mode: Schema.String,
  protocol: Schema.String,
  metrics: Schema.Record({ key: Schema.String, value: Schema.Number }),
  details: Schema.Array(
    Schema.Struct({ problemId: ProblemId, passed: Schema.Number, samples: Schema.Number, detail: Schema.Unknown })
  ),
  createdAt: Schema.DateFromSelf
}) {}

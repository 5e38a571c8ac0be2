import { Context, Effect, Schema } from "effect"
import type { RunConfig, TrainStage } from "./RunConfig.ts"

/** The current model version of each role (ids of `model_versions` rows). */
export const Versions = Schema.Struct({
  policy: Schema.String,
  tcg: Schema.NullOr(Schema.String),
  prm: Schema.NullOr(Schema.String)
})
export type Versions = typeof Versions.Type

export const Prepared = Schema.Struct({
  /** Problems searched each round (visible material only). */
  problemIds: Schema.Array(Schema.String),
  versions: Versions
})
export type Prepared = typeof Prepared.Type

export const JobState = Schema.Literal("pending", "running", "succeeded", "failed", "cancelled")
export type JobState = typeof JobState.Type

/** A stage that failed: `reason` for people, `cause` the underlying error (kept through the journal as name and message). */
export class StageError extends Schema.TaggedError<StageError>()("StageError", {
  stage: Schema.String,
  reason: Schema.String,
  cause: Schema.optional(Schema.Defect)
}) {
  override get message() {
    return `${this.stage}: ${this.reason}`
  }
}

/** What every stage of a round knows. */
export interface RoundContext {
  readonly runId: string
  readonly round: number
  readonly config: RunConfig
  readonly versions: Versions
}

/**
 * The stages the self-play workflow drives, one call per durable activity. Each must be
 * idempotent for its arguments: a resumed run calls again any stage that did not finish.
 */
export interface StagesService {
  /** Imports/selects the problems and registers the initial model versions. */
  readonly prepare: (runId: string, config: RunConfig) => Effect.Effect<Prepared, StageError>
  /** Builds and validates the test suite of one problem; returns the suite id. */
  readonly testSuite: (ctx: RoundContext, problemId: string) => Effect.Effect<string, StageError>
  /** Runs (or resumes) the search of one problem on its suite; returns the search id. */
  readonly search: (ctx: RoundContext, problemId: string, suiteId: string) => Effect.Effect<string, StageError>
  /** Writes one export (`sft`, `prm`, `dpo`, ...) from the round's trees; returns the dataset id. */
  readonly exportData: (ctx: RoundContext, kind: string, searchIds: ReadonlyArray<string>) => Effect.Effect<string, StageError>
  /** Submits (or attaches to) the training job of a stage; returns the job id. */
  readonly submitTraining: (ctx: RoundContext, stage: TrainStage, datasetIds: ReadonlyArray<string>) => Effect.Effect<string, StageError>
  readonly pollTraining: (jobId: string) => Effect.Effect<JobState, StageError>
  /**
   * Serves a succeeded job's checkpoint as its stage's `serve` says and returns once the server
   * lists it (a stage without `serve` returns at once), so the next round samples from it.
   */
  readonly serveVersion: (ctx: RoundContext, stage: TrainStage, jobId: string) => Effect.Effect<void, StageError>
  /** Records the model a succeeded job produced as a new version; returns its id. */
  readonly registerVersion: (ctx: RoundContext, stage: TrainStage, jobId: string, datasetIds: ReadonlyArray<string>) => Effect.Effect<string, StageError>
  /** Scores the round's answers on held-out tests; returns the evaluation id. */
  readonly evaluate: (ctx: RoundContext, searchIds: ReadonlyArray<string>) => Effect.Effect<string, StageError>
}

export class Stages extends Context.Tag("o1coder/selfplay/Stages")<Stages, StagesService>() {}

/** Progress of a run, for a screen or a test harness; the workflow emits, it never waits on it. */
export type SelfPlayEvent =
  | { readonly _tag: "RunStarted"; readonly runId: string; readonly rounds: number; readonly problems: number }
  | { readonly _tag: "StageStarted"; readonly round: number; readonly stage: string; readonly total: number }
  | { readonly _tag: "Progress"; readonly round: number; readonly stage: string; readonly done: number; readonly total: number; readonly detail?: string }
  | { readonly _tag: "StageFinished"; readonly round: number; readonly stage: string }
  | { readonly _tag: "Waiting"; readonly round: number; readonly stage: string; readonly jobId: string; readonly state: string }
  | { readonly _tag: "RunFinished"; readonly runId: string }

export class SelfPlayEvents extends Context.Reference<SelfPlayEvents>()("o1coder/selfplay/SelfPlayEvents", {
  defaultValue: () => ({ emit: (_event: SelfPlayEvent): Effect.Effect<void> => Effect.void })
}) {}

export const emit = (event: SelfPlayEvent) => Effect.flatMap(SelfPlayEvents, (events) => events.emit(event))

import { describeError } from "@o1coder/domain"
import { ClusterSchema, ShardingConfig } from "@effect/cluster"
import { Activity, Workflow } from "@effect/workflow"
import { RunsRepo } from "@o1coder/store/RunsRepo"
import { SearchRunner } from "@o1coder/store/SearchRepo"
import { Context, Effect, Option, Schema } from "effect"
import { decodeConfig } from "./RunConfig.ts"
import { StageError, Versions, type StagesService } from "./Stages.ts"

/** The shard group of the per-problem searches: runners take it, the coordinating process does not. */
export const SEARCH_GROUP = "search"

/**
 * Where a round's searches run: `local` (an activity of the coordinating workflow, the embedded
 * default) or `cluster` (a child workflow per problem, placed by the cluster on any runner).
 */
export class SearchPlacement extends Context.Reference<SearchPlacement>()("o1coder/selfplay/SearchPlacement", {
  defaultValue: (): "local" | "cluster" => "local"
}) {}

/** The live stages of a stored run, built by the process that hosts its searches (one per run and process). */
export class RunStages extends Context.Tag("o1coder/selfplay/RunStages")<
  RunStages,
  { readonly forRun: (runId: string) => Effect.Effect<StagesService, StageError> }
>() {}

/**
 * The search of one problem of one round as a child workflow of the run's attempt. Its key is the
 * embedded activity's (`r<round>/search/<problem>` within `<run>#<attempt>`), and the search itself
 * resumes from its stored checkpoints, so a search moved to another runner redoes no node.
 */
export const SearchWorkflow = Workflow.make({
  name: "o1coder/SelfPlaySearch",
  payload: {
    runId: Schema.String,
    attempt: Schema.Number,
    round: Schema.Number,
    problemId: Schema.String,
    suiteId: Schema.String,
    versions: Versions
  },
  success: Schema.String,
  error: StageError,
  idempotencyKey: (p) => `${p.runId}#${p.attempt}/r${p.round}/search/${p.problemId}`
}).annotate(ClusterSchema.ShardGroup, () => SEARCH_GROUP)

const orStageError = (stage: string) => <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.mapError(effect, (e) => (e instanceof StageError ? e : new StageError({ stage, reason: describeError(e), cause: e })))

/** The search workflow's body: the run's stages on this runner, and the search, recorded as this runner's. */
export const SearchWorkflowLive = SearchWorkflow.toLayer(({ problemId, round, runId, suiteId, versions }) =>
  Effect.gen(function* () {
    const stage = `search ${problemId}`
    const repo = yield* RunsRepo
    const sharding = yield* ShardingConfig.ShardingConfig
    const runner = Option.match(sharding.runnerAddress, { onNone: () => "client", onSome: (a) => `${a.host}:${a.port}` })
    const run = yield* repo.get(runId).pipe(orStageError(stage))
    const config = yield* decodeConfig(run.config, `runs.config of ${runId}`).pipe(orStageError(stage))
    const stages = yield* (yield* RunStages).forRun(runId)
    return yield* Activity.make({
      name: "search",
      success: Schema.String,
      error: StageError,
      // The search's row names this runner from its start (or its resumption here) on.
      execute: stages.search({ runId, round, config, versions }, problemId, suiteId).pipe(Effect.provideService(SearchRunner, runner))
    }).pipe(Activity.retry({ times: 2 }))
  }).pipe(Effect.withSpan("SelfPlay.clusterSearch", { attributes: { runId, round, problemId } }))
)

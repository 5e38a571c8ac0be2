import { describeError } from "@o1coder/domain"
import { ClusterWorkflowEngine, SingleRunner } from "@effect/cluster"
import type * as SqlClient from "@effect/sql/SqlClient"
import { Activity, DurableClock, Workflow } from "@effect/workflow"
import { WorkflowInstance, type WorkflowEngine } from "@effect/workflow/WorkflowEngine"
import { DatabaseOutage } from "@o1coder/store/Outage"
import { RunsRepo } from "@o1coder/store/RunsRepo"
import { Cause, Context, Effect, Layer, Schema } from "effect"
import { decodeConfig, planFor, stageDataset, stageRole, type RunConfig, type TrainStage } from "./RunConfig.ts"
import { SearchPlacement, SearchWorkflow } from "./ClusterSearch.ts"
import { liveness, own, RunBusy } from "./RunOwner.ts"
import { emit, JobState, Prepared, StageError, Stages, type RoundContext, type Versions } from "./Stages.ts"

/**
 * The self-play loop as a durable workflow. Every coarse step is an activity whose name is its
 * idempotency key within the run: `r<round>/<stage>[/<problem>]`. The cluster's SQL message
 * storage (the same database as the rest of the store) journals each activity's result, so a
 * killed process replays finished steps from the journal and re-runs only unfinished ones.
 */
export const SelfPlayWorkflow = Workflow.make({
  name: "o1coder/SelfPlay",
  payload: { runId: Schema.String, attempt: Schema.Number },
  success: Schema.Void,
  error: StageError,
  // A failed attempt keeps its journal (and its error); retrying starts attempt + 1 with a fresh one.
  idempotencyKey: ({ attempt, runId }) => `${runId}#${attempt}`
})

const retried = { times: 2 } as const

const activity = <A, I>(name: string, success: Schema.Schema<A, I>, execute: Effect.Effect<A, StageError>) =>
  Activity.make({ name, success, error: StageError, execute }).pipe(Activity.retry(retried))

const orStageError = (stage: string) => <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.mapError(effect, (e) => (e instanceof StageError ? e : new StageError({ stage, reason: describeError(e), cause: e })))

const runRound = (ctx: RoundContext, attempt: number, problemIds: ReadonlyArray<string>) =>
  Effect.gen(function* () {
    const stages = yield* Stages
    const placement = yield* SearchPlacement
    const repo = yield* RunsRepo
    const { config, round: r, runId } = ctx
    const mark = (stage: string) =>
      activity(`r${r}/stage/${stage}`, Schema.Void, repo.setStage(runId, r, stage, ctx.versions.policy).pipe(orStageError(stage)))

    const eachProblem = <A, R>(stage: string, concurrency: number, f: (pid: string, i: number) => Effect.Effect<A, StageError, R>) =>
      Effect.gen(function* () {
        yield* mark(stage)
        yield* emit({ _tag: "StageStarted", round: r, stage, total: problemIds.length })
        let done = 0
        const out = yield* Effect.forEach(
          problemIds,
          (pid, i) =>
            Effect.tap(f(pid, i), () => {
              done++
              return emit({ _tag: "Progress", round: r, stage, done, total: problemIds.length, detail: pid })
            }),
          { concurrency }
        )
        yield* emit({ _tag: "StageFinished", round: r, stage })
        return out
      })

    // 1. Test generation, one activity per problem.
    const suiteIds = yield* eachProblem("tcg", config.concurrency.tcg, (pid) =>
      activity(`r${r}/tcg/${pid}`, Schema.String, stages.testSuite(ctx, pid))
    )
    // 2. Search, one activity per problem (the search checkpoints each node itself); on a cluster,
    // one child workflow per problem, placed on any runner.
    const searchIds = yield* eachProblem("search", config.concurrency.searches, (pid, i) =>
      placement === "cluster"
        ? SearchWorkflow.execute({ runId, attempt, round: r, problemId: pid, suiteId: suiteIds[i]!, versions: ctx.versions }).pipe(
            // Not a linked child: its runner need not know the run workflow (its key alone makes it
            // run once; a resumed run gets the stored result).
            Effect.mapInputContext((c: Context.Context<WorkflowEngine>) => Context.omit(WorkflowInstance)(c) as Context.Context<WorkflowEngine>)
          )
        : activity(`r${r}/search/${pid}`, Schema.String, stages.search(ctx, pid, suiteIds[i]!))
    )
    // 3. Exports that this round's training reads.
    const plan = planFor(config, r)
    const kinds = [...new Set(plan.map(stageDataset))]
    yield* mark("export")
    yield* emit({ _tag: "StageStarted", round: r, stage: "export", total: kinds.length })
    const datasets = new Map<string, string>()
    for (const kind of kinds) {
      datasets.set(kind, yield* activity(`r${r}/export/${kind}`, Schema.String, stages.exportData(ctx, kind, searchIds)))
      yield* emit({ _tag: "Progress", round: r, stage: "export", done: datasets.size, total: kinds.length, detail: kind })
    }
    yield* emit({ _tag: "StageFinished", round: r, stage: "export" })
    // 4. Training: submit, wait durably, register the produced version.
    const versions: { -readonly [K in keyof Versions]: Versions[K] } = { ...ctx.versions }
    if (plan.length > 0) {
      yield* mark("train")
      yield* emit({ _tag: "StageStarted", round: r, stage: "train", total: plan.length })
    }
    let trained = 0
    for (const stage of plan) {
      const version = yield* train(ctx, stage, [datasets.get(stageDataset(stage))!])
      versions[stageRole(stage)] = version
      trained++
      yield* emit({ _tag: "Progress", round: r, stage: "train", done: trained, total: plan.length, detail: `${stage} -> ${version}` })
    }
    if (plan.length > 0) yield* emit({ _tag: "StageFinished", round: r, stage: "train" })
    // 5. Evaluation of the round's answers on held-out tests.
    if (config.evaluation.enabled) {
      yield* mark("evaluate")
      yield* emit({ _tag: "StageStarted", round: r, stage: "evaluate", total: problemIds.length })
      yield* activity(`r${r}/evaluate`, Schema.String, stages.evaluate(ctx, searchIds))
      yield* emit({ _tag: "StageFinished", round: r, stage: "evaluate" })
    }
    yield* activity(`r${r}/finish`, Schema.Void, repo.finishRound(runId, r).pipe(orStageError("finish")))
    return versions as Versions
  })

const train = (ctx: RoundContext, stage: TrainStage, datasetIds: ReadonlyArray<string>) =>
  Effect.gen(function* () {
    const stages = yield* Stages
    const key = `r${ctx.round}/train/${stage}`
    const jobId = yield* activity(`${key}/submit`, Schema.String, stages.submitTraining(ctx, stage, datasetIds))
    for (let poll = 0; ; poll++) {
      const state = yield* activity(`${key}/poll/${poll}`, JobState, stages.pollTraining(jobId))
      yield* emit({ _tag: "Waiting", round: ctx.round, stage, jobId, state })
      if (state === "succeeded") break
      if (state === "failed" || state === "cancelled") {
        return yield* new StageError({ stage: key, reason: `training job ${jobId} ${state}` })
      }
      yield* DurableClock.sleep({ name: `${key}/wait/${poll}`, duration: `${ctx.config.training.pollSeconds} seconds` })
    }
    // A served checkpoint is listed by its server before the version is registered for the next round.
    if (ctx.config.training.stages[stage]?.serve !== undefined) {
      yield* emit({ _tag: "Waiting", round: ctx.round, stage, jobId, state: "serving" })
      yield* activity(`${key}/serve`, Schema.Void, stages.serveVersion(ctx, stage, jobId))
    }
    return yield* activity(`${key}/register`, Schema.String, stages.registerVersion(ctx, stage, jobId, datasetIds))
  })

/** The workflow's body: prepare once, then each round in order, carrying the model versions over. */
export const SelfPlayLive = SelfPlayWorkflow.toLayer(({ attempt, runId }) =>
  Effect.gen(function* () {
    const stages = yield* Stages
    const repo = yield* RunsRepo
    const run = yield* repo.get(runId).pipe(orStageError("load"))
    const config: RunConfig = yield* decodeConfig(run.config, `runs.config of ${runId}`).pipe(orStageError("config"))
    const prepared = yield* activity("prepare", Prepared, stages.prepare(runId, config))
    yield* emit({ _tag: "RunStarted", runId, rounds: config.rounds.count, problems: prepared.problemIds.length })
    let versions = prepared.versions
    for (let round = 1; round <= config.rounds.count; round++) {
      versions = yield* runRound({ runId, round, config, versions }, attempt, prepared.problemIds)
    }
    yield* activity("complete", Schema.Void, repo.setStatus(runId, "completed").pipe(orStageError("complete")))
    yield* emit({ _tag: "RunFinished", runId })
  }).pipe(Effect.withSpan("SelfPlay.run", { attributes: { runId } }))
)

/**
 * The durable engine: @effect/cluster's single-node runner over the store's SqlClient (Postgres
 * or PGlite). Runner bookkeeping stays in memory (one process owns every shard); messages and
 * activity results are in SQL.
 */
export const EngineLive: Layer.Layer<import("@effect/workflow").WorkflowEngine.WorkflowEngine, unknown, SqlClient.SqlClient> =
  ClusterWorkflowEngine.layer.pipe(
    Layer.provideMerge(
      SingleRunner.layer({
        runnerStorage: "memory",
        shardingConfig: {
          shardsPerGroup: 4,
          entityMessagePollInterval: "500 millis",
          entityMaxIdleTime: "10 minutes",
          // Ctrl-C: do not wait for running activities (a search checkpoints per node; resume redoes the rest).
          entityTerminationTimeout: "1 second"
        }
      })
    )
  )

/** SelfPlay registered on the engine; needs the stages, the runs repository and a SqlClient. */
export const layer = SelfPlayLive.pipe(Layer.provideMerge(EngineLive))

/**
 * Runs (or continues) a stored run to completion; on failure the run is marked failed. A run that
 * failed before is retried as a new attempt: its stages are idempotent, so what finished is found
 * in the store (suites, searches, datasets, jobs, versions) and not paid again.
 */
export const execute = (runId: string) =>
  Effect.gen(function* () {
    const repo = yield* RunsRepo
    const outage = yield* DatabaseOutage
    const run = yield* repo.get(runId)
    // A completed run stays as it is (its report is final); a live owner keeps its run.
    if (run.status === "completed") return
    const alive = run.status === "running" ? liveness(run) : undefined
    if (alive?.alive === true) return yield* new RunBusy({ runId, owner: alive.owner })
    const attempt = run.status === "failed" ? yield* repo.nextAttempt(runId) : yield* repo.attempt(runId)
    yield* own(runId)
    yield* repo.setStatus(runId, "running")
    yield* SelfPlayWorkflow.execute({ runId, attempt }).pipe(
      Effect.tapErrorCause((cause) => (Cause.isInterruptedOnly(cause) ? Effect.void : repo.setStatus(runId, "failed"))),
      // Interrupted (Ctrl-C) during an outage: mark the run if the database answers, never wait for it.
      Effect.onInterrupt(() => Effect.zipRight(outage.stopWaiting, repo.setStatus(runId, "interrupted").pipe(Effect.ignore)))
    )
  }).pipe(Effect.scoped)

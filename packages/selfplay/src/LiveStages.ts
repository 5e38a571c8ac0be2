import type { Problem } from "@o1coder/domain"
import { describeError } from "@o1coder/domain"
import { Evaluator } from "@o1coder/eval/Evaluator"
import * as ModelSpecs from "@o1coder/models/ModelSpecs"
import { ProblemsRepo } from "@o1coder/store/ProblemsRepo"
import { ModelVersionsRepo } from "@o1coder/store/ModelVersionsRepo"
import { SuitesRepo } from "@o1coder/store/SuitesRepo"
import { makeLlmJudgePrm, Search, SearchConfig } from "@o1coder/search"
import { TcgExporter, TestGen } from "@o1coder/tcg"
import { Exporter, ServeSpec, Serving, Trainer, versionIdOf, type TrainingStage } from "@o1coder/training"
import { Limits } from "@o1coder/sandbox/Sandbox"
import { Cache, Data, Duration, Effect, Exit, Layer, Option, RcMap } from "effect"
import * as NodePath from "node:path"
import { servedModel, servedSpec, stageRole, type RunConfig, type TrainStage } from "./RunConfig.ts"
import { checkProblemsFile } from "./ProblemsFile.ts"
import { emit, StageError, Stages, type RoundContext, type StagesService } from "./Stages.ts"

const TRAINING_STAGE: Record<TrainStage, TrainingStage> = {
  sft: "policy-sft",
  dpo: "policy-dpo",
  grpo: "policy-rl",
  prm: "prm",
  "tcg-sft": "tcg",
  "tcg-dpo": "tcg"
}

/** The problems a run's configuration selects (the key of the problem cache). */
class ProblemsKey extends Data.Class<{ readonly dataset: string; readonly split: string; readonly limit: number | undefined }> {}
const problemsKey = (config: RunConfig) =>
  new ProblemsKey({ dataset: config.problems.dataset, split: config.problems.split, limit: config.problems.limit })

/** A model version as one run uses it (its record/replay calls are the run's). */
class ModelKey extends Data.Class<{ readonly versionId: string; readonly runId: string; readonly problems: ProblemsKey }> {}

const fail = (stage: string) => (e: unknown) =>
  new StageError({ stage, reason: describeError(e), cause: e })

/**
 * The real stages: problems from the store, suites from TestGen, MCTS from Search, exports from
 * the Exporter (and the TCG exporter), jobs from the Trainer, scores from the eval harness. Model
 * versions are resolved from their spec (record/replay over `model_calls` included) once and
 * kept for the life of the layer; so are a run's problems (read again after `prepare`).
 */
export const make = Effect.gen(function* () {
  const problemsRepo = yield* ProblemsRepo
  const versionsRepo = yield* ModelVersionsRepo
  const suites = yield* SuitesRepo
  const testGen = yield* TestGen
  const search = yield* Search
  const exporter = yield* Exporter
  const trainer = yield* Trainer
  const serving = yield* Serving
  const tcgExporter = yield* TcgExporter
  const evaluator = yield* Evaluator

  // A failed lookup is not kept: the activity's retry reads again.
  const problemCache = yield* Cache.makeWith({
    capacity: 16,
    lookup: (key: ProblemsKey) =>
      problemsRepo.list({ dataset: key.dataset, split: key.split, limit: key.limit }).pipe(Effect.mapError(fail("problems"))),
    timeToLive: (exit) => (Exit.isSuccess(exit) ? Duration.infinity : Duration.zero)
  })
  const problemsOf = (config: RunConfig) => problemCache.get(problemsKey(config))
  const problemOf = (config: RunConfig, id: string) =>
    Effect.flatMap(problemsOf(config), (list) => {
      const found = list.find((p) => p.id === id)
      return found !== undefined ? Effect.succeed(found) : problemsRepo.get(id).pipe(Effect.mapError(fail("problems")))
    })

  /** The models of version ids (`model_versions` rows), each built from its spec once and kept until the layer closes. */
  const models = yield* RcMap.make({
    lookup: (key: ModelKey) =>
      Effect.gen(function* () {
        const row = yield* versionsRepo.get(key.versionId).pipe(Effect.mapError(fail("models")))
        if (row === undefined) return yield* new StageError({ stage: "models", reason: `model version ${key.versionId} not found` })
        const problems = yield* problemCache.get(key.problems)
        return yield* ModelSpecs.make(row.spec, { role: row.role, runId: key.runId, problems }).pipe(Effect.mapError(fail(`models (${row.spec})`)))
      }),
    idleTimeToLive: Duration.infinity
  })
  const modelOf = (ctx: RoundContext, versionId: string) => {
    const key = new ModelKey({ versionId, runId: ctx.runId, problems: problemsKey(ctx.config) })
    // A failed build is not kept either (the next call builds again).
    return RcMap.get(models, key).pipe(Effect.scoped, Effect.tapError(() => RcMap.invalidate(models, key)))
  }

  const specOf = (versionId: string | null) =>
    versionId === null
      ? Effect.succeed("none")
      : Effect.map(versionsRepo.get(versionId).pipe(Effect.mapError(fail("models"))), (row) => row?.spec ?? "none")

  const outDir = (ctx: RoundContext) => NodePath.resolve(ctx.config.training.workDir, ctx.runId, `round-${ctx.round}`)

  const searchConfig = (ctx: RoundContext) => {
    const s = ctx.config.search
    return new SearchConfig({
      rollouts: s.rollouts,
      maxDepth: s.maxDepth,
      width: s.width,
      c: s.exploration,
      selection: s.selection,
      seed: ctx.config.seed,
      temperature: s.temperature,
      topP: s.topP,
      topK: s.topK,
      stepMaxTokens: s.maxTokens,
      examples: s.examples ?? true,
      tokenBudget: s.tokenBudget ?? 0,
      wallMs: s.wallSeconds !== undefined ? s.wallSeconds * 1000 : 0,
      earlyStop: s.earlyStop
    })
  }

  /** The stored suite of a problem (built by the round's TCG activity). */
  const suiteOf = (suiteId: string) =>
    suites.get(suiteId).pipe(
      Effect.mapError(fail("search")),
      Effect.flatMap(
        Option.match({
          onNone: () => Effect.fail(new StageError({ stage: "search", reason: `test suite ${suiteId} not found` })),
          onSome: (stored) => Effect.succeed({ id: stored.suite.id as string, tests: stored.suite.cases.map((c) => c.test) })
        })
      )
    )

  const runSearch = (ctx: RoundContext, problem: Problem, suiteId: string) =>
    Effect.gen(function* () {
      const policy = yield* modelOf(ctx, ctx.versions.policy)
      const suite = yield* suiteOf(suiteId)
      // PUCT takes its priors from the PRM role (an LLM judge over the PRM version's model).
      const prm =
        ctx.config.search.selection === "puct" && ctx.versions.prm !== null
          ? makeLlmJudgePrm(yield* modelOf(ctx, ctx.versions.prm))
          : undefined
      return yield* search
        .run({
          problem,
          suite,
          policy,
          config: searchConfig(ctx),
          runId: ctx.runId,
          round: ctx.round,
          policySpec: yield* specOf(ctx.versions.policy),
          ...(prm !== undefined ? { prm } : {}),
          limits: new Limits({
            ...Limits.default,
            testTimeoutMs: ctx.config.search.testSeconds * 1000,
            totalTimeoutMs: ctx.config.search.programSeconds * 1000
          })
        })
        .pipe(Effect.mapError(fail(`search ${problem.id}`)))
    })

  const service: StagesService = {
    prepare: Effect.fn("Stages.prepare")(function* (runId: string, config: RunConfig) {
        // Checked before any row is written: a bad record fails the run rather than being skipped.
        const parsed = yield* checkProblemsFile(config).pipe(Effect.mapError(fail("problems")))
        if (parsed !== undefined) {
          if (parsed.problems.length === 0) return yield* new StageError({ stage: "problems", reason: `${parsed.file}: no problem in the file` })
          yield* problemsRepo.upsertMany(parsed.problems).pipe(Effect.mapError(fail("problems")))
        }
        yield* problemCache.invalidateAll
        const problems = yield* problemsOf(config)
        if (problems.length === 0) {
          return yield* new StageError({
            stage: "problems",
            reason: `no problems in dataset ${config.problems.dataset}, split ${config.problems.split}: import them first (o1coder problems import) or set problems.file`
          })
        }
        const register = (role: "policy" | "tcg" | "prm", spec: string | undefined) =>
          spec === undefined
            ? Effect.succeed(null)
            : versionsRepo
                .register({ id: `${runId}:${role}:0`, role, spec, checkpoint: config.models.checkpoints?.[role] ?? null, parentId: null, runId, round: 0, jobId: null, datasets: [] })
                .pipe(Effect.map((row) => row.id), Effect.mapError(fail("models")))
        return {
          problemIds: problems.map((p) => p.id as string),
          versions: {
            policy: (yield* register("policy", config.models.policy))!,
            tcg: yield* register("tcg", config.models.tcg),
            prm: yield* register("prm", config.models.prm)
          }
        }
      }),

    testSuite: Effect.fn("Stages.testSuite")(function* (ctx: RoundContext, problemId: string) {
        yield* Effect.annotateCurrentSpan({ problemId })
        const problem = yield* problemOf(ctx.config, problemId)
        const t = ctx.config.tests
        const model = t.generator === "llm" || t.generator === "all" ? (ctx.versions.tcg !== null ? yield* modelOf(ctx, ctx.versions.tcg) : undefined) : undefined
        const built = yield* testGen
          .suiteFor(problem, { generator: t.generator, budget: t.budget, seed: ctx.config.seed, model, samples: t.llmSamples, mutants: t.mutants })
          .pipe(Effect.mapError(fail(`tcg ${problemId}`)))
        return built.suite.id as string
      }),

    search: Effect.fn("Stages.search")(function* (ctx: RoundContext, problemId: string, suiteId: string) {
        yield* Effect.annotateCurrentSpan({ problemId })
        const problem = yield* problemOf(ctx.config, problemId)
        const outcome = yield* runSearch(ctx, problem, suiteId)
        return outcome.searchId
      }),

    exportData: Effect.fn("Stages.exportData")(function* (ctx: RoundContext, kind: string) {
        yield* Effect.annotateCurrentSpan({ kind })
        const dir = outDir(ctx)
        if (kind === "tcg-sft" || kind === "tcg-dpo") {
          const result = yield* tcgExporter.export({
            format: kind === "tcg-sft" ? "sft" : "dpo",
            out: NodePath.join(dir, `${kind}.jsonl`),
            filters: { dataset: ctx.config.problems.dataset, split: ctx.config.problems.split }
          }).pipe(Effect.mapError(fail(`export ${kind}`)))
          return result.datasetId
        }
        const exportKind = kind as "sft" | "prm" | "dpo" | "verl"
        const result = yield* exporter
          .export(exportKind, {
            runId: ctx.runId,
            round: ctx.round,
            out: NodePath.join(dir, exportKind === "verl" ? "verl.parquet" : `${exportKind}.jsonl`),
            ...(exportKind === "sft" ? { format: "prompt-completion" } : {})
          })
          .pipe(Effect.mapError(fail(`export ${kind}`)))
        return result.datasetId
      }),

    submitTraining: Effect.fn("Stages.submitTraining")(function* (ctx: RoundContext, stage: TrainStage, datasetIds: ReadonlyArray<string>) {
        yield* Effect.annotateCurrentSpan({ stage })
        const training = ctx.config.training
        const job = training.stages[stage]
        if (job?.command === undefined) return yield* new StageError({ stage: `train ${stage}`, reason: `training.stages.${stage}.command is not set` })
        const role = stageRole(stage)
        const parent = ctx.versions[role]
        // A role's first training without a version of it (e.g. the first PRM) starts from the configured checkpoint.
        const firstCheckpoint = parent === null ? ctx.config.models.checkpoints?.[role] : undefined
        const outputSpec = job.outputSpec ?? (job.serve !== undefined ? servedSpec(job.serve) : undefined)
        const slurm = training.slurm
        const row = yield* trainer
          .submit({
            backend: training.backend,
            stage: TRAINING_STAGE[stage],
            runId: ctx.runId,
            round: ctx.round,
            ...(parent !== null ? { parentVersion: parent } : {}),
            ...(firstCheckpoint !== undefined ? { baseModelPath: firstCheckpoint } : {}),
            datasets: datasetIds,
            command: job.command,
            ...(outputSpec !== undefined ? { outputSpec } : {}),
            ...(job.checkpoint !== undefined ? { outputCheckpoint: job.checkpoint } : {}),
            workDir: NodePath.resolve(training.workDir, "jobs"),
            ...(job.env !== undefined ? { env: job.env } : {}),
            ...(slurm?.partition !== undefined ? { partition: slurm.partition } : {}),
            ...(slurm?.gpus !== undefined ? { gpus: slurm.gpus } : {}),
            ...(slurm?.cpus !== undefined ? { cpus: slurm.cpus } : {}),
            ...(slurm?.time !== undefined ? { timeLimit: slurm.time } : {}),
            name: `o1coder-${stage}-r${ctx.round}`
          })
          .pipe(Effect.mapError(fail(`train ${stage}`)))
        return row.id
      }),

    pollTraining: (jobId) =>
      trainer.status(jobId).pipe(
        Effect.map((row) => row.status),
        Effect.mapError(fail(`train ${jobId}`))
      ),

    serveVersion: Effect.fn("Stages.serveVersion")(function* (ctx: RoundContext, stage: TrainStage, jobId: string) {
        yield* Effect.annotateCurrentSpan({ stage, jobId })
        const serve = ctx.config.training.stages[stage]?.serve
        if (serve === undefined) return
        yield* serving
          .serve(jobId, new ServeSpec({
            url: serve.url,
            model: servedModel(serve),
            lora: serve.lora,
            ...(serve.command !== undefined ? { command: serve.command } : {}),
            timeout: Duration.seconds(serve.timeoutSeconds),
            pollEvery: Duration.seconds(serve.pollSeconds)
          }))
          .pipe(Effect.mapError(fail(`serve ${stage}`)))
      }),

    registerVersion: (_ctx, stage, jobId) =>
      Effect.gen(function* () {
        yield* trainer.status(jobId).pipe(Effect.mapError(fail(`train ${stage}`)))
        const id = versionIdOf(jobId)
        const row = yield* versionsRepo.get(id).pipe(Effect.mapError(fail(`train ${stage}`)))
        if (row === undefined) return yield* new StageError({ stage: `train ${stage}`, reason: `job ${jobId} registered no model version` })
        return row.id
      }),

    evaluate: Effect.fn("Stages.evaluate")(function* (ctx: RoundContext, searchIds: ReadonlyArray<string>) {
        const problems = yield* problemsOf(ctx.config)
        const evalProblems = ctx.config.problems.evalSplit === undefined || ctx.config.problems.evalSplit === ctx.config.problems.split
          ? problems
          : yield* problemsRepo.list({ dataset: ctx.config.problems.dataset, split: ctx.config.problems.evalSplit }).pipe(Effect.mapError(fail("evaluate")))
        const policy = yield* modelOf(ctx, ctx.versions.policy)
        const report = yield* evaluator.run({
          problems: evalProblems,
          dataset: ctx.config.problems.dataset,
          split: ctx.config.problems.evalSplit ?? ctx.config.problems.split,
          mode: "mcts",
          policy: { _tag: "model", model: policy },
          generatedTests: true,
          id: `eval-${ctx.runId}-r${ctx.round}`,
          runId: ctx.runId,
          round: ctx.round,
          modelVersion: ctx.versions.policy,
          seed: ctx.config.seed,
          concurrency: ctx.config.concurrency.searches,
          onProgress: (done, total) => emit({ _tag: "Progress", round: ctx.round, stage: "evaluate", done, total }),
          search: (problem) =>
            Effect.gen(function* () {
              // The round's own search of this problem (already stored: this only reads it back).
              const suiteId = yield* service.testSuite(ctx, problem.id)
              const outcome = yield* runSearch(ctx, problem, suiteId)
              const nodes = yield* search.tree(outcome.searchId).pipe(Effect.mapError(fail("evaluate")))
              return { searchId: outcome.searchId, answer: outcome.answer?.code, nodes, tokens: outcome.tokens }
            })
        }).pipe(Effect.mapError(fail("evaluate")))
        void searchIds
        return report.evaluation.id as string
      })
  }
  return service
})

/** The live stages; needs the stage services (TestGen, Search, Exporter, Trainer, ...) and the store. */
export const layer = Layer.scoped(Stages, make)

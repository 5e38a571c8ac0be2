import type { DatabaseTarget } from "@o1coder/store/Database"
import type { DatabaseOutage } from "@o1coder/store/Outage"
import type * as SqlClient from "@effect/sql/SqlClient"
import type { Sandbox, SandboxError } from "@o1coder/sandbox/Sandbox"
import type { Reward } from "@o1coder/reward/Reward"
import type { RunConfig } from "@o1coder/selfplay/RunConfig"
import type { SelfPlayEvents } from "@o1coder/selfplay/Stages"
import type { ClusterOptions } from "@o1coder/selfplay/ClusterEngine"
import { Config, ConfigProvider, Context, Effect, Layer, Option, RcMap, Redacted } from "effect"

/**
 * The composition root: the one place where the program's layer graph is built. Every command
 * takes its services from `Graph` (through `provide` or `Graph` itself) and only parses
 * arguments, calls services and renders. Settings come from `Config` (the environment, with the
 * global options of the command line on top, see `globalsProvider`).
 *
 * The graph is parameterised by its leaves (the database, the sandbox's worker pool, the
 * self-play progress sink): tests swap one leaf for a test double and run a real command on the
 * rest. Packages are loaded when a layer that needs them is built, so a command line loads only
 * what it uses (`o1coder sql` never loads the search engine).
 */

/** A layer whose package is imported when the layer is built. */
const lazy = <A, E, R>(load: () => Promise<Layer.Layer<A, E, R>>): Layer.Layer<A, E, R> =>
  Layer.unwrapEffect(Effect.promise(load))

/** What the graph is built on; `liveLeaves` in the program, doubles in tests. */
export interface Leaves {
  /** The one SqlClient, migrated, and the view of its outages (a run waits them out, up to a limit). */
  readonly database: Layer.Layer<SqlClient.SqlClient | DatabaseOutage, unknown>
  /** The isolated worker pool (uncached). */
  readonly sandbox: Layer.Layer<Sandbox, SandboxError>
  /** Where self-play progress events go. */
  readonly events: Layer.Layer<SelfPlayEvents, unknown>
}

export const liveLeaves: Leaves = {
  database: lazy(() => import("@o1coder/store/Database").then((m) => m.layerFromConfig)),
  sandbox: lazy(() => import("@o1coder/sandbox/SandboxLive").then((m) => m.SandboxLive)),
  events: lazy(() => import("./SelfPlayProgress.ts").then((m) => m.layerFromConfig))
}

/** Every repository over the database: each command's store. */
const storeOn = (database: Leaves["database"]) =>
  lazy(async () => {
    const [problems, search, suites, executions, evaluations, datasets, versions, jobs, runs, calls] = await Promise.all([
      import("@o1coder/store/ProblemsRepo"),
      import("@o1coder/store/SearchRepo"),
      import("@o1coder/store/SuitesRepo"),
      import("@o1coder/store/ExecutionsRepo"),
      import("@o1coder/store/EvaluationsRepo"),
      import("@o1coder/store/DatasetsRepo"),
      import("@o1coder/store/ModelVersionsRepo"),
      import("@o1coder/store/JobsRepo"),
      import("@o1coder/store/RunsRepo"),
      import("@o1coder/store/ModelCallsRepo")
    ])
    return Layer.mergeAll(
      problems.ProblemsRepo.Default,
      search.SearchRepo.Default,
      suites.SuitesRepo.Default,
      executions.ExecutionsRepo.Default,
      evaluations.EvaluationsRepo.Default,
      datasets.DatasetsRepo.Default,
      versions.ModelVersionsRepo.Default,
      jobs.JobsRepo.Default,
      runs.RunsRepo.Default,
      calls.ModelCallsRepo.Default
    ).pipe(Layer.provideMerge(database))
  })

/** The reward settings every command uses: `O1CODER_REWARD_*` (a run's own `reward` section for self-play). */
const rewardLive = lazy(() => import("@o1coder/reward/Reward").then((m) => m.Reward.layerFromConfig))

/** Trainer backends: local, Slurm (its default partition), Ray (when an address is known). */
export interface TrainingOptions {
  readonly rayAddress?: string | undefined
  readonly slurmPartition?: string | undefined
}

/** Ray's dashboard: the option, else `RAY_ADDRESS`, else the local default. */
export const rayAddressConfig = Config.string("RAY_ADDRESS").pipe(Config.withDefault("http://127.0.0.1:8265"))

const makeGraph = (leaves: Leaves) => {
  const store = storeOn(leaves.database)

  /** The pool under the execution cache: a resumed search or evaluation pays no execution twice. */
  const cachedSandbox = lazy(() =>
    import("@o1coder/sandbox/CachedSandbox").then((m) => m.layer.pipe(Layer.provide(leaves.sandbox)))
  )

  const backends = (options: TrainingOptions) =>
    lazy(async () => {
      const [{ FetchHttpClient }, training] = await Promise.all([import("@effect/platform"), import("@o1coder/training")])
      const { LocalBackend, RayBackend, SlurmBackend, TrainingBackends } = training
      return TrainingBackends.layer(
        LocalBackend.make(),
        Effect.succeed(SlurmBackend.make(options.slurmPartition !== undefined ? { partition: options.slurmPartition } : {})),
        ...(options.rayAddress !== undefined ? [RayBackend.make({ address: options.rayAddress })] : [])
      ).pipe(Layer.provideMerge(FetchHttpClient.layer))
    })

  /** Search, test generation and the evaluation harness on `sandbox`; `reward` is the one Reward of the graph. */
  const searchOn = <E, E2, R2>(reward: Layer.Layer<Reward, E>, sandbox: Layer.Layer<Sandbox, E2, R2>) =>
    lazy(async () => {
      const [{ Search }, { TestGen, MutantSourceLive }, { Evaluator }] = await Promise.all([
        import("@o1coder/search/Search"),
        import("@o1coder/tcg"),
        import("@o1coder/eval/Evaluator")
      ])
      return Layer.mergeAll(Search.Default, TestGen.Default, Evaluator.Default).pipe(
        Layer.provideMerge(Layer.mergeAll(sandbox, MutantSourceLive, reward))
      )
    })

  const tcgExporter = lazy(() => import("@o1coder/tcg").then((m) => m.TcgExporter.Default))

  const search = searchOn(rewardLive, cachedSandbox)

  /** The live stages of one run's configuration (its reward weights and Ray address), on `sandbox`. */
  const stagesFor = <E, R>(config: RunConfig, sandbox: Layer.Layer<Sandbox, E, R>) =>
    lazy(async () => {
      const [LiveStages, { Reward, RewardConfig }, training, { FetchHttpClient }] = await Promise.all([
        import("@o1coder/selfplay/LiveStages"),
        import("@o1coder/reward/Reward"),
        import("@o1coder/training"),
        import("@effect/platform")
      ])
      const reward = Reward.layer(new RewardConfig({ compileWeight: config.reward.alpha, gamma: config.reward.gamma }))
      const services = Layer.mergeAll(training.Exporter.Default, training.Trainer.Default, training.Serving.Default, tcgExporter).pipe(
        Layer.provideMerge(backends({ rayAddress: config.training.ray?.address })),
        Layer.provideMerge(FetchHttpClient.layer)
      )
      return LiveStages.layer.pipe(Layer.provideMerge(Layer.mergeAll(searchOn(reward, sandbox), services)))
    })

  /**
   * The stages of each run a process hosts searches of, built once per run on the sandbox and store
   * of the enclosing layer and kept while the run is in use.
   */
  const runStages = lazy(async () => {
    const [{ RunStages }, { Stages, StageError }, { decodeConfig }, { RunsRepo }] = await Promise.all([
      import("@o1coder/selfplay/ClusterSearch"),
      import("@o1coder/selfplay/Stages"),
      import("@o1coder/selfplay/RunConfig"),
      import("@o1coder/store/RunsRepo")
    ])
    return Layer.scoped(
      RunStages,
      Effect.gen(function* () {
        const shared = yield* Effect.context<Sandbox | Layer.Layer.Success<typeof store>>()
        const byRun = yield* RcMap.make({
          lookup: (runId: string) =>
            Effect.gen(function* () {
              const run = yield* (yield* RunsRepo).get(runId)
              const config = yield* decodeConfig(run.config, `runs.config of ${runId}`)
              const built = yield* Layer.build(stagesFor(config, Layer.succeedContext(shared)))
              return Context.get(built, Stages)
            }).pipe(
              Effect.provide(shared),
              Effect.mapError((e) => (e instanceof StageError ? e : new StageError({ stage: "stages", reason: String((e as Error)?.message ?? e), cause: e })))
            ),
          idleTimeToLive: "10 minutes"
        })
        return { forRun: (runId: string) => Effect.scoped(RcMap.get(byRun, runId)) }
      })
    )
  })

  const trainer = (options: TrainingOptions) =>
    lazy(() => import("@o1coder/training").then((m) => m.Trainer.Default)).pipe(Layer.provideMerge(backends(options)))

  return {
    leaves,
    /** Every repository and the SqlClient (`sql`, `problems`, `runs`, ...). */
    store,
    /** The worker pool alone, no store (`exec`, `doctor`). */
    sandbox: leaves.sandbox,
    /** `search`, `eval`: Search, TestGen, the Evaluator, the cached sandbox and the Reward, over the store. */
    search: search.pipe(Layer.provideMerge(store)),
    /** `tcg`: test generation on the uncached pool (suites are stored per problem and options), the TCG export. */
    tcg: lazy(() =>
      import("@o1coder/tcg").then(({ MutantSourceLive, TestGen }) => TestGen.Default.pipe(Layer.provideMerge(Layer.mergeAll(leaves.sandbox, MutantSourceLive))))
    ).pipe(Layer.merge(tcgExporter), Layer.provideMerge(store)),
    /** `export`: the Exporter and the TCG export over the store. */
    exporter: lazy(() => import("@o1coder/training").then((m) => m.Exporter.Default)).pipe(Layer.merge(tcgExporter), Layer.provideMerge(store)),
    /** `train`: the Trainer and its backends over the store. */
    training: (options: TrainingOptions) => trainer(options).pipe(Layer.provideMerge(store)),
    /** The Trainer and its backends on the store of the enclosing layer (`status` refreshing a run's jobs). */
    trainerOnStore: (options: TrainingOptions) => trainer(options),
    /**
     * `serve`: what the reward service's server needs: the cached sandbox (every execution in
     * `executions` and `execution_log`), the Reward and the store's problems and suites.
     */
    serve: Layer.mergeAll(cachedSandbox, rewardLive).pipe(Layer.provideMerge(store)),
    /** `ui`: the read models over the store. */
    views: lazy(() => import("@o1coder/ui").then((m) => m.Views.Default)).pipe(Layer.provideMerge(store)),
    /** `run`, `resume`, `demo`: the store and the progress sink; `selfPlay` is added per run. */
    runs: leaves.events.pipe(Layer.provideMerge(store)),
    /**
     * The engine and the live stages of one run's configuration (its reward weights and Ray
     * address), on the store of the enclosing `runs` layer (one SqlClient for the whole run).
     */
    selfPlay: (config: RunConfig) =>
      lazy(async () => {
        const SelfPlay = await import("@o1coder/selfplay/SelfPlay")
        return SelfPlay.layer.pipe(Layer.provideMerge(stagesFor(config, cachedSandbox)))
      }),
    /**
     * `run --cluster`, `resume --cluster`: the run's workflow on this process (the coordinator), its
     * searches on the cluster's runners (`o1coder runner`), over the same store.
     */
    selfPlayOnCluster: (config: RunConfig, cluster: ClusterOptions) =>
      lazy(async () => {
        const [SelfPlay, ClusterSearch, { clusterEngine }] = await Promise.all([
          import("@o1coder/selfplay/SelfPlay"),
          import("@o1coder/selfplay/ClusterSearch"),
          import("@o1coder/selfplay/ClusterEngine")
        ])
        // The coordinator registers the search workflow to call it; it holds none of its shards.
        return Layer.mergeAll(SelfPlay.SelfPlayLive, ClusterSearch.SearchWorkflowLive).pipe(
          Layer.provide(Layer.succeed(ClusterSearch.SearchPlacement, "cluster")),
          Layer.provide(runStages),
          Layer.provideMerge(clusterEngine(cluster)),
          Layer.provideMerge(stagesFor(config, cachedSandbox))
        )
      }),
    /**
     * `runner`: a cluster runner hosting searches over the store, with one sandbox pool for every
     * run it serves; each run's stages are built on first use from the run's stored configuration.
     */
    runner: (cluster: ClusterOptions) =>
      lazy(async () => {
        const [ClusterSearch, { clusterEngine }] = await Promise.all([import("@o1coder/selfplay/ClusterSearch"), import("@o1coder/selfplay/ClusterEngine")])
        return ClusterSearch.SearchWorkflowLive.pipe(
          Layer.provideMerge(clusterEngine(cluster)),
          Layer.provideMerge(runStages),
          Layer.provideMerge(Layer.mergeAll(cachedSandbox, leaves.events)),
          Layer.provideMerge(store)
        )
      })
  }
}

export type Graph = ReturnType<typeof makeGraph>

/** The layer graph a command takes its services from (`Graph.live` in the program). */
export class AppGraph extends Context.Tag("o1coder/cli/AppGraph")<AppGraph, Graph>() {
  static readonly make = makeGraph
  static readonly live = Layer.sync(AppGraph, () => makeGraph(liveLeaves))
}

/** The slices of the graph that are layers already (the others take arguments: `provideWith`). */
type Slice = { [K in keyof Graph]: Graph[K] extends Layer.Layer<any, any, never> ? K : never }[keyof Graph]

/** Runs `effect` with a layer the graph makes from arguments (`graph => graph.training(options)`). */
export const provideWith =
  <ROut, LE, LR>(f: (graph: Graph) => Layer.Layer<ROut, LE, LR>) =>
  <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E | LE, Exclude<R, ROut> | LR | AppGraph> =>
    Effect.flatMap(AppGraph, (graph) => Effect.provide(effect, f(graph)))

/** The graph seen as its slices' layers: indexing this by a generic slice keeps the slice's own types. */
type SliceLayers = { readonly [K in Slice]: Layer.Layer<Layer.Layer.Success<Graph[K]>, Layer.Layer.Error<Graph[K]>> }
const sliceLayers = (graph: Graph): SliceLayers => graph

/** Runs `effect` with the services of one slice of the graph, built for this effect and released after it. */
export const provide = <K extends Slice>(slice: K) => provideWith((graph) => sliceLayers(graph)[slice])

/** The store's settings for `target`: `DATABASE_URL` or `O1CODER_DATA_DIR` as the store reads them. */
const storeSettings = (target: DatabaseTarget): Map<string, string> =>
  target._tag === "Postgres"
    ? new Map([["DATABASE_URL", Redacted.value(target.url)]])
    : new Map([["DATABASE_URL", ""], ...(target.dataDir !== undefined ? [["O1CODER_DATA_DIR", target.dataDir] as const] : [])])

/** Config from `values` first, then from the provider already in effect. */
const overlay = (values: Map<string, string>) => <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.configProviderWith((outer) =>
    Effect.withConfigProvider(effect, ConfigProvider.fromMap(values).pipe(ConfigProvider.orElse(() => outer)))
  )

/** Runs `effect` on the store at `target` (the demo's own data directory, the store `ui` shows). */
export const withStore = (target: DatabaseTarget) => overlay(storeSettings(target))

/** Runs `effect` with the settings `values` over those in effect (a command's own settings of the layers it builds). */
export const withSettings = overlay

/** The global options of the command line as config over the environment's. */
export const globalsProvider = (globals: { readonly databaseUrl: Option.Option<string> }) =>
  ConfigProvider.fromMap(new Map(Option.match(globals.databaseUrl, { onNone: () => [], onSome: (url) => [["DATABASE_URL", url]] }))).pipe(
    ConfigProvider.orElse(() => ConfigProvider.fromEnv())
  )

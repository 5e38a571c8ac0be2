import { Args, Command, Options } from "@effect/cli"
import { JobsRepo } from "@o1coder/store/JobsRepo"
import { ModelVersionsRepo } from "@o1coder/store/ModelVersionsRepo"
import { DatabaseBroken, DatabaseOutage, DatabaseUnreachable } from "@o1coder/store/Outage"
import { RunsRepo, type RoundReport } from "@o1coder/store/RunsRepo"
import { SearchRepo } from "@o1coder/store/SearchRepo"
import { exampleYaml, KNOWN_DATASETS } from "@o1coder/selfplay/ExampleConfig"
import { ConfigError, decodeConfig, encodeConfig, loadConfig, parseConfigText, runIdFor, type RunConfig } from "@o1coder/selfplay/RunConfig"
import * as SelfPlay from "@o1coder/selfplay/SelfPlay"
import { checkProblemsFile } from "@o1coder/selfplay/ProblemsFile"
import * as Demo from "@o1coder/selfplay/Demo"
import { shownStatus } from "@o1coder/selfplay/RunOwner"
import { Trainer } from "@o1coder/training"
import * as UiLink from "@o1coder/ui/Link"
import { Cause, Console, Effect, Exit, Option } from "effect"
import * as NodeFs from "node:fs"
import { provide, provideWith, withStore } from "../Layers.ts"
import { advertiseOption, clusterOptions, listenOption } from "./cluster.ts"
import { output, printTable, tableText } from "../Output.ts"
import { drawsInPlace, printNotice, setCondition } from "../Progress.ts"

const json = Options.boolean("json").pipe(Options.withDescription("Print JSON instead of a table."))

/**
 * Runs `effect` with the engine and the live stages of the stored run's configuration: the
 * embedded single runner, or with `--cluster` this process as the coordinator of the cluster's runners.
 */
const withRunStack = <A, E, R>(runId: string, effect: Effect.Effect<A, E, R>, cluster: ClusterFlags = noCluster) =>
  Effect.gen(function* () {
    const repo = yield* RunsRepo
    const run = yield* repo.get(runId)
    const config = yield* decodeConfig(run.config, `runs.config of ${runId}`)
    if (!cluster.cluster) return yield* provideWith((graph) => graph.selfPlay(config))(effect)
    const options = yield* clusterOptions("coordinator", cluster.listen, cluster.advertise)
    yield* Console.log(`coordinating on the cluster as ${options.advertise.host}:${options.advertise.port}: searches run on the runners (o1coder runners)`)
    return yield* provideWith((graph) => graph.selfPlayOnCluster(config, options))(effect)
  })

interface ClusterFlags {
  readonly cluster: boolean
  readonly listen: string
  readonly advertise: Option.Option<string>
}
const noCluster: ClusterFlags = { cluster: false, listen: "", advertise: Option.none() }

const clusterFlags = {
  cluster: Options.boolean("cluster").pipe(
    Options.withDescription("Run the searches on the cluster's runners (o1coder runner) through the shared Postgres; this process coordinates.")
  ),
  listen: listenOption("127.0.0.1:34430"),
  advertise: advertiseOption
}

const reportColumns = [
  "round",
  "problems",
  "nodes",
  "pass_rate",
  "aspr",
  "pass@1",
  "tokens",
  "executions",
  "seconds",
  "datasets",
  "jobs",
  "versions",
  "policy"
]

const reportRows = (rows: ReadonlyArray<RoundReport>) =>
  rows.map((r) => ({
    round: r.round,
    problems: r.problems,
    nodes: r.nodes,
    pass_rate: r.passRate,
    aspr: r.aspr,
    "pass@1": r.passAt1,
    tokens: r.tokens,
    executions: r.executions,
    seconds: r.seconds === null ? null : Math.round(r.seconds * 10) / 10,
    datasets: r.datasets,
    jobs: r.jobs,
    versions: r.versions,
    policy: r.policyVersion
  }))

/** What the report's metrics mean (printed under the table for the columns shown). */
export const reportLegend = {
  pass_rate: "share of the round's terminal code nodes passing every generated test",
  aspr: "average sampling pass rate: on paths to a passing answer, the share of code steps that pass",
  "pass@1": "share of problems whose answer (the best terminal) passes the held-out tests",
  executions: "sandbox executions requested, cache hits included"
}

export const reportText = (rows: ReadonlyArray<RoundReport>) => tableText(reportRows(rows), reportColumns, reportLegend)

/**
 * `waiting for the database (12 s)` while an outage lasts, and its end. On a terminal it is part of
 * the progress line drawn in place (ticking every second); otherwise (a log, CI) it is a line of its
 * own at 1, 5, 10 s, then every 10 s.
 */
const outageNotices = (outage: DatabaseOutage) =>
  Effect.gen(function* () {
    let printed = 0
    let waited = false
    for (;;) {
      yield* Effect.sleep("1 second")
      const { waitingSeconds } = yield* outage.state
      if (waitingSeconds === undefined) {
        if (waited) {
          yield* setCondition(undefined)
          yield* printNotice(`the database is back; the run continues`)
        }
        printed = 0
        waited = false
        continue
      }
      const s = Math.floor(waitingSeconds)
      const notice = `waiting for the database (${s} s)`
      if (yield* drawsInPlace) {
        waited = true
        yield* setCondition(notice)
        continue
      }
      yield* setCondition(undefined)
      const due = printed === 0 ? 1 : printed < 5 ? 5 : printed + 10 - (printed % 10)
      if (s >= due) {
        printed = s
        waited = true
        yield* printNotice(notice)
      }
    }
  }).pipe(Effect.ensuring(setCondition(undefined)))

/** Runs the stored run to the end; Ctrl-C leaves it resumable and says how to resume. */
const drive = (runId: string, resumeHint: string) =>
  Effect.gen(function* () {
    const repo = yield* RunsRepo
    const outage = yield* DatabaseOutage
    yield* Effect.forkScoped(outageNotices(outage))
    // Past the outage limit the run stops (interrupted, resumable) rather than wait on; a broken
    // storage (PGlite on a read-only disk) stops it at once.
    const exit = yield* Effect.exit(Effect.raceFirst(SelfPlay.execute(runId), outage.lost)).pipe(
      Effect.onInterrupt(() => Console.error(`\ninterrupted: run ${runId} is resumable: ${resumeHint}`))
    )
    if (Exit.isFailure(exit)) {
      const unreachable = Cause.failureOption(exit.cause).pipe(Option.filter((e): e is DatabaseUnreachable => e instanceof DatabaseUnreachable))
      if (Option.isSome(unreachable)) {
        yield* Console.error(`\nrun ${runId} stopped: ${unreachable.value.message}\nthe run is interrupted and resumable: ${resumeHint}`)
        return yield* unreachable.value
      }
      const broken = Cause.failureOption(exit.cause).pipe(Option.filter((e): e is DatabaseBroken => e instanceof DatabaseBroken))
      if (Option.isSome(broken)) {
        yield* Console.error(`\nrun ${runId} failed: ${broken.value.message}\nafter fixing the cause: ${resumeHint}`)
        return yield* broken.value
      }
      if (Cause.isInterruptedOnly(exit.cause)) {
        yield* Console.error(`\ninterrupted: run ${runId} is resumable: ${resumeHint}`)
      } else {
        yield* Console.error(`run ${runId} failed: ${Cause.pretty(exit.cause)}\nafter fixing the cause: ${resumeHint}`)
      }
      return yield* Effect.failCause(exit.cause)
    }
    const rows = yield* repo.report(runId)
    yield* Console.log(`\nrun ${runId} completed\n`)
    yield* Console.log(yield* reportText(rows))
    return rows
  }).pipe(Effect.scoped)

/**
 * Prints config errors, and every bad record of the problems file, and fails before anything (even
 * the store's migrations) touches the database.
 */
const validated = (file: string) =>
  Effect.gen(function* () {
    const config = yield* loadConfig(file).pipe(
      Effect.tapError((e: ConfigError) => Console.error(e.message)),
      Effect.mapError((e) => new Error(`invalid configuration: ${e.problems.length} problem(s)`))
    )
    yield* checkProblemsFile(config).pipe(
      Effect.catchTag("ProblemsFileError", (e) =>
        Effect.zipRight(
          Console.error(e.lines.join("\n")),
          Effect.fail(new Error(`problems file ${e.file}: ${e.lines.length} bad record(s); nothing was written (o1coder problems import shows the same)`))
        )
      )
    )
    return config
  })

const startRun = (config: RunConfig) =>
  Effect.gen(function* () {
    const repo = yield* RunsRepo
    const runId = runIdFor(config)
    const run = yield* repo.create({ id: runId, name: config.name, config: encodeConfig(config) })
    yield* Console.log(`run: ${run.id}${run.status === "completed" ? " (already completed)" : ""}`)
    return run
  })

const configFile = Options.file("config").pipe(
  Options.withAlias("c"),
  Options.withDescription("The run configuration (YAML or JSON); `o1coder init` writes a commented example.")
)

export const run = Command.make("run", { config: configFile, ...clusterFlags }, ({ config: file, ...cluster }) =>
  Effect.gen(function* () {
    const config = yield* validated(file)
    yield* Effect.gen(function* () {
      const run = yield* startRun(config)
      yield* withRunStack(run.id, drive(run.id, `npx o1coder resume ${run.id}${cluster.cluster ? " --cluster" : ""}`), cluster)
    }).pipe(provide("runs"))
  })
).pipe(
  Command.withDescription(
    "Start a self-play run from a configuration file\n" +
      "Or continue it, if the same configuration already started one. Prints the run id, a progress line per stage,\n" +
      "and the per-round report at the end. Ctrl-C leaves a resumable run. `o1coder init` writes a configuration.\n\n" +
      "Example:\n" +
      "  o1coder run --config packages/selfplay/examples/tiny.yaml"
  )
)

const runArg = Args.text({ name: "RUN" }).pipe(Args.withDescription("A run id, or a run name for the latest run of that name (see `o1coder runs`)."))

export const resume = Command.make("resume", { run: runArg, ...clusterFlags }, ({ run, ...cluster }) =>
  Effect.gen(function* () {
    const repo = yield* RunsRepo
    const stored = yield* repo.resolve(run)
    if (stored.status === "completed") {
      yield* Console.log(`run ${stored.id} is complete: nothing to resume (its report: o1coder report ${stored.id})`)
      return
    }
    yield* Console.log(`resuming run ${stored.id} (${shownStatus(stored).status})`)
    yield* withRunStack(stored.id, drive(stored.id, `npx o1coder resume ${stored.id}${cluster.cluster ? " --cluster" : ""}`), cluster)
  }).pipe(provide("runs"))
).pipe(
  Command.withDescription(
    "Continue a stopped run where it stopped\n" +
      "Finished stages are replayed from the journal, unfinished ones run. A completed run is left as it is.\n\n" +
      "Example:\n" +
      "  o1coder resume demo"
  )
)

const runOpt = Args.text({ name: "RUN" }).pipe(Args.optional, Args.withDescription("A run id or name; default: the latest run."))

/**
 * Asks the backends for the current state of the jobs stored as pending or running (the run's
 * owner may be gone, and nobody else polls them); a backend that cannot answer leaves the
 * stored state, marked as such.
 */
const refreshJobs = <J extends { readonly id: string; readonly status: string }>(runConfig: unknown, runId: string, jobs: ReadonlyArray<J>) =>
  Effect.gen(function* () {
    if (!jobs.some((j) => j.status === "pending" || j.status === "running")) return jobs
    const config = yield* decodeConfig(runConfig, `runs.config of ${runId}`)
    return yield* Effect.forEach(jobs, (job) =>
      job.status !== "pending" && job.status !== "running"
        ? Effect.succeed(job)
        : Effect.flatMap(Trainer, (t) => t.status(job.id)).pipe(
            Effect.map((row) => ({ ...job, status: row.status })),
            Effect.catchAll((e) => Effect.succeed({ ...job, status: `${job.status} (stored; backend: ${e.message})` }))
          )
    ).pipe(provideWith((graph) => graph.trainerOnStore({ rayAddress: config.training.ray?.address })))
  })

const statusOf = (ref: string) =>
  Effect.gen(function* () {
    const repo = yield* RunsRepo
    let runId = ref
    const run = yield* repo.resolve(runId)
    runId = run.id
    const shown = shownStatus(run)
    const rounds = yield* repo.rounds(runId)
    const searches = yield* (yield* SearchRepo).progressByRound(runId)
    const byRunner = yield* (yield* SearchRepo).runnersByRound(runId)
    const stored = (yield* (yield* JobsRepo).list({ runId })).map(({ backend, id, round, stage, status }) => ({ id, round, stage, status: status as string, backend }))
    const jobs = yield* refreshJobs(run.config, runId, stored)
    const versions = (yield* (yield* ModelVersionsRepo).list({ runId })).map(({ id, role, round }) => ({ id, role, round }))
    const waiting = jobs.filter((j) => j.status === "pending" || j.status === "running")
    const current = rounds.find((r) => r.finishedAt === null)
    // A run still going is measured to now; a finished one to its last update.
    const end = shown.status === "running" ? Date.now() : run.updatedAt.getTime()
    const elapsed = (end - run.createdAt.getTime()) / 1000
    return {
      run: {
        id: run.id,
        name: run.name,
        status: shown.status,
        storedStatus: run.status,
        statusText: shown.text,
        owner: run.owner,
        heartbeatAgeSeconds: run.heartbeatAgeSeconds === null ? null : Math.round(run.heartbeatAgeSeconds),
        elapsedSeconds: Math.round(elapsed)
      },
      rounds: rounds.map((r) => ({
        round: r.round,
        stage: r.stage,
        policy: r.policyVersion,
        searched: searches.find((s) => s.round === r.round)?.done ?? 0,
        searches: searches.find((s) => s.round === r.round)?.total ?? 0,
        // Which cluster runner finished how many of the round's searches (empty on the embedded runner).
        runners: byRunner.filter((s) => s.round === r.round).map((s) => `${s.runner}×${s.searches}`).join(" "),
        seconds: Math.round(((r.finishedAt ?? new Date()).getTime() - r.startedAt.getTime()) / 1000)
      })),
      jobs,
      versions,
      waitingFor:
        run.status === "completed"
          ? "nothing (completed)"
          : shown.status === "interrupted" || run.status !== "running"
            ? `nothing: no process drives it${shown.liveness?.alive === false ? ` (${shown.liveness.reason})` : ""}; resume with o1coder resume ${run.id}`
          : waiting.length > 0
            ? `training job(s) ${waiting.map((j) => `${j.id} (${j.stage}, ${j.status})`).join(", ")}`
            : current !== undefined
              ? `round ${current.round} stage ${current.stage}${run.status === "running" ? "" : ` (run ${run.status}: o1coder resume ${run.id})`}`
              : run.status === "running"
                ? "start of the first round"
                : `o1coder resume ${run.id}`
    }
  })

export const status = Command.make("status", { run: runOpt, json }, ({ json, run }) =>
  Effect.gen(function* () {
    const repo = yield* RunsRepo
    const id = Option.isSome(run) ? run.value : yield* repo.latest()
    if (id === undefined) return yield* Console.log("no runs yet: start one with `o1coder demo` or `o1coder run --config FILE`")
    const s = yield* statusOf(id)
    yield* output(
      json,
      s,
      Effect.gen(function* () {
        yield* Console.log(`run ${s.run.id} (${s.run.name}): ${s.run.statusText}, ${s.run.elapsedSeconds}s ${s.run.status === "running" ? "so far" : "from start to last update"}`)
        yield* printTable(s.rounds, ["round", "stage", "searched", "searches", "seconds", "policy", ...(s.rounds.some((r) => r.runners !== "") ? ["runners"] : [])])
        if (s.jobs.length > 0) yield* printTable(s.jobs, ["id", "round", "stage", "backend", "status"])
        if (s.versions.length > 0) yield* printTable(s.versions, ["id", "role", "round"])
        yield* Console.log(`waiting for: ${s.waitingFor}`)
        yield* Console.log(yield* UiLink.pageLine(`/runs/${encodeURIComponent(s.run.id)}`))
      })
    )
  }).pipe(provide("store"))
).pipe(
  Command.withDescription(
    "Where a run is and what it waits for\n" +
      "The stage of each round, problems searched, training jobs, model versions, elapsed time, and whether the\n" +
      "process that runs it is alive.\n\n" +
      "Examples:\n" +
      "  o1coder status\n" +
      "  o1coder status demo --json"
  )
)

export const report = Command.make("report", { run: runArg, json }, ({ json, run }) =>
  Effect.gen(function* () {
    const repo = yield* RunsRepo
    const stored = yield* repo.resolve(run)
    const rows = yield* repo.report(stored.id)
    yield* output(
      json,
      rows,
      Effect.flatMap(reportText(rows), Console.log).pipe(Effect.zipRight(Effect.flatMap(UiLink.pageLine(`/runs/${encodeURIComponent(stored.id)}`), Console.log)))
    )
  }).pipe(provide("store"))
).pipe(
  Command.withDescription(
    "The per-round table of a run\n" +
      "Problems, nodes, pass rate, ASPR, pass@1 on held-out tests, tokens, executions, seconds, datasets, training\n" +
      "jobs and model versions; the metrics are explained under the table.\n\n" +
      "Examples:\n" +
      "  o1coder report demo\n" +
      "  o1coder report demo --json"
  )
)

const runsLegend = {
  status: "running only while the process that drives the run is alive (pid and heartbeat); else interrupted"
}

export const runs = Command.make("runs", { json }, ({ json }) =>
  Effect.gen(function* () {
    const repo = yield* RunsRepo
    const all = yield* repo.list()
    const rows = all.map((r) => {
      const shown = shownStatus(r)
      return { id: r.id, name: r.name, status: shown.text, stored: r.status, owner: r.owner, created: r.createdAt, updated: r.updatedAt }
    })
    yield* output(json, rows, printTable(rows, ["id", "name", "status", "created", "updated"], runsLegend))
  }).pipe(provide("store"))
).pipe(Command.withDescription("List the runs in the store, newest first\n\nExamples:\n  o1coder runs\n  o1coder runs --json"))

const initOut = Options.file("out").pipe(
  Options.withAlias("o"),
  Options.withDefault("o1coder.yaml"),
  Options.withDescription("Where to write the example configuration.")
)
const force = Options.boolean("force").pipe(Options.withDescription("Overwrite an existing file."))

const initDataset = Options.text("dataset").pipe(
  Options.withDefault("demo"),
  Options.withDescription(`problems.dataset: ${Object.keys(KNOWN_DATASETS).join(", ")} (splits and import format known) or any imported dataset name.`)
)
const initBackend = Options.choice("backend", ["local", "slurm", "ray"]).pipe(Options.withDefault("local" as const), Options.withDescription("Where training (and serving) jobs run."))
const initPolicy = Options.text("policy").pipe(
  Options.optional,
  Options.withDescription("Policy model spec (default: simulated for demo, else openai:http://127.0.0.1:8000/v1#Qwen/Qwen2.5-Coder-7B-Instruct).")
)
const initCheckpoint = Options.text("checkpoint").pipe(Options.optional, Options.withDescription("HF id or directory the first policy is trained from (default: the spec's model name)."))
const initFile = Options.text("file").pipe(Options.optional, Options.withDescription("Problems file imported before the run (the simulated trainer reads it too)."))
const initRecipes = Options.text("recipes").pipe(Options.optional, Options.withDescription("Directory of the training recipes (default: this checkout's recipes/; on a cluster, a path the nodes share)."))
const initWorkDir = Options.text("work-dir").pipe(Options.optional, Options.withDescription("training.workDir (default .o1coder/runs; shared storage for slurm and ray)."))

export const init = Command.make(
  "init",
  { out: initOut, force, dataset: initDataset, backend: initBackend, policy: initPolicy, checkpoint: initCheckpoint, file: initFile, recipes: initRecipes, workDir: initWorkDir },
  (o) =>
    Effect.gen(function* () {
      if (NodeFs.existsSync(o.out) && !o.force) {
        return yield* Effect.fail(new Error(`${o.out} exists; pass --force to overwrite it`))
      }
      const text = yield* Effect.try({
        try: () =>
          exampleYaml({
            dataset: o.dataset,
            backend: o.backend,
            policy: Option.getOrUndefined(o.policy),
            checkpoint: Option.getOrUndefined(o.checkpoint),
            file: Option.getOrUndefined(o.file),
            recipes: Option.getOrUndefined(o.recipes),
            workDir: Option.getOrUndefined(o.workDir)
          }),
        catch: (e) => new Error(`init: ${(e as Error).message}`)
      })
      // What init writes must be a valid configuration (the same Schema as `o1coder run`).
      yield* Effect.mapError(parseConfigText(text, o.out), (e) => new Error(`init wrote an invalid configuration (a bug): ${e.message}`))
      NodeFs.writeFileSync(o.out, text)
      yield* Console.log(`wrote ${o.out}: a commented run configuration for ${o.dataset} on ${o.backend}.`)
      yield* Console.log(`next: npx o1coder run --config ${o.out}`)
    })
).pipe(
  Command.withDescription(
    "Write a commented run configuration\n" +
      "For a dataset and a training backend. " +
      "Every field explained (docs/CONFIG.md is the reference). The default (demo, local, simulated policy) runs\n" +
      "offline as it is; a real policy trains with the shipped TRL recipes. Then: o1coder run --config o1coder.yaml.\n" +
      "For a cluster: --dataset mbpp --backend slurm --policy 'openai:http://HOST:8000/v1#MODEL'.\n\n" +
      "Example:\n" +
      "  o1coder init --out my-run.yaml"
  )
)

const fresh = Options.boolean("fresh").pipe(Options.withDescription("Start from an empty demo database even if an unfinished demo run exists."))
const demoDir = Options.directory("data-dir").pipe(
  Options.withDefault(Demo.DEMO_DATA_DIR),
  Options.withDescription("The demo's own PGlite data directory (emptied at the start of each fresh demo).")
)

const demoLimit = Options.integer("limit").pipe(Options.optional, Options.withDescription("Only the first N demo problems (a quicker demo)."))

export const demo = Command.make("demo", { fresh, dataDir: demoDir, limit: demoLimit }, ({ dataDir, fresh, limit }) =>
  Effect.gen(function* () {
    yield* Console.log(Demo.banner)
    const continuing = !fresh && Demo.hasUnfinishedRun(dataDir)
    if (!continuing) Demo.resetDataDir(dataDir)
    const config = Demo.config(dataDir, { limit: Option.getOrUndefined(limit) })
    yield* Effect.gen(function* () {
      const run = yield* startRun(config)
      Demo.markStarted(dataDir, run.id)
      if (continuing) yield* Console.log("continuing the unfinished demo run")
      yield* withRunStack(run.id, drive(run.id, `npx o1coder demo   (or: O1CODER_DATA_DIR=${Demo.dbDir(dataDir)} npx o1coder resume ${run.id})`))
      Demo.markFinished(dataDir)
      yield* Console.log(Demo.nextSteps(dataDir, run.id))
    }).pipe(provide("runs"), withStore({ _tag: "Pglite", dataDir: Demo.dbDir(dataDir) }))
  })
).pipe(
  Command.withDescription(
    "Two offline self-play rounds on the bundled problems\n" +
      "With a SIMULATED policy and test generator, the real sandbox, real exports and a real local training\n" +
      "command; ends with the report and SQL to try. Runs the same every time (same trees, same report).\n\n" +
      "Example:\n" +
      "  o1coder demo"
  )
)

export const commands = [run, resume, status, report, runs, init, demo] as const

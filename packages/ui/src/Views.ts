import { NotFound, type Problem, type Test } from "@o1coder/domain"
import { shownStatus } from "@o1coder/selfplay/RunOwner"
import { DatasetsRepo } from "@o1coder/store/DatasetsRepo"
import { ExecutionsRepo } from "@o1coder/store/ExecutionsRepo"
import { JobsRepo } from "@o1coder/store/JobsRepo"
import { ModelVersionsRepo } from "@o1coder/store/ModelVersionsRepo"
import { ProblemsRepo } from "@o1coder/store/ProblemsRepo"
import { RunsRepo } from "@o1coder/store/RunsRepo"
import { type NodeRow, type RunSearchTotals, type SearchRecord, SearchRepo, type TreeStats } from "@o1coder/store/SearchRepo"
import { SuitesRepo } from "@o1coder/store/SuitesRepo"
import { Clock, Effect, Option, Schema } from "effect"
import {
  AnswerView,
  DatasetView,
  ExecutionView,
  JobView,
  NodeView,
  PathStep,
  ProblemSummary,
  ProblemsPage,
  ProblemView,
  RoundView,
  RunPage,
  RunSummary,
  SearchSummary,
  SplitCount,
  StageView,
  SuiteCaseView,
  SuiteView,
  TreeNode,
  TreeView,
  VerdictView,
  VersionView
} from "./Api.ts"
import { positivePath, stagesOf, titleOf } from "./TreeFacts.ts"

/** Rounds the stored configuration asks for, when it says. */
const RoundsCount = Schema.Struct({ rounds: Schema.Struct({ count: Schema.Number }) })
const roundsOf = (config: unknown) =>
  Option.match(Schema.decodeUnknownOption(RoundsCount)(config), { onNone: () => null, onSome: (c) => c.rounds.count })

const NO_TOTALS = { searches: 0, completed: 0, rolloutsDone: 0, tokens: 0, modelCalls: 0, executions: 0 }

const summaryOf = (record: SearchRecord, stats: TreeStats | undefined): SearchSummary =>
  new SearchSummary({
    id: record.id,
    problemId: record.problemId,
    runId: record.runId,
    round: record.round,
    status: record.status,
    rolloutsDone: record.rolloutsDone,
    nodes: stats?.nodes ?? 0,
    solved: stats?.solved ?? false,
    answer:
      record.bestNodeId === null || stats === undefined || stats.answerVisits === null
        ? null
        : new AnswerView({
            nodeId: record.bestNodeId,
            value: stats.answerVisits > 0 ? (stats.answerValueSum ?? 0) / stats.answerVisits : stats.answerReward ?? 0,
            passed: stats.answerPassed,
            total: stats.answerTotal
          }),
    tokens: record.tokens,
    executions: record.executions,
    seconds: record.elapsedMs / 1000,
    startedAt: record.startedAt
  })

const nodeValue = (n: NodeRow) => (n.visits === 0 ? 0 : n.valueSum / n.visits)

/**
 * The pages of the UI, built from the store's repositories (read-only). Every view is a Schema
 * class of Api.ts; held-out tests leave this service only as counts.
 */
export class Views extends Effect.Service<Views>()("o1coder/ui/Views", {
  effect: Effect.gen(function* () {
    const runs = yield* RunsRepo
    const searches = yield* SearchRepo
    const problems = yield* ProblemsRepo
    const suites = yield* SuitesRepo
    const executions = yield* ExecutionsRepo
    const datasets = yield* DatasetsRepo
    const jobs = yield* JobsRepo
    const versions = yield* ModelVersionsRepo

    const orNotFound = <A>(what: string, id: string) => (value: A | undefined) =>
      value === undefined ? Effect.fail(new NotFound({ what, id })) : Effect.succeed(value)

    const runSummaries = Effect.fn("Views.runSummaries")(function* (runId?: string) {
      const all = runId === undefined ? yield* runs.list() : Option.toArray(Option.fromNullable(yield* runs.find(runId)))
      const totals = new Map<string, RunSearchTotals>((yield* searches.totalsByRun(runId)).map((t) => [t.runId, t]))
      const now = yield* Clock.currentTimeMillis
      return yield* Effect.forEach(all, (run) =>
        Effect.map(runs.rounds(run.id), (rounds) => {
          const last = rounds.find((r) => r.finishedAt === null) ?? rounds[rounds.length - 1]
          const t = totals.get(run.id) ?? NO_TOTALS
          // `running` only while the process that drives it is alive (else `interrupted`).
          const shown = shownStatus(run)
          const end = shown.status === "running" ? now : run.updatedAt.getTime()
          return new RunSummary({
            id: run.id,
            name: run.name,
            status: shown.status,
            statusText: shown.text,
            round: last?.round ?? null,
            rounds: roundsOf(run.config),
            stage: last?.stage ?? null,
            elapsedSeconds: Math.max(0, Math.round((end - run.createdAt.getTime()) / 1000)),
            searches: t.searches,
            tokens: t.tokens,
            modelCalls: t.modelCalls,
            executions: t.executions,
            createdAt: run.createdAt,
            updatedAt: run.updatedAt,
            live: shown.status === "running"
          })
        })
      )
    })

    const searchSummaries = Effect.fn("Views.searchSummaries")(function* (filter: { readonly runId?: string; readonly problemId?: string }) {
      const records = yield* searches.list(filter)
      const stats = new Map((yield* searches.treeStats(filter)).map((s) => [s.id, s]))
      return records.map((r) => summaryOf(r, stats.get(r.id)))
    })

    const runList = runSummaries()

    /** A search goes on while it is `running` and, inside a run, while that run's process is alive. */
    const searchLive = (record: SearchRecord) =>
      record.status !== "running" || record.runId === null
        ? Effect.succeed(record.status === "running")
        : Effect.map(runs.find(record.runId), (run) => run === undefined || shownStatus(run).status === "running")

    const run = Effect.fn("Views.run")(function* (runId: string) {
      const [summary] = yield* runSummaries(runId)
      if (summary === undefined) return yield* new NotFound({ what: "run", id: runId })
      const report = yield* runs.report(runId)
      const rounds = report.map(
        (r) =>
          new RoundView({
            ...r,
            stages: stagesOf(r.stage, summary.status, { jobs: r.jobs, evaluated: r.passAt1 !== null }).map((s) => new StageView(s))
          })
      )
      const searchList = yield* searchSummaries({ runId })
      return new RunPage({
        run: summary,
        rounds,
        searches: [...searchList].sort((a, b) => (a.round ?? 0) - (b.round ?? 0) || a.problemId.localeCompare(b.problemId)),
        datasets: (yield* datasets.list(runId)).map((d) => new DatasetView(d)),
        jobs: (yield* jobs.list({ runId })).map((j) => new JobView(j)),
        versions: (yield* versions.list({ runId })).map((v) => new VersionView(v))
      })
    })

    /** A value that changes whenever the run page would: its stream of updates compares these. */
    const runMark = Effect.fn("Views.runMark")(function* (runId: string) {
      const stored = yield* runs.get(runId)
      const rounds = yield* runs.rounds(runId)
      const totals = yield* searches.totalsByRun(runId)
      const jobList = yield* jobs.list({ runId })
      return {
        live: shownStatus(stored).status === "running",
        mark: JSON.stringify([
          stored.status,
          stored.updatedAt.getTime(),
          rounds.map((r) => [r.round, r.stage, r.finishedAt?.getTime() ?? null]),
          totals,
          jobList.map((j) => [j.id, j.status, j.updatedAt.getTime()])
        ])
      }
    })

    const searchList = (filter: { readonly runId?: string | undefined; readonly problemId?: string | undefined }) =>
      searchSummaries({
        ...(filter.runId !== undefined ? { runId: filter.runId } : {}),
        ...(filter.problemId !== undefined ? { problemId: filter.problemId } : {})
      }).pipe(Effect.map((list) => [...list].reverse()))

    const tree = Effect.fn("Views.tree")(function* (searchId: string) {
      const record = yield* searches.get(searchId)
      const rows = yield* searches.nodes(searchId)
      const [stats] = yield* searches.treeStats({ searchId })
      const problem = yield* problems.get(record.problemId).pipe(Effect.option)
      return new TreeView({
        search: summaryOf(record, stats),
        problemTitle: Option.match(problem, { onNone: () => record.problemId, onSome: (p) => titleOf(p.statement) }),
        entryPoint: Option.match(problem, { onNone: () => null, onSome: (p) => p.entryPoint ?? null }),
        suiteId: record.suiteId,
        policyVersion: record.policyVersion,
        nodes: rows.map(
          (n) =>
            new TreeNode({
              id: n.id,
              parentId: n.parentId,
              seq: n.seq,
              depth: n.depth,
              action: n.action,
              title: titleOf(n.body),
              visits: n.visits,
              value: nodeValue(n),
              reward: n.reward,
              passed: n.passed,
              total: n.total,
              terminal: n.terminal,
              hasCode: n.code !== null
            })
        ),
        positivePath: positivePath(rows),
        live: yield* searchLive(record)
      })
    })

    const treeMark = Effect.fn("Views.treeMark")(function* (searchId: string) {
      const record = yield* searches.get(searchId)
      return { live: yield* searchLive(record), mark: JSON.stringify([record.status, record.rolloutsDone, record.elapsedMs]) }
    })

    /** The tests a search ran, in order: its stored suite, or the problem's visible tests. */
    const searchTests = (record: SearchRecord, problem: Option.Option<Problem>) =>
      Effect.gen(function* () {
        if (record.suiteId !== null) {
          const suite = yield* suites.get(record.suiteId)
          if (Option.isSome(suite)) return suite.value.suite.cases.map((c) => ({ test: c.test as Test | null, origin: c.origin as typeof c.origin | null }))
        }
        return Option.match(problem, {
          onNone: () => [],
          onSome: (p) => p.visibleTests.map((test) => ({ test: test as Test | null, origin: null }))
        })
      })

    const node = Effect.fn("Views.node")(function* (searchId: string, nodeId: string) {
      const record = yield* searches.get(searchId)
      const rows = yield* searches.nodes(searchId)
      const byId = new Map(rows.map((n) => [n.id, n]))
      const n = yield* orNotFound<NodeRow>("node", nodeId)(byId.get(nodeId))
      const path: Array<PathStep> = []
      for (let cur: NodeRow | undefined = n; cur !== undefined && cur.parentId !== null; cur = byId.get(cur.parentId)) {
        path.unshift(new PathStep({ id: cur.id, depth: cur.depth, action: cur.action, title: titleOf(cur.body) }))
      }
      const found = n.code === null ? Option.none() : yield* executions.ofSearchCode(searchId, n.code)
      let execution: ExecutionView | null = null
      let executionNote: string | null = null
      if (n.code === null) executionNote = n.terminal ? "a terminal without code (the depth limit)" : "not a code step: nothing was executed"
      else if (Option.isNone(found)) executionNote = "no execution of this code in the store's cache (killed executions are never cached)"
      else {
        const tests = yield* searchTests(record, yield* problems.get(record.problemId).pipe(Effect.option))
        const e = found.value
        execution = new ExecutionView({
          compiled: e.compiled,
          passed: e.passed,
          total: e.total,
          ms: e.ms,
          verdicts: e.verdicts.map(
            (v, index) =>
              new VerdictView({
                index,
                test: tests[index]?.test ?? null,
                origin: tests[index]?.origin ?? null,
                status: v.status,
                ...(v.seen !== undefined ? { seen: v.seen } : {}),
                ...(v.error !== undefined ? { error: v.error } : {}),
                ms: v.ms
              })
          )
        })
      }
      return new NodeView({
        id: n.id,
        searchId,
        parentId: n.parentId,
        seq: n.seq,
        depth: n.depth,
        action: n.action,
        body: n.body,
        code: n.code,
        terminal: n.terminal,
        visits: n.visits,
        value: nodeValue(n),
        reward: n.reward,
        passed: n.passed,
        total: n.total,
        prior: n.prior,
        path,
        execution,
        executionNote
      })
    })

    const problemList = Effect.fn("Views.problemList")(function* (query: {
      readonly dataset?: string | undefined
      readonly split?: string | undefined
      readonly offset?: number | undefined
      readonly limit?: number | undefined
    }) {
      const offset = query.offset ?? 0
      const limit = query.limit ?? 100
      const filter = { dataset: query.dataset, split: query.split }
      const list = yield* problems.list({ ...filter, offset, limit })
      return new ProblemsPage({
        splits: (yield* problems.countBySplit()).map((s) => new SplitCount(s)),
        problems: list.map(
          (p) =>
            new ProblemSummary({ id: p.id, dataset: p.dataset, split: p.split, taskId: p.taskId, kind: p.kind, title: titleOf(p.statement) })
        ),
        total: yield* problems.count(filter),
        offset,
        limit
      })
    })

    const problem = Effect.fn("Views.problem")(function* (problemId: string) {
      const p = yield* problems.get(problemId)
      const stored = yield* suites.list({ problemIds: [problemId] })
      return new ProblemView({
        id: p.id,
        dataset: p.dataset,
        split: p.split,
        taskId: p.taskId,
        kind: p.kind,
        statement: p.statement,
        entryPoint: p.entryPoint ?? null,
        signature: p.signature ?? null,
        setup: p.setup ?? null,
        visibleTests: p.visibleTests,
        heldOutTests: p.heldOutTests.length,
        heldOutInputs: p.heldOutInputs.length,
        suites: stored.map(
          (s) =>
            new SuiteView({
              id: s.suite.id,
              generator: s.suite.generator,
              createdAt: s.createdAt,
              stats: s.stats,
              cases: s.suite.cases.map((c) => new SuiteCaseView({ test: c.test, origin: c.origin }))
            })
        ),
        searches: yield* searchList({ problemId })
      })
    })

    /** Whether the id in a page's address exists (the page is a 404 otherwise). */
    const exists = {
      run: (id: string) => Effect.map(runs.find(id), (r) => r !== undefined),
      search: (id: string) => Effect.map(searches.find(id), Option.isSome),
      problem: (id: string) => problems.exists(id)
    }

    return { runList, run, runMark, searchList, tree, treeMark, node, problemList, problem, exists } as const
  }),
  dependencies: [
    RunsRepo.Default,
    SearchRepo.Default,
    ProblemsRepo.Default,
    SuitesRepo.Default,
    ExecutionsRepo.Default,
    DatasetsRepo.Default,
    JobsRepo.Default,
    ModelVersionsRepo.Default
  ]
}) {}

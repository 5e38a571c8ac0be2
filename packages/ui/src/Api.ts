import { HttpApi, HttpApiEndpoint, HttpApiGroup } from "@effect/platform"
// Domain modules by file (not the barrel): the browser's type check sees no Node.js modules.
import { NotFound } from "@o1coder/domain/Errors"
import { Test, TestOrigin } from "@o1coder/domain/Problem"
import { RunStatus } from "@o1coder/domain/Run"
import { Action } from "@o1coder/domain/Step"
import { VerdictStatus } from "@o1coder/domain/Verdict"
import { Schema } from "effect"

/**
 * The UI's JSON API: every response is encoded by these schemas on the server (and decoded by them
 * in the tests' typed client); the browser code imports their encoded types. Read-only: GET only.
 */

const Count = Schema.Number
const Ratio = Schema.NullOr(Schema.Number)

export const SearchStatus = Schema.Literal("running", "completed", "failed")

/** A stage of a round as the run page shows it. */
export const StageState = Schema.Literal("done", "skipped", "current", "stopped", "pending")
export class StageView extends Schema.Class<StageView>("StageView")({ name: Schema.String, state: StageState }) {}

/** One line of the runs list. */
export class RunSummary extends Schema.Class<RunSummary>("RunSummary")({
  id: Schema.String,
  name: Schema.String,
  /** `interrupted` for a stored `running` run whose process is gone. */
  status: RunStatus,
  /** The status with what to do about it, e.g. `interrupted (resume with o1coder resume ID)`. */
  statusText: Schema.String,
  /** The round in progress, or the last one. */
  round: Schema.NullOr(Schema.Number),
  /** Rounds the configuration asks for. */
  rounds: Schema.NullOr(Schema.Number),
  stage: Schema.NullOr(Schema.String),
  elapsedSeconds: Schema.Number,
  searches: Count,
  tokens: Count,
  modelCalls: Count,
  executions: Count,
  createdAt: Schema.Date,
  updatedAt: Schema.Date,
  /** The run is going: its page updates. */
  live: Schema.Boolean
}) {}

/** A round's metrics (the `o1coder report` row) and its stages. */
export class RoundView extends Schema.Class<RoundView>("RoundView")({
  round: Schema.Number,
  stage: Schema.String,
  stages: Schema.Array(StageView),
  policyVersion: Schema.NullOr(Schema.String),
  problems: Count,
  nodes: Count,
  /** Share of terminal code nodes passing every generated test. */
  passRate: Ratio,
  aspr: Ratio,
  /** pass@1 on held-out tests (the round's evaluation). */
  passAt1: Ratio,
  tokens: Count,
  executions: Count,
  seconds: Schema.NullOr(Schema.Number),
  datasets: Count,
  jobs: Count,
  versions: Count
}) {}

export class DatasetView extends Schema.Class<DatasetView>("DatasetView")({
  id: Schema.String,
  kind: Schema.String,
  format: Schema.String,
  path: Schema.String,
  sha256: Schema.String,
  rows: Count,
  round: Schema.NullOr(Schema.Number),
  createdAt: Schema.Date
}) {}

export class JobView extends Schema.Class<JobView>("JobView")({
  id: Schema.String,
  backend: Schema.String,
  stage: Schema.String,
  status: Schema.String,
  round: Schema.NullOr(Schema.Number),
  externalId: Schema.NullOr(Schema.String),
  message: Schema.NullOr(Schema.String),
  logPath: Schema.NullOr(Schema.String),
  createdAt: Schema.Date,
  updatedAt: Schema.Date
}) {}

/** A model version and its lineage: the parent it was trained from, by which job, on which datasets. */
export class VersionView extends Schema.Class<VersionView>("VersionView")({
  id: Schema.String,
  role: Schema.String,
  spec: Schema.String,
  parentId: Schema.NullOr(Schema.String),
  round: Schema.NullOr(Schema.Number),
  jobId: Schema.NullOr(Schema.String),
  datasets: Schema.Array(Schema.String),
  createdAt: Schema.Date
}) {}

/** The chosen answer of a search: its node, value and verdict counts. */
export class AnswerView extends Schema.Class<AnswerView>("AnswerView")({
  nodeId: Schema.String,
  value: Schema.Number,
  passed: Schema.NullOr(Schema.Number),
  total: Schema.NullOr(Schema.Number)
}) {}

export class SearchSummary extends Schema.Class<SearchSummary>("SearchSummary")({
  id: Schema.String,
  problemId: Schema.String,
  runId: Schema.NullOr(Schema.String),
  round: Schema.NullOr(Schema.Number),
  status: SearchStatus,
  rolloutsDone: Count,
  nodes: Count,
  /** Some terminal passes every test of the search's suite. */
  solved: Schema.Boolean,
  answer: Schema.NullOr(AnswerView),
  tokens: Count,
  executions: Count,
  seconds: Schema.Number,
  startedAt: Schema.Date
}) {}

export class RunPage extends Schema.Class<RunPage>("RunPage")({
  run: RunSummary,
  rounds: Schema.Array(RoundView),
  searches: Schema.Array(SearchSummary),
  datasets: Schema.Array(DatasetView),
  jobs: Schema.Array(JobView),
  versions: Schema.Array(VersionView)
}) {}

/** A node as the tree draws it (the step text and code are fetched when the node is opened). */
export class TreeNode extends Schema.Class<TreeNode>("TreeNode")({
  id: Schema.String,
  parentId: Schema.NullOr(Schema.String),
  seq: Schema.Number,
  depth: Schema.Number,
  action: Schema.NullOr(Action),
  /** The first line of the step text. */
  title: Schema.String,
  visits: Count,
  /** Q/N (0 when unvisited). */
  value: Schema.Number,
  reward: Schema.NullOr(Schema.Number),
  passed: Schema.NullOr(Schema.Number),
  total: Schema.NullOr(Schema.Number),
  terminal: Schema.Boolean,
  hasCode: Schema.Boolean
}) {}

export class TreeView extends Schema.Class<TreeView>("TreeView")({
  search: SearchSummary,
  problemTitle: Schema.String,
  /** The function the tests call (function problems). */
  entryPoint: Schema.NullOr(Schema.String),
  suiteId: Schema.NullOr(Schema.String),
  policyVersion: Schema.String,
  nodes: Schema.Array(TreeNode),
  /** Nodes on a path from the root to a terminal that passes every test (the paths of D+). */
  positivePath: Schema.Array(Schema.String),
  live: Schema.Boolean
}) {}

/** One test's verdict on a node's code, beside the test itself. */
export class VerdictView extends Schema.Class<VerdictView>("VerdictView")({
  index: Schema.Number,
  test: Schema.NullOr(Test),
  origin: Schema.NullOr(TestOrigin),
  status: VerdictStatus,
  /** The value the code produced, for a failed test. */
  seen: Schema.optional(Schema.String),
  error: Schema.optional(Schema.String),
  ms: Schema.Number
}) {}

export class ExecutionView extends Schema.Class<ExecutionView>("ExecutionView")({
  compiled: Schema.Boolean,
  passed: Count,
  total: Count,
  ms: Schema.Number,
  verdicts: Schema.Array(VerdictView)
}) {}

export class PathStep extends Schema.Class<PathStep>("PathStep")({
  id: Schema.String,
  depth: Schema.Number,
  action: Schema.NullOr(Action),
  title: Schema.String
}) {}

export class NodeView extends Schema.Class<NodeView>("NodeView")({
  id: Schema.String,
  searchId: Schema.String,
  parentId: Schema.NullOr(Schema.String),
  seq: Schema.Number,
  depth: Schema.Number,
  action: Schema.NullOr(Action),
  body: Schema.String,
  code: Schema.NullOr(Schema.String),
  terminal: Schema.Boolean,
  visits: Count,
  value: Schema.Number,
  reward: Schema.NullOr(Schema.Number),
  passed: Schema.NullOr(Schema.Number),
  total: Schema.NullOr(Schema.Number),
  prior: Schema.NullOr(Schema.Number),
  /** The steps from the root's first child to this node. */
  path: Schema.Array(PathStep),
  execution: Schema.NullOr(ExecutionView),
  /** Why there are no verdicts, when there are none. */
  executionNote: Schema.NullOr(Schema.String)
}) {}

export class ProblemSummary extends Schema.Class<ProblemSummary>("ProblemSummary")({
  id: Schema.String,
  dataset: Schema.String,
  split: Schema.String,
  taskId: Schema.String,
  kind: Schema.String,
  title: Schema.String
}) {}

export class SplitCount extends Schema.Class<SplitCount>("SplitCount")({
  dataset: Schema.String,
  split: Schema.String,
  count: Count
}) {}

export class ProblemsPage extends Schema.Class<ProblemsPage>("ProblemsPage")({
  splits: Schema.Array(SplitCount),
  problems: Schema.Array(ProblemSummary),
  total: Count,
  offset: Count,
  limit: Count
}) {}

export class SuiteCaseView extends Schema.Class<SuiteCaseView>("SuiteCaseView")({
  test: Test,
  origin: TestOrigin
}) {}

export class SuiteView extends Schema.Class<SuiteView>("SuiteView")({
  id: Schema.String,
  generator: Schema.String,
  createdAt: Schema.Date,
  /** Generation and validation statistics (generated, validated, dropped by reason, mutation score). */
  stats: Schema.Record({ key: Schema.String, value: Schema.Unknown }),
  cases: Schema.Array(SuiteCaseView)
}) {}

/** A problem as the UI shows it: held-out material only as counts. */
export class ProblemView extends Schema.Class<ProblemView>("ProblemView")({
  id: Schema.String,
  dataset: Schema.String,
  split: Schema.String,
  taskId: Schema.String,
  kind: Schema.String,
  statement: Schema.String,
  entryPoint: Schema.NullOr(Schema.String),
  signature: Schema.NullOr(Schema.String),
  setup: Schema.NullOr(Schema.String),
  visibleTests: Schema.Array(Test),
  heldOutTests: Count,
  heldOutInputs: Count,
  suites: Schema.Array(SuiteView),
  searches: Schema.Array(SearchSummary)
}) {}

export class Health extends Schema.Class<Health>("Health")({
  service: Schema.Literal("o1coder-ui"),
  /** The store this UI reads (a Postgres URL without its password, or a PGlite directory). */
  store: Schema.String
}) {}

const notFound = { status: 404 } as const

export const ProblemsQuery = Schema.Struct({
  dataset: Schema.optional(Schema.String),
  split: Schema.optional(Schema.String),
  offset: Schema.optional(Schema.NumberFromString.pipe(Schema.int(), Schema.nonNegative())),
  limit: Schema.optional(Schema.NumberFromString.pipe(Schema.int(), Schema.between(1, 500)))
})

export const SearchesQuery = Schema.Struct({
  run: Schema.optional(Schema.String),
  problem: Schema.optional(Schema.String)
})

export class UiApi extends HttpApi.make("o1coder-ui")
  .add(
    HttpApiGroup.make("runs")
      .add(HttpApiEndpoint.get("list", "/api/runs").addSuccess(Schema.Array(RunSummary)))
      .add(
        HttpApiEndpoint.get("get", "/api/runs/:runId")
          .setPath(Schema.Struct({ runId: Schema.String }))
          .addSuccess(RunPage)
          .addError(NotFound, notFound)
      )
  )
  .add(
    HttpApiGroup.make("searches")
      .add(HttpApiEndpoint.get("list", "/api/searches").setUrlParams(SearchesQuery).addSuccess(Schema.Array(SearchSummary)))
      .add(
        HttpApiEndpoint.get("tree", "/api/searches/:searchId")
          .setPath(Schema.Struct({ searchId: Schema.String }))
          .addSuccess(TreeView)
          .addError(NotFound, notFound)
      )
      .add(
        HttpApiEndpoint.get("node", "/api/searches/:searchId/nodes/:nodeId")
          .setPath(Schema.Struct({ searchId: Schema.String, nodeId: Schema.String }))
          .addSuccess(NodeView)
          .addError(NotFound, notFound)
      )
  )
  .add(
    HttpApiGroup.make("problems")
      .add(HttpApiEndpoint.get("list", "/api/problems").setUrlParams(ProblemsQuery).addSuccess(ProblemsPage))
      .add(
        HttpApiEndpoint.get("get", "/api/problems/:problemId")
          .setPath(Schema.Struct({ problemId: Schema.String }))
          .addSuccess(ProblemView)
          .addError(NotFound, notFound)
      )
  )
  .add(HttpApiGroup.make("system").add(HttpApiEndpoint.get("health", "/api/health").addSuccess(Health))) {}

/** The wire form of a response (dates as ISO strings): what the browser receives. */
export type Wire<S extends Schema.Schema.Any> = Schema.Schema.Encoded<S>

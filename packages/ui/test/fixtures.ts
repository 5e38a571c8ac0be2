import { CallTest, Evaluation, EvaluationId, Execution, Problem, ProblemId, RunId, sha256, TestCase, Verdict } from "@o1coder/domain"
import { currentOwner } from "@o1coder/selfplay/RunOwner"
import { DatasetsRepo } from "@o1coder/store/DatasetsRepo"
import { EvaluationsRepo } from "@o1coder/store/EvaluationsRepo"
import { ExecutionsRepo } from "@o1coder/store/ExecutionsRepo"
import { JobsRepo } from "@o1coder/store/JobsRepo"
import { ModelVersionsRepo } from "@o1coder/store/ModelVersionsRepo"
import { ProblemsRepo } from "@o1coder/store/ProblemsRepo"
import { RunsRepo } from "@o1coder/store/RunsRepo"
import { type NodeRow, SearchRepo } from "@o1coder/store/SearchRepo"
import { SuitesRepo } from "@o1coder/store/SuitesRepo"
import { Effect, Layer } from "effect"

/** Every repository the UI's Views read. */
export const repositories = Layer.mergeAll(
  RunsRepo.Default,
  SearchRepo.Default,
  ProblemsRepo.Default,
  SuitesRepo.Default,
  ExecutionsRepo.Default,
  DatasetsRepo.Default,
  JobsRepo.Default,
  ModelVersionsRepo.Default,
  EvaluationsRepo.Default
)

/**
 * A small self-play run written through the repositories, as the workflow writes one: a problem
 * with held-out tests, a generated suite, a run whose round 1 is done and round 2 is searching,
 * one searched tree with a passing and a failing code step and their executions, a dataset, a
 * job, model versions with lineage and an evaluation.
 */
export const RUN = "run-ui-fixture"
export const SEARCH = "s-ui-fixture"
export const PROBLEM = "uitest/add"
export const HELD_OUT_SECRET = "424242"

const problem = Problem.make({
  id: ProblemId.make(PROBLEM),
  dataset: "uitest",
  taskId: "add",
  split: "test",
  kind: "function",
  statement: "Write add(a, b) that returns the sum of a and b.",
  entryPoint: "add",
  signature: "def add(a, b):",
  reference: "def add(a, b):\n    return a + b\n",
  visibleTests: [new CallTest({ args: "1, 2", expected: "3" })],
  heldOutTests: [new CallTest({ args: "400000, 24242", expected: HELD_OUT_SECRET }), new CallTest({ args: "0, 0", expected: "0" })],
  heldOutInputs: ["5, 5"]
})

const suiteCases = [
  new TestCase({ test: new CallTest({ args: "1, 2", expected: "3" }), origin: "dataset" }),
  new TestCase({ test: new CallTest({ args: "2, 2", expected: "4" }), origin: "llm" }),
  new TestCase({ test: new CallTest({ args: "-7, 3", expected: "-4" }), origin: "mutation" })
]

export const node = (searchId: string, seq: number, fields: Partial<NodeRow> & Pick<NodeRow, "parentId" | "depth">): NodeRow => ({
  id: `${searchId}:${seq}`,
  searchId,
  seq,
  action: null,
  body: "",
  code: null,
  terminal: false,
  visits: 0,
  valueSum: 0,
  reward: null,
  passed: null,
  total: null,
  prior: null,
  ...fields
})

export const PASSING_CODE = "def add(a, b):\n    return a + b"
export const FAILING_CODE = "def add(a, b):\n    return a * b"

const verdict = (status: "passed" | "failed", seen?: string) => new Verdict({ status, ms: 0.2, ...(seen !== undefined ? { seen } : {}) })

export const seed = Effect.gen(function* () {
  const runs = yield* RunsRepo
  const searches = yield* SearchRepo
  const executions = yield* ExecutionsRepo
  const versions = yield* ModelVersionsRepo
  const jobs = yield* JobsRepo
  yield* (yield* ProblemsRepo).upsert(problem)
  const suite = yield* (yield* SuitesRepo).save({
    id: "suite-ui-fixture",
    problemId: PROBLEM,
    generator: "all",
    configHash: "h",
    stats: { generated: 4, validated: 4, validity: 0.75, dropped: { wrong_output: 1 }, examples: [{ text: "add(1, 1) == 3", reason: "wrong_output" }] },
    cases: suiteCases
  })

  yield* runs.create({ id: RUN, name: "ui fixture", config: { rounds: { count: 2 } } })
  // Driven by this process (alive for the whole test): a running run, not an interrupted one.
  yield* runs.claim(RUN, currentOwner())
  yield* versions.register({ id: "mv-base", role: "policy", spec: "simulated", parentId: null, runId: RUN, round: 0, jobId: null, datasets: [] })
  yield* runs.setStage(RUN, 1, "search", "mv-base")

  const root = node(SEARCH, 0, { parentId: null, depth: 0 })
  yield* searches.create({ id: SEARCH, problemId: PROBLEM, runId: RUN, round: 1, suiteId: suite.suite.id, policyVersion: "mv-base", config: {}, seed: 1, root })
  const plan = node(SEARCH, 1, { parentId: root.id, depth: 1, action: "A1", body: "Plan:\n1. return the sum", visits: 2, valueSum: 4 / 3 })
  const good = node(SEARCH, 2, { parentId: plan.id, depth: 2, action: "A3", body: `\`\`\`python\n${PASSING_CODE}\n\`\`\``, code: PASSING_CODE, terminal: true, visits: 1, valueSum: 1, reward: 1, passed: 3, total: 3 })
  const bad = node(SEARCH, 3, { parentId: plan.id, depth: 2, action: "A3", body: `\`\`\`python\n${FAILING_CODE}\n\`\`\``, code: FAILING_CODE, terminal: true, visits: 1, valueSum: 1 / 3, reward: 1 / 3, passed: 1, total: 3 })
  const other = node(SEARCH, 4, { parentId: root.id, depth: 1, action: "A1", body: "Outline:\nloop" })
  yield* searches.checkpoint({
    searchId: SEARCH,
    newNodes: [plan, good, bad, other],
    updated: [{ id: root.id, visits: 3, valueSum: 4 / 3 + 1 / 3 }],
    progress: { rolloutsDone: 3, tokens: 1200, modelCalls: 3, executions: 2, elapsedMs: 1500, bestNodeId: good.id }
  })
  yield* searches.finish(SEARCH, "completed", { rolloutsDone: 3, tokens: 1200, modelCalls: 3, executions: 2, elapsedMs: 1500, bestNodeId: good.id })
  for (const [key, code, execution] of [
    ["k-good", PASSING_CODE, new Execution({ compiled: true, passed: 3, total: 3, ms: 4, verdicts: [verdict("passed"), verdict("passed"), verdict("passed")] })],
    ["k-bad", FAILING_CODE, new Execution({ compiled: true, passed: 1, total: 3, ms: 4, verdicts: [verdict("failed", "2"), verdict("passed"), verdict("failed", "-21")] })]
  ] as const) {
    yield* executions.put({ key, codeHash: sha256(code), suiteHash: "suite", execution })
    yield* executions.log({ key, purpose: "search", cached: false, runId: RUN, searchId: SEARCH, problemId: PROBLEM })
  }

  yield* runs.setStage(RUN, 1, "export", "mv-base")
  const dataset = yield* (yield* DatasetsRepo).record({ kind: "sft", format: "prompt-completion", path: "/tmp/sft.jsonl", sha256: "ab".repeat(32), rows: 1, runId: RUN, round: 1, filters: {} })
  yield* runs.setStage(RUN, 1, "train", "mv-base")
  yield* jobs.insert({ id: "job-ui-sft", backend: "local", stage: "policy-sft", runId: RUN, round: 1, spec: {}, outputDir: null, logPath: "/tmp/train.log" })
  yield* jobs.setStatus("job-ui-sft", "succeeded", null)
  yield* versions.register({ id: "mv-sft", role: "policy", spec: "simulated:/tmp/params.json", parentId: "mv-base", runId: RUN, round: 1, jobId: "job-ui-sft", datasets: [dataset] })
  yield* runs.setStage(RUN, 1, "evaluate", "mv-base")
  yield* (yield* EvaluationsRepo).save(
    new Evaluation({
      id: EvaluationId.make("ev-ui"),
      runId: RunId.make(RUN),
      round: 1,
      modelVersion: null,
      dataset: "uitest",
      split: "test",
      mode: "mcts",
      protocol: "held-out",
      metrics: { "pass@1": 1 },
      details: [],
      createdAt: new Date()
    })
  )
  yield* runs.finishRound(RUN, 1)
  yield* runs.setStage(RUN, 2, "search", "mv-sft")
})

/**
 * A deterministic tree of `size` nodes for drawing tests: width-3 expansions breadth-first, code
 * terminals at depth 8 and every seventh node before (every fifth terminal passing), values spread
 * over [0, 1].
 */
export const syntheticTree = (searchId: string, size: number): { readonly root: NodeRow; readonly rest: ReadonlyArray<NodeRow> } => {
  const root = node(searchId, 0, { parentId: null, depth: 0, visits: size, valueSum: size * 0.5 })
  const rest: Array<NodeRow> = []
  const frontier: Array<NodeRow> = [root]
  let seq = 1
  while (seq < size && frontier.length > 0) {
    const parent = frontier.shift()!
    for (let k = 0; k < 3 && seq < size; k++, seq++) {
      const depth = parent.depth + 1
      const terminal = depth >= 8 || seq % 7 === 0
      const passing = terminal && seq % 5 === 0
      const visits = Math.max(0, Math.floor(size / 3 ** depth) - k)
      const value = ((seq * 37) % 101) / 100
      const code = terminal ? `def f(x):\n    return x + ${seq}` : null
      const n = node(searchId, seq, {
        parentId: parent.id,
        depth,
        action: terminal ? "A3" : depth === 1 ? "A1" : "A2",
        body: terminal ? `\`\`\`python\n${code}\n\`\`\`` : `Step ${seq}: refine`,
        code,
        terminal,
        visits,
        valueSum: visits * value,
        reward: terminal ? (passing ? 1 : value) : null,
        passed: terminal ? (passing ? 3 : 1) : null,
        total: terminal ? 3 : null
      })
      rest.push(n)
      if (!terminal) frontier.push(n)
    }
  }
  return { root, rest }
}

/** Writes a synthetic tree as a completed search of `problemId` (outside any run). */
export const writeSyntheticSearch = (searchId: string, problemId: string, size: number) =>
  Effect.gen(function* () {
    const searches = yield* SearchRepo
    const { rest, root } = syntheticTree(searchId, size)
    yield* searches.create({ id: searchId, problemId, runId: null, round: null, suiteId: null, policyVersion: "synthetic", config: {}, seed: 0, root })
    const answer = rest.find((n) => n.terminal && n.passed === n.total)
    const progress = { rolloutsDone: size, tokens: 0, modelCalls: 0, executions: 0, elapsedMs: 0, bestNodeId: answer?.id ?? null }
    yield* searches.checkpoint({ searchId, newNodes: rest, updated: [], progress })
    yield* searches.finish(searchId, "completed", progress)
    if (rest.length + 1 !== size) return yield* Effect.dieMessage(`the synthetic tree has ${rest.length + 1} nodes, not ${size}`)
    return { nodes: size, answer: answer?.id }
  })

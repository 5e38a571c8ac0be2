import { Args, Command, Options } from "@effect/cli"
import type { Problem, Test } from "@o1coder/domain"
import type { LanguageModelService } from "@o1coder/models"
import { ModelSpecs, OpenAiCompatible } from "@o1coder/models"
import type { SearchOutcome, SearchSuite } from "@o1coder/search"
import { Search, SearchConfig } from "@o1coder/search"
import { ProblemsRepo } from "@o1coder/store/ProblemsRepo"
import type { NodeRow } from "@o1coder/store/SearchRepo"
import { SearchRepo } from "@o1coder/store/SearchRepo"
import { SuitesRepo } from "@o1coder/store/SuitesRepo"
import { TestGen } from "@o1coder/tcg"
import * as UiLink from "@o1coder/ui/Link"
import { Console, Effect, Option, Schema } from "effect"
import { provide } from "../Layers.ts"
import { output, printTable } from "../Output.ts"
import { makeProgress, printNotice } from "../Progress.ts"

const json = Options.boolean("json").pipe(Options.withDescription("Print JSON instead of tables."))
const dataset = Options.text("dataset").pipe(Options.optional, Options.withDescription("Dataset name in the store (import it first)."))
const split = Options.text("split").pipe(Options.optional, Options.withDescription("Only this split."))
const limit = Options.integer("limit").pipe(Options.optional, Options.withDescription("At most this many problems (task order)."))
const policy = Options.text("policy").pipe(
  Options.optional,
  Options.withDescription("Policy model spec: simulated[:<params.json>] | openai:<url>#<model> | llama:<file.gguf> | replay:<run>.")
)
const rollouts = Options.integer("rollouts").pipe(Options.withDefault(15), Options.withDescription("Iterations per problem."))
const depth = Options.integer("depth").pipe(Options.withDefault(5), Options.withDescription("Max steps on a path."))
const width = Options.integer("width").pipe(Options.withDefault(3), Options.withDescription("Children per expansion (one request with n = width)."))
const c = Options.float("c").pipe(Options.withDefault(2.0), Options.withDescription("UCT exploration constant."))
const seed = Options.integer("seed").pipe(Options.withDefault(0), Options.withDescription("Seed of every random choice of the search."))
const concurrency = Options.integer("concurrency").pipe(Options.withDefault(2), Options.withDescription("Problems searched at once."))
const tokenBudget = Options.integer("token-budget").pipe(Options.withDefault(0), Options.withDescription("Tokens per problem at most (0: no limit)."))
const earlyStop = Options.boolean("early-stop").pipe(Options.withDescription("Stop a problem once a path passes every test of its suite."))
const suiteKind = Options.choice("suite", ["mutation", "dataset", "llm", "all", "visible"]).pipe(
  Options.withDefault("mutation" as const),
  Options.withDescription(
    "Reward tests: a generated suite (mutation, dataset, llm, all; built and stored by test generation) or the visible tests as they are."
  )
)
const tcg = Options.text("tcg").pipe(Options.optional, Options.withDescription("TCG model spec for --suite llm/all (e.g. simulated-tcg)."))
const budget = Options.integer("suite-budget").pipe(Options.withDefault(60), Options.withDescription("Mutated inputs tried per problem for the suite."))
export const examples = Options.choice("examples", ["on", "off"]).pipe(
  Options.withDefault("on" as const),
  Options.withDescription("The step prompt's worked examples (off for a model with a small context window, e.g. 2048 tokens).")
)
export const stepMaxTokens = Options.integer("step-max-tokens").pipe(
  Options.withDefault(SearchConfig.default.stepMaxTokens),
  Options.withDescription("Tokens of one step at most (the max_tokens of each expansion request).")
)
const runId = Options.text("run-id").pipe(Options.optional, Options.withDescription("Tag the searches with this run id."))

const round3 = (x: number) => Math.round(x * 1000) / 1000

const summaryRow = (o: SearchOutcome) => ({
  problem: o.problemId,
  search: o.searchId,
  nodes: o.nodes,
  rollouts: o.rolloutsDone,
  value: o.answer ? round3(o.answer.value) : null,
  passed: o.answer && o.answer.total !== null ? `${o.answer.passed}/${o.answer.total}` : "",
  solved: o.solved,
  tokens: o.tokens,
  calls: o.modelCalls,
  execs: o.executions,
  seconds: round3(o.elapsedMs / 1000),
  stop: o.stoppedBy
})

/** Problems whose search failed: the command prints every reason in full, then exits non-zero. */
export class SearchesFailed extends Schema.TaggedError<SearchesFailed>()("SearchesFailed", {
  failed: Schema.Number,
  total: Schema.Number
}) {
  override get message() {
    return `${this.failed} of ${this.total} problem${this.total === 1 ? "" : "s"} failed (reasons above)`
  }
}

/** Model-backend notices (retries, split requests) as lines on stderr beside the progress line. */
export const modelNotices = { onNotice: (notice: OpenAiCompatible.Notice) => printNotice(OpenAiCompatible.formatNotice(notice)) }

const printSummary = (outcomes: ReadonlyArray<SearchOutcome>, failures: ReadonlyArray<{ problem: string; reason: string }>) =>
  Effect.gen(function* () {
    yield* printTable(outcomes.map(summaryRow))
    const solved = outcomes.filter((o) => o.solved).length
    const sum = (f: (o: SearchOutcome) => number) => outcomes.reduce((s, o) => s + f(o), 0)
    yield* Console.log(
      `solved on the generated suites: ${solved}/${outcomes.length}; nodes ${sum((o) => o.nodes)}, tokens ${sum((o) => o.tokens)}, ` +
        `model calls ${sum((o) => o.modelCalls)}, executions ${sum((o) => o.executions)}`
    )
    if (failures.length > 0) {
      yield* Console.log(`\n${failures.length} problem(s) failed:`)
      for (const f of failures) yield* Console.log(`${f.problem}: ${f.reason}`)
    }
    const only = outcomes.length === 1 ? outcomes[0] : undefined
    if (outcomes.length > 0) yield* Console.log(yield* UiLink.pageLine(only !== undefined ? `/searches/${encodeURIComponent(only.searchId)}` : "/searches"))
  })

const suiteFor = (problem: Problem, kind: string, options: { readonly seed: number; readonly budget: number; readonly tcgModel?: LanguageModelService | undefined }) =>
  Effect.gen(function* () {
    if (kind === "visible") return { id: null, tests: problem.visibleTests } satisfies SearchSuite
    const built = yield* (yield* TestGen).suiteFor(problem, {
      generator: kind as "mutation" | "dataset" | "llm" | "all",
      budget: options.budget,
      seed: options.seed,
      model: options.tcgModel
    })
    return { id: built.suite.id as string, tests: built.suite.cases.map((c): Test => c.test) } satisfies SearchSuite
  })

const run = Command.make(
  "search",
  {
    dataset, split, limit, policy, rollouts, depth, width, c, seed, concurrency, tokenBudget, earlyStop, examples, stepMaxTokens,
    suiteKind, tcg, budget, runId, json
  },
  (o) =>
    Effect.gen(function* () {
      if (Option.isNone(o.dataset) || Option.isNone(o.policy)) {
        return yield* Effect.fail(new Error("search needs --dataset and --policy (or: o1coder search resume ID)"))
      }
      const problems = yield* (yield* ProblemsRepo).list({ dataset: o.dataset.value, split: Option.getOrUndefined(o.split), limit: Option.getOrUndefined(o.limit) })
      if (problems.length === 0) return yield* Effect.fail(new Error(`no problems in dataset ${o.dataset.value}: import them first`))
      const runIdValue = Option.getOrUndefined(o.runId)
      const policyModel = yield* ModelSpecs.make(o.policy.value, { problems, role: "policy", runId: runIdValue, openai: modelNotices })
      const tcgModel = Option.isSome(o.tcg)
        ? yield* ModelSpecs.make(o.tcg.value, { problems, role: "tcg", runId: runIdValue, openai: modelNotices })
        : undefined
      const config = new SearchConfig({
        rollouts: o.rollouts, maxDepth: o.depth, width: o.width, c: o.c, seed: o.seed, tokenBudget: o.tokenBudget, earlyStop: o.earlyStop,
        examples: o.examples === "on", stepMaxTokens: o.stepMaxTokens
      })
      const search = yield* Search
      const progress = yield* makeProgress("search", problems.length)
      const live = new Map<string, { nodes: number; best: number; tokens: number }>()
      const finished: Array<SearchOutcome> = []
      const failures: Array<{ problem: string; reason: string }> = []
      const detail = () => {
        const all = [...live.values()]
        const nodes = all.reduce((s, x) => s + x.nodes, 0)
        const tokens = all.reduce((s, x) => s + x.tokens, 0)
        const best = all.length > 0 ? Math.max(...all.map((x) => x.best)) : 0
        const solved = finished.filter((f) => f.solved).length
        const rate = finished.length > 0 ? `${Math.round((100 * solved) / finished.length)}%` : "-"
        return `nodes ${nodes}  best ${best.toFixed(2)}  solved ${rate}  tokens ${tokens}`
      }
      yield* Effect.forEach(
        problems,
        (problem) =>
          Effect.gen(function* () {
            const suite = yield* suiteFor(problem, o.suiteKind, { seed: o.seed, budget: o.budget, tcgModel }).pipe(
              Effect.catchAll((e) =>
                Console.error(`${problem.id}: no ${o.suiteKind} suite (${"reason" in e ? e.reason : String(e)}); using the visible tests`).pipe(
                  Effect.as({ id: null, tests: problem.visibleTests } satisfies SearchSuite)
                )
              )
            )
            const outcome = yield* search.run({
              problem, suite, policy: policyModel, config, runId: runIdValue, policySpec: o.policy.pipe(Option.getOrUndefined),
              onProgress: (e) =>
                Effect.suspend(() => {
                  live.set(e.searchId, { nodes: e.nodes, best: e.bestValue, tokens: e.tokens })
                  return progress.update(finished.length + failures.length, detail())
                })
            })
            finished.push(outcome)
            live.set(outcome.searchId, { nodes: outcome.nodes, best: outcome.answer?.value ?? 0, tokens: outcome.tokens })
          }).pipe(
            Effect.catchAll((e) => Effect.sync(() => void failures.push({ problem: problem.id, reason: e.message }))),
            Effect.zipRight(Effect.suspend(() => progress.update(finished.length + failures.length, detail())))
          ),
        { concurrency: o.concurrency }
      )
      yield* progress.finish(detail())
      const ordered = problems.flatMap((p) => finished.filter((f) => f.problemId === p.id))
      yield* output(o.json, { outcomes: ordered, failures }, printSummary(ordered, failures))
      if (failures.length > 0) return yield* new SearchesFailed({ failed: failures.length, total: problems.length })
    }).pipe(Effect.scoped, provide("search"))
)

const searchId = Args.text({ name: "ID" }).pipe(Args.withDescription("A search id (see: o1coder sql \"select id, problem_id, status from searches\")."))

const resume = Command.make("resume", { searchId, json }, (o) =>
  Effect.gen(function* () {
    const search = yield* Search
    const record = yield* (yield* SearchRepo).get(o.searchId)
    const stored = yield* search.storedConfig(o.searchId)
    if (stored.policySpec === null) {
      return yield* Effect.fail(new Error(`search ${o.searchId} was started without a policy spec: resume it from code with Search.resume`))
    }
    const problem = yield* (yield* ProblemsRepo).get(record.problemId)
    const storedSuite = record.suiteId === null ? Option.none() : yield* (yield* SuitesRepo).get(record.suiteId)
    const suite: SearchSuite = Option.isSome(storedSuite)
      ? { id: storedSuite.value.suite.id, tests: storedSuite.value.suite.cases.map((c) => c.test) }
      : { id: null, tests: problem.visibleTests }
    const policyModel = yield* ModelSpecs.make(stored.policySpec, {
      problems: [problem], role: "policy", runId: record.runId ?? undefined, openai: modelNotices
    })
    const progress = yield* makeProgress(`resume ${o.searchId}`, stored.search.rollouts)
    const outcome = yield* search.resume(o.searchId, {
      problem, suite, policy: policyModel, policySpec: stored.policySpec,
      onProgress: (e) => progress.update(e.rolloutsDone, `nodes ${e.nodes}  best ${e.bestValue.toFixed(2)}  tokens ${e.tokens}`)
    })
    yield* progress.finish()
    yield* output(o.json, outcome, printSummary([outcome], []))
  }).pipe(Effect.scoped, provide("search"))
).pipe(
  Command.withDescription(
    "Continue a stored search from its last checkpoint\n" +
      "After a crash, a kill or an error, with the same problem, suite and policy: recorded model calls and cached\n" +
      "executions are replayed, not paid again. A completed search is reported as it is.\n\n" +
      "Example:\n" +
      "  o1coder search resume SEARCH_ID"
  )
)

export const searchCommand = run.pipe(
  Command.withDescription(
    "MCTS over pseudocode steps for each problem of a dataset\n" +
      "Steps are A1 structure, A2 refinement, A3 code; code is rewarded by the problem's generated test suite (never\n" +
      "the held-out tests). Every iteration is checkpointed in the store: a rerun with the same options continues the\n" +
      "same searches. Progress on stderr, a summary table at the end (or --json). Exits 1 when a problem's search\n" +
      "failed (every reason printed in full). A node whose prompt no longer fits the model's context becomes a\n" +
      "terminal with reward 0, and the search goes on. For a llama-server policy (-np 4 -c 8192: 2048 tokens a slot):\n" +
      "--policy openai:http://127.0.0.1:8080/v1#MODEL --examples off --step-max-tokens 64 --suite visible.\n\n" +
      "Example:\n" +
      "  o1coder search --dataset demo --limit 2 --policy simulated --rollouts 4"
  ),
  Command.withSubcommands([resume])
)

// -- o1coder tree ID -------------------------------------------------------------------------

const maxDepth = Options.integer("max-depth").pipe(Options.optional, Options.withDescription("Show nodes down to this depth only."))

const firstLine = (body: string) => {
  const line = body.split("\n").find((l) => l.trim() !== "" && !l.startsWith("```")) ?? ""
  return line.length > 60 ? `${line.slice(0, 59)}…` : line
}

/**
 * The tree as an indented outline: N, Q/N, action, verdicts; the answer marked with *. A terminal
 * without code above the search's max depth is one whose prompt outgrew the model's context.
 */
export const renderTree = (nodes: ReadonlyArray<NodeRow>, bestNodeId: string | null, depthLimit?: number, searchMaxDepth?: number): string => {
  const noCode = (n: NodeRow) =>
    searchMaxDepth !== undefined && n.depth < searchMaxDepth ? " (the prompt outgrew the model's context)" : " (no code at the depth limit)"
  const children = new Map<string, Array<NodeRow>>()
  for (const n of nodes) if (n.parentId !== null) children.set(n.parentId, [...(children.get(n.parentId) ?? []), n])
  const lines: Array<string> = []
  const visit = (n: NodeRow, indent: string) => {
    const value = n.visits === 0 ? "-" : (n.valueSum / n.visits).toFixed(3)
    const verdict = n.code !== null ? ` tests ${n.passed ?? "?"}/${n.total ?? "?"} r=${(n.reward ?? 0).toFixed(2)}` : n.terminal ? noCode(n) : ""
    const label = n.parentId === null ? "root" : `[${n.action ?? "?"}]`
    const mark = n.id === bestNodeId ? " *" : ""
    lines.push(`${indent}${label} N=${n.visits} Q/N=${value}${verdict}${mark}${n.parentId === null ? "" : `  ${firstLine(n.body)}`}`)
    if (depthLimit !== undefined && n.depth >= depthLimit) return
    for (const k of children.get(n.id) ?? []) visit(k, indent + "  ")
  }
  const root = nodes.find((n) => n.parentId === null)
  if (root !== undefined) visit(root, "")
  return lines.join("\n")
}

const storedMaxDepth = (config: unknown) =>
  Option.map(Schema.decodeUnknownOption(Schema.Struct({ search: Schema.Struct({ maxDepth: Schema.Number }) }))(config), (c) => c.search.maxDepth)

const tree = Command.make("tree", { searchId, maxDepth, json }, (o) =>
  Effect.gen(function* () {
    const repo = yield* SearchRepo
    const record = yield* repo.get(o.searchId)
    const nodes = yield* repo.nodes(o.searchId)
    yield* output(
      o.json,
      { search: record, nodes },
      Console.log(
        `search ${record.id}  problem ${record.problemId}  status ${record.status}  rollouts ${record.rolloutsDone}  nodes ${nodes.length}\n` +
          renderTree(nodes, record.bestNodeId, Option.getOrUndefined(o.maxDepth), Option.getOrUndefined(storedMaxDepth(record.config)))
      ).pipe(Effect.zipRight(Effect.flatMap(UiLink.pageLine(`/searches/${encodeURIComponent(record.id)}`), Console.log)))
    )
  }).pipe(provide("store"))
).pipe(
  Command.withDescription(
    "Print a search tree as an indented outline\n" +
      "Each node with visits N, value Q/N, action, and for code steps the tests passed and the reward; * marks the\n" +
      "answer. Search ids: `o1coder sql \"select id, problem_id, round from searches\"`.\n\n" +
      "Example:\n" +
      "  o1coder tree SEARCH_ID --max-depth 3"
  )
)

export const commands = [searchCommand, tree] as const

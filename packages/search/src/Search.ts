import type { SqlError } from "@effect/sql/SqlError"
import type { NotFound, Problem, Test } from "@o1coder/domain"
import { hashOf } from "@o1coder/domain"
import type { LanguageModelService, ModelError } from "@o1coder/models/LanguageModel"
import type { ProcessRewardError, ProcessRewardService } from "@o1coder/reward/ProcessReward"
import { Reward } from "@o1coder/reward/Reward"
import type { Limits, SandboxError } from "@o1coder/sandbox/Sandbox"
import { Sandbox } from "@o1coder/sandbox/Sandbox"
import type { NodeRow, SearchProgress, SearchRecord } from "@o1coder/store/SearchRepo"
import { SearchRepo } from "@o1coder/store/SearchRepo"
import { Clock, Effect, Schema } from "effect"
import { selectAnswer, terminalValue } from "./Answer.ts"
import * as Mcts from "./Mcts.ts"
import { SearchConfig } from "./SearchConfig.ts"
import type { TreeNode } from "./Tree.ts"
import { fromRows, nodeId, solvesSuite, toRow } from "./Tree.ts"

export class SearchError extends Schema.TaggedError<SearchError>()("SearchError", {
  searchId: Schema.String,
  reason: Schema.String,
  cause: Schema.optional(Schema.Defect)
}) {
  override get message() {
    return `search ${this.searchId}: ${this.reason}`
  }
}

/** The tests a search may run: the problem's generated suite (never its held-out tests). */
export interface SearchSuite {
  /** `test_suites.id` when the suite is stored, else null (e.g. the visible tests). */
  readonly id: string | null
  readonly tests: ReadonlyArray<Test>
}

/** Live counters reported after every iteration. */
export interface SearchProgressEvent {
  readonly searchId: string
  readonly problemId: string
  readonly rolloutsDone: number
  readonly rollouts: number
  readonly nodes: number
  readonly bestValue: number
  readonly tokens: number
}

export interface SearchInput {
  readonly problem: Problem
  readonly suite: SearchSuite
  /** The policy; wrap it in the record/replay layer so a resumed search pays no call twice. */
  readonly policy: LanguageModelService
  readonly config?: SearchConfig | undefined
  /** Default: derived from problem, suite, policy version, config, run and round (so a rerun resumes). */
  readonly searchId?: string | undefined
  readonly runId?: string | undefined
  readonly round?: number | undefined
  /** Kept in the search row so `o1coder search resume ID` can rebuild the policy. */
  readonly policySpec?: string | undefined
  /** Optional process reward model: priors of new nodes (PUCT), tie-breaks in answer selection. */
  readonly prm?: ProcessRewardService | undefined
  readonly limits?: Limits | undefined
  readonly onProgress?: ((event: SearchProgressEvent) => Effect.Effect<void>) | undefined
  /** "iteration" (default): checkpoint every iteration; "end": write the tree once at the end (benchmarks). */
  readonly persist?: "iteration" | "end" | undefined
}

/** What `resume` needs besides the stored search: the same problem, suite and policy. */
export type ResumeInput = Omit<SearchInput, "config" | "searchId" | "runId" | "round">

export interface SearchAnswer {
  readonly nodeId: string
  readonly code: string
  readonly value: number
  readonly reward: number | null
  readonly passed: number | null
  readonly total: number | null
  readonly depth: number
}

export type StopReason = Mcts.StopReason

export interface SearchOutcome {
  readonly searchId: string
  readonly problemId: string
  readonly status: "completed" | "failed"
  readonly stoppedBy: StopReason
  readonly rolloutsDone: number
  readonly nodes: number
  readonly answer: SearchAnswer | undefined
  /** True when some terminal passed every test of the suite. */
  readonly solved: boolean
  readonly tokens: number
  readonly modelCalls: number
  readonly executions: number
  readonly elapsedMs: number
  /** True when this call continued a search found in the store. */
  readonly resumed: boolean
}

/** What the search row's `config` column holds. */
const StoredConfig = Schema.Struct({
  search: SearchConfig,
  suiteHash: Schema.String,
  suiteSize: Schema.Number,
  policySpec: Schema.NullOr(Schema.String)
})
type StoredConfig = typeof StoredConfig.Type

export const suiteHash = (suite: SearchSuite): string => hashOf(suite.tests.map((t) => ({ ...t })))

/** The default, deterministic search id. */
export const defaultSearchId = (input: Pick<SearchInput, "problem" | "suite" | "policy" | "config" | "runId" | "round">): string =>
  `s-${hashOf({
    problem: input.problem.id,
    suite: suiteHash(input.suite),
    policy: input.policy.modelVersion,
    config: Schema.encodeSync(SearchConfig)(input.config ?? SearchConfig.default),
    run: input.runId ?? null,
    round: input.round ?? null
  }).slice(0, 20)}`

/**
 * MCTS over pseudocode steps with the tree in the store as its checkpoint. `run` starts a search or continues it if its id is already stored; `resume`
 * continues a stored search by id. Both end with exactly the tree of an uninterrupted run when the
 * policy goes through the record/replay layer and the sandbox through the execution cache.
 */
export class Search extends Effect.Service<Search>()("o1coder/Search", {
  effect: Effect.gen(function* () {
    const repo = yield* SearchRepo
    const sandbox = yield* Sandbox
    const reward = yield* Reward

    const fail = (searchId: string) => (e: { readonly message: string }) =>
      Effect.fail(new SearchError({ searchId, reason: e.message, cause: e }))
    /** The collaborators' failures, each as the search's SearchError keeping it as the cause. */
    const failures = (searchId: string) =>
      ({ SqlError: fail(searchId), ModelError: fail(searchId), SandboxError: fail(searchId), ProcessRewardError: fail(searchId) }) as const

    /** Runs the MCTS machine (`Mcts.ts`) from the stored tree, checkpointing into the store, and finishes the search. */
    const drive = (record: SearchRecord, stored: StoredConfig, input: ResumeInput, resumed: boolean) =>
      Effect.gen(function* () {
        const config = stored.search
        const searchId = record.id
        const problem = input.problem
        const tree = fromRows(yield* repo.nodes(searchId))
        const startedAt = yield* Clock.currentTimeMillis
        const elapsed = (now: number) => record.elapsedMs + (now - startedAt)
        const progress = (s: Mcts.State, now: number): SearchProgress => {
          const best = selectAnswer(s.all.map((n) => toRow(searchId, n)))
          return { rolloutsDone: s.rolloutsDone, tokens: s.tokens, modelCalls: s.modelCalls, executions: s.executions, elapsedMs: elapsed(now), bestNodeId: best?.id ?? null }
        }
        const { onProgress, prm } = input
        const machine: Mcts.Machine<ModelError | SandboxError | ProcessRewardError | SqlError> = {
          searchId,
          problem,
          config,
          elapsed,
          complete: (prompt, options) => input.policy.complete(prompt, options),
          execute: (code) =>
            sandbox
              .run({
                code,
                kind: problem.kind,
                entryPoint: problem.entryPoint,
                setup: problem.setup,
                tests: input.suite.tests,
                limits: input.limits,
                purpose: "search",
                context: { searchId, problemId: problem.id, ...(record.runId !== null ? { runId: record.runId } : {}) }
              })
              .pipe(Effect.map((execution) => reward.terminal(execution))),
          score: prm && ((inputs) => prm.score(inputs)),
          store:
            input.persist === "end"
              ? undefined
              : ({ created, now, state, updated }) =>
                  repo.checkpoint({ searchId, newNodes: created.map((n) => toRow(searchId, n)), updated: updated.map(nodeUpdate), progress: progress(state, now) }),
          report:
            onProgress &&
            ((s) => {
              const best = selectAnswer(s.all.map((n) => toRow(searchId, n)))
              return onProgress({
                searchId, problemId: problem.id, rolloutsDone: s.rolloutsDone, rollouts: config.rollouts, nodes: s.all.length,
                bestValue: best ? terminalValue(best) : 0, tokens: s.tokens
              })
            })
        }
        const { state, stoppedBy } = yield* Mcts.run(machine, Mcts.initial(tree, record)).pipe(
          // The counters stay those of the last checkpoint: the failed rollout is redone on resume.
          Effect.tapError(() => repo.markFailed(searchId).pipe(Effect.ignore))
        )
        const now = yield* Clock.currentTimeMillis
        if (machine.store === undefined) {
          const fresh = new Set(state.unsaved)
          yield* repo.checkpoint({
            searchId,
            newNodes: state.unsaved.map((n) => toRow(searchId, n)),
            updated: state.all.filter((n) => !fresh.has(n)).map(nodeUpdate),
            progress: progress(state, now)
          })
        }
        const final = progress(state, now)
        yield* repo.finish(searchId, "completed", final)
        return outcomeOf(record, state.all, final, "completed", stoppedBy, state.solved, resumed)
      })

    const outcomeOf = (
      record: SearchRecord,
      nodes: ReadonlyArray<TreeNode>,
      p: SearchProgress,
      status: "completed" | "failed",
      stoppedBy: StopReason,
      solved: boolean,
      resumed: boolean
    ): SearchOutcome => {
      const best = selectAnswer(nodes.map((n) => toRow(record.id, n)))
      return {
        searchId: record.id,
        problemId: record.problemId,
        status,
        stoppedBy,
        rolloutsDone: p.rolloutsDone,
        nodes: nodes.length,
        answer: best === undefined ? undefined : answerOf(best),
        solved,
        tokens: p.tokens,
        modelCalls: p.modelCalls,
        executions: p.executions,
        elapsedMs: p.elapsedMs,
        resumed
      }
    }

    const decodeStored = (record: SearchRecord) =>
      Schema.decodeUnknown(StoredConfig)(record.config).pipe(
        Effect.mapError((e) => new SearchError({ searchId: record.id, reason: `stored config unreadable: ${e.message}`, cause: e }))
      )

    /** Continues a stored search (or reports a completed one without any work). */
    const continueStored = (record: SearchRecord, input: ResumeInput) =>
      Effect.gen(function* () {
        const stored = yield* decodeStored(record)
        const hash = suiteHash(input.suite)
        if (hash !== stored.suiteHash) {
          return yield* new SearchError({ searchId: record.id, reason: `suite differs from the one the search started with (${hash} vs ${stored.suiteHash})` })
        }
        if (input.policy.modelVersion !== record.policyVersion) {
          return yield* new SearchError({ searchId: record.id, reason: `policy ${input.policy.modelVersion} is not the search's ${record.policyVersion}` })
        }
        if (record.status === "completed") {
          const { all } = fromRows(yield* repo.nodes(record.id))
          return outcomeOf(record, all, record, "completed", "already_completed", all.some(solvesSuite), true)
        }
        if (record.status === "failed") yield* repo.reopen(record.id)
        yield* repo.claim(record.id)
        return yield* drive(record, stored, input, true)
      })

    /** Runs the search of one problem; if its id is already in the store, continues it instead. */
    const run = (input: SearchInput): Effect.Effect<SearchOutcome, SearchError> => {
      const config = input.config ?? SearchConfig.default
      const searchId = input.searchId ?? defaultSearchId({ ...input, config })
      return Effect.gen(function* () {
        const existing = yield* repo.find(searchId)
        if (existing._tag === "Some") return yield* continueStored(existing.value, input)
        const stored: StoredConfig = {
          search: config,
          suiteHash: suiteHash(input.suite),
          suiteSize: input.suite.tests.length,
          policySpec: input.policySpec ?? null
        }
        const root: NodeRow = {
          id: nodeId(searchId, 0), searchId, parentId: null, seq: 0, depth: 0, action: null, body: "", code: null,
          terminal: false, visits: 0, valueSum: 0, reward: null, passed: null, total: null, prior: null
        }
        yield* repo.create({
          id: searchId,
          problemId: input.problem.id,
          runId: input.runId ?? null,
          round: input.round ?? null,
          suiteId: input.suite.id,
          policyVersion: input.policy.modelVersion,
          config: Schema.encodeSync(StoredConfig)(stored),
          seed: config.seed,
          root
        })
        const record = yield* repo.get(searchId)
        return yield* drive(record, stored, input, false)
      }).pipe(
        Effect.catchTags({ ...failures(searchId), NotFound: fail(searchId) }),
        Effect.withSpan("search.run", { attributes: { searchId, problemId: input.problem.id } })
      )
    }

    /** Continues the stored search `searchId` with the same problem, suite and policy. */
    const resume = (searchId: string, input: ResumeInput): Effect.Effect<SearchOutcome, SearchError | NotFound> =>
      repo.get(searchId).pipe(
        Effect.flatMap((record) => continueStored(record, input)),
        Effect.catchTags(failures(searchId)),
        Effect.withSpan("search.resume", { attributes: { searchId } })
      )

    /** Searches several problems, at most `concurrency` at a time; outcomes in input order. */
    const runMany = (inputs: ReadonlyArray<SearchInput>, options: { readonly concurrency?: number } = {}) =>
      Effect.forEach(inputs, (input) => Effect.either(run(input)), { concurrency: options.concurrency ?? 2 })

    /** The stored tree of a search, in creation order. */
    const tree = (searchId: string) => repo.nodes(searchId)

    /** What a stored search's config column says (budgets, suite hash, policy spec). */
    const storedConfig = (searchId: string) => Effect.flatMap(repo.get(searchId), decodeStored)

    return { run, resume, runMany, tree, storedConfig } as const
  })
}) {}

/** What a checkpoint rewrites of a node stored before: N, Q and (after a context overflow) terminal, reward. */
const nodeUpdate = (n: TreeNode) => ({ id: n.id, visits: n.visits, valueSum: n.valueSum, terminal: n.terminal, reward: n.reward })

const answerOf = (n: NodeRow): SearchAnswer => ({
  nodeId: n.id,
  code: n.code ?? "",
  value: terminalValue(n),
  reward: n.reward,
  passed: n.passed,
  total: n.total,
  depth: n.depth
})


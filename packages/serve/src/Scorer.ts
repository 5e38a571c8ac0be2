import { hashOf, type Execution, type ProblemKind, Test } from "@o1coder/domain"
import { calledName, parseAssert } from "@o1coder/problems/PyAssert"
import { ProcessReward, Reward, RewardConfig, terminalReward } from "@o1coder/reward"
import { Limits, Sandbox, type SandboxError } from "@o1coder/sandbox"
import { ProblemsRepo } from "@o1coder/store/ProblemsRepo"
import { SuitesRepo, type StoredSuite } from "@o1coder/store/SuitesRepo"
import { Effect, Option, Schema } from "effect"
import { BadRequest, type CompletionItem, type InlineProblem, type RewardResult, UnknownProblem, Unavailable } from "./Api.ts"
import { completionCode, completionSteps } from "./Completion.ts"
import { ServeSettingsTag } from "./Settings.ts"

/** What a completion is scored against. */
export interface Target {
  readonly kind: ProblemKind
  readonly entryPoint: string | undefined
  readonly setup: string | undefined
  readonly atol: number | undefined
  readonly tests: ReadonlyArray<Test>
  readonly problemId: string | null
  readonly suiteId: string | null
  /** The problem's text (a PRM reads it), empty when an inline problem gives none. */
  readonly statement: string
}

export interface ScoreOptions {
  readonly run?: string | undefined
  readonly step?: number | undefined
  readonly alpha?: number | undefined
  readonly testTimeoutMs?: number | undefined
}

const encodeTest = Schema.encodeSync(Test)
const SUITE_CACHE = 4096

const unavailable = (what: string) => (e: unknown) =>
  new Unavailable({ message: `${what}: ${e instanceof Error ? e.message : String(e)}` })

/**
 * Scores completions: resolves each one's problem (stored, with its generated suite or a named one,
 * never its held-out tests; or inline), extracts the code as the search does, runs it through the
 * Sandbox the composition root gives (the execution cache, purpose `rl`, the caller's run/step),
 * and computes `α·compile + (1−α)·pass_ratio` (and φ with step rewards).
 */
export class RewardScorer extends Effect.Service<RewardScorer>()("o1coder/RewardScorer", {
  effect: Effect.gen(function* () {
    const sandbox = yield* Sandbox
    const problems = yield* ProblemsRepo
    const suites = yield* SuitesRepo
    const reward = yield* Reward
    const settings = yield* ServeSettingsTag
    // A PRM the composition root configured (`o1coder serve --prm-url`): it scores the steps of
    // completions in the step format that bring no step rewards of their own.
    const prm = yield* Effect.serviceOption(ProcessReward)
    // Suites are immutable once stored: a resolved (problem, suite) pair is kept, bounded.
    const resolved = new Map<string, Target>()

    const inline = (p: InlineProblem, field: string, item: CompletionItem): Effect.Effect<Target, BadRequest> => {
      const asserts = p.tests.filter((t): t is string => typeof t === "string")
      const entryPoint = p.entry_point ?? (asserts.length > 0 ? calledName(asserts) : undefined) ?? undefined
      const tests = p.tests.map((t) => (typeof t === "string" ? parseAssert(t, entryPoint) : t))
      if (tests.length === 0) return Effect.fail(new BadRequest({ field: `${field}.tests`, message: `${field}.tests is empty: nothing to score against` }))
      if (p.kind === "function" && entryPoint === undefined && tests.some((t) => t._tag === "call")) {
        return Effect.fail(new BadRequest({ field: `${field}.entry_point`, message: `${field}.entry_point is required for call tests` }))
      }
      if (p.kind === "stdio" && tests.some((t) => t._tag !== "stdio")) {
        return Effect.fail(new BadRequest({ field: `${field}.tests`, message: `${field}.tests of a stdio problem must all be stdio tests` }))
      }
      return Effect.succeed({
        kind: p.kind,
        entryPoint,
        setup: p.setup ?? undefined,
        atol: p.atol ?? undefined,
        tests,
        problemId: item.problem_id ?? null,
        suiteId: item.suite_id ?? null,
        statement: p.statement ?? ""
      })
    }

    const newest = (list: ReadonlyArray<StoredSuite>) =>
      list.reduce<StoredSuite | undefined>((a, b) => (a === undefined || b.createdAt > a.createdAt ? b : a), undefined)

    const stored = (item: CompletionItem, field: string): Effect.Effect<Target, BadRequest | UnknownProblem | Unavailable> =>
      Effect.gen(function* () {
        const problemId = item.problem_id!
        const cacheKey = item.suite_id !== undefined ? `${problemId}\u0000${item.suite_id}` : undefined
        const hit = cacheKey !== undefined ? resolved.get(cacheKey) : undefined
        if (hit !== undefined) return hit
        const problem = yield* problems.get(problemId).pipe(
          Effect.catchTag("NotFound", () =>
            Effect.fail(new UnknownProblem({ field: `${field}.problem_id`, id: problemId, message: `${field}.problem_id: no stored problem ${problemId}` }))
          ),
          Effect.catchTag("SqlError", unavailable("store"))
        )
        const suite =
          item.suite_id !== undefined
            ? Option.getOrUndefined(yield* Effect.mapError(suites.get(item.suite_id), unavailable("store")))
            : newest(yield* Effect.mapError(suites.list({ problemIds: [problemId] }), unavailable("store")))
        if (suite === undefined) {
          return yield* item.suite_id !== undefined
            ? new UnknownProblem({ field: `${field}.suite_id`, id: item.suite_id, message: `${field}.suite_id: no stored suite ${item.suite_id}` })
            : new UnknownProblem({
                field: `${field}.problem_id`,
                id: problemId,
                message: `${field}.problem_id: ${problemId} has no generated suite (run \`o1coder tcg\`, or pass an inline problem)`
              })
        }
        if (suite.suite.problemId !== problemId) {
          return yield* new BadRequest({ field: `${field}.suite_id`, message: `${field}.suite_id: suite ${suite.suite.id} belongs to ${suite.suite.problemId}, not ${problemId}` })
        }
        // Held-out tests never score an RL completion, even when a generator reproduced one.
        const heldOut = new Set(problem.heldOutTests.map((t) => hashOf(encodeTest(t))))
        const tests = suite.suite.cases.map((c) => c.test).filter((t) => !heldOut.has(hashOf(encodeTest(t))))
        if (tests.length === 0) {
          return yield* new BadRequest({ field: `${field}.suite_id`, message: `${field}: suite ${suite.suite.id} has no test that is not held out` })
        }
        const target: Target = {
          kind: problem.kind,
          entryPoint: problem.entryPoint,
          setup: problem.setup,
          atol: problem.atol,
          tests,
          problemId,
          suiteId: suite.suite.id,
          statement: problem.statement
        }
        if (resolved.size >= SUITE_CACHE) resolved.clear()
        resolved.set(`${problemId}\u0000${suite.suite.id}`, target)
        return target
      })

    /** Each completion's target, in order; a batch's repeated problems are resolved once. */
    const resolve = (items: ReadonlyArray<CompletionItem>) =>
      Effect.gen(function* () {
        const memo = new Map<string, Target>()
        return yield* Effect.forEach(items, (item, i) => {
          const field = `completions[${i}]`
          if (item.problem !== undefined) return inline(item.problem, `${field}.problem`, item)
          if (item.problem_id === undefined) {
            return Effect.fail(new BadRequest({ field, message: `${field}: give problem_id (a stored problem) or problem (an inline one)` }))
          }
          const key = `${item.problem_id}\u0000${item.suite_id ?? ""}`
          const known = memo.get(key)
          return known !== undefined ? Effect.succeed(known) : Effect.tap(stored(item, field), (t) => Effect.sync(() => memo.set(key, t)))
        })
      })

    const limitsFor = (testTimeoutMs: number | undefined) =>
      testTimeoutMs === undefined
        ? settings.limits
        : new Limits({ ...settings.limits, testTimeoutMs, totalTimeoutMs: Math.max(testTimeoutMs, settings.limits.totalTimeoutMs) })

    /** Runs the code; a `killed` verdict (the infrastructure, not the candidate) is run again. */
    const execute = (target: Target, code: string, o: ScoreOptions): Effect.Effect<Execution, SandboxError> =>
      sandbox
        .run({
          code,
          kind: target.kind,
          entryPoint: target.entryPoint,
          setup: target.setup,
          atol: target.atol,
          tests: target.tests,
          limits: limitsFor(o.testTimeoutMs),
          purpose: "rl",
          context: {
            ...(target.problemId !== null ? { problemId: target.problemId } : {}),
            rlRun: o.run,
            rlStep: o.step
          }
        })
        .pipe(
          Effect.repeat({ times: 2, while: (e) => e.verdicts.some((v) => v.status === "killed") })
        )

    const config = reward.config
    const scoreOne = (item: CompletionItem, target: Target, o: ScoreOptions): Effect.Effect<RewardResult, Unavailable> =>
      Effect.gen(function* () {
        const started = performance.now()
        const execution = yield* execute(target, completionCode(item.completion), o).pipe(Effect.mapError(unavailable("sandbox")))
        const terminal = terminalReward(new RewardConfig({ ...config, compileWeight: o.alpha ?? config.compileWeight }), execution)
        const steps = item.step_rewards === undefined && Option.isSome(prm) ? completionSteps(item.completion) : []
        const judged =
          steps.length === 0 || Option.isNone(prm)
            ? undefined
            : yield* prm.value
                .score(steps.map((_, j) => ({ problemId: target.problemId ?? "inline", statement: target.statement, steps: steps.slice(0, j + 1) })))
                .pipe(Effect.mapError(unavailable("process reward model")))
        const stepRewards = item.step_rewards ?? judged
        return {
          reward: terminal.reward,
          compiled: execution.compiled,
          passed: execution.passed,
          total: execution.total,
          pass_ratio: execution.total === 0 ? 0 : execution.passed / execution.total,
          verdicts: execution.verdicts.map((v) => ({
            status: v.status,
            ms: v.ms,
            ...(v.seen !== undefined ? { seen: v.seen } : {}),
            ...(v.error !== undefined ? { error: v.error } : {})
          })),
          ...(stepRewards !== undefined ? { phi: reward.aggregate(terminal.reward, stepRewards, o.step ?? 0) } : {}),
          ...(judged !== undefined ? { step_rewards: judged } : {}),
          problem_id: target.problemId,
          suite_id: target.suiteId,
          ms: performance.now() - started
        }
      })

    /** Every completion scored concurrently (the sandbox pool queues them onto its workers). */
    const score = Effect.fn("RewardScorer.score")(function* (items: ReadonlyArray<CompletionItem>, o: ScoreOptions) {
      yield* Effect.annotateCurrentSpan({ completions: items.length, run: o.run ?? "" })
      const targets = yield* resolve(items)
      return yield* Effect.forEach(items, (item, i) => scoreOne(item, targets[i]!, o), { concurrency: "unbounded" })
    })

    return { score, resolve, execute, limitsFor } as const
  })
}) {}

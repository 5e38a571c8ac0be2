import type { Evaluation as EvaluationType, Problem, Test, Verdict } from "@o1coder/domain"
import { Evaluation, type EvaluationId, type ModelVersionId, type ProblemId, type RunId } from "@o1coder/domain"
import { SamplingOptions, type LanguageModelService, type ModelError } from "@o1coder/models/LanguageModel"
import { Limits, Sandbox, type SandboxError } from "@o1coder/sandbox/Sandbox"
import { EvaluationsRepo, type LabelFailure } from "@o1coder/store/EvaluationsRepo"
import { Effect, Ref, Schema } from "effect"
import { randomUUID } from "node:crypto"
import { asprOfTree, meanAspr, type AsprNode } from "./Aspr.ts"
import { heldOutLabels } from "./Labels.ts"
import { meanPassAtK } from "./PassAtK.ts"
import { completionPrefix, directPrompt, renderTest } from "./Prompts.ts"
import { formatProtocol, protocolFor, type Mode, type Protocol } from "./Protocol.ts"
import { matchSamples, programOf, type SampleIssue, type SampleRecord } from "./Samples.ts"

/** Where answers come from. */
export type EvalPolicy =
  /** The dataset's reference solution: proves the harness (must score 100%). */
  | { readonly _tag: "reference" }
  /** A language model sampled with the benchmark's standard prompt (direct mode). */
  | { readonly _tag: "model"; readonly model: LanguageModelService }
  /** Samples produced elsewhere (EvalPlus-style JSONL), already parsed. */
  | { readonly _tag: "samples"; readonly file: string; readonly records: ReadonlyArray<SampleRecord>; readonly issues: ReadonlyArray<SampleIssue> }

/** What one search (mcts mode) hands back: its tree, and the answer its selection rule chose. */
export interface SearchOutcome {
  readonly searchId: string
  /** Code of the chosen terminal; undefined when the search found no code. */
  readonly answer: string | undefined
  readonly nodes: ReadonlyArray<AsprNode>
  readonly tokens?: number | undefined
}

/**
 * Runs one search for a problem. It must only execute search-visible tests (visible tests,
 * question-only generated tests) with purpose "search"; evaluation scores its answer afterwards.
 */
export type SearchProblem<E, R> = (
  problem: Problem,
  context: { readonly runId: string | undefined; readonly round: number | undefined; readonly seed: number }
) => Effect.Effect<SearchOutcome, E, R>

export interface EvaluateOptions<E = never, R = never> {
  readonly problems: ReadonlyArray<Problem>
  readonly dataset: string
  readonly split: string
  readonly mode: Mode
  readonly policy: EvalPolicy
  /** Required in mcts mode. */
  readonly search?: SearchProblem<E, R> | undefined
  /** Whether the search used question-only generated tests (stated in the protocol). */
  readonly generatedTests?: boolean | undefined
  /** Samples per problem in direct mode (default 1; greedy when 1 unless a temperature is given). */
  readonly samples?: number | undefined
  readonly ks?: ReadonlyArray<number> | undefined
  readonly temperature?: number | undefined
  readonly maxTokens?: number | undefined
  readonly seed?: number | undefined
  readonly id?: string | undefined
  readonly runId?: string | undefined
  readonly round?: number | undefined
  readonly modelVersion?: string | undefined
  readonly concurrency?: number | undefined
  readonly onProgress?: ((done: number, total: number) => Effect.Effect<void>) | undefined
}

export interface EvaluationReport {
  readonly evaluation: EvaluationType
  readonly protocol: Protocol
  readonly protocolText: string
  readonly notes: ReadonlyArray<string>
}

/** A failing test of a scored program, as `eval show` prints it. */
export interface FailedTest {
  readonly test: string
  readonly status: string
  readonly seen?: string | undefined
  readonly error?: string | undefined
}

interface Scored {
  readonly passed: boolean
  readonly basePassed: boolean
  readonly failures: ReadonlyArray<FailedTest>
}

interface ScoringSuite {
  readonly tests: ReadonlyArray<Test>
  /** The first `baseCount` tests are the benchmark's base tests (before plus inputs). */
  readonly baseCount: number
  readonly hasPlus: boolean
  readonly labelFailures: ReadonlyArray<LabelFailure>
}

export class EvaluationError extends Schema.TaggedError<EvaluationError>()("EvaluationError", { reason: Schema.String }) {
  override get message() {
    return this.reason
  }
}

/** Per-test deadline generous enough for slow references on a loaded machine (MBPP 123 takes seconds). */
const scoringLimits = (tests: number) =>
  new Limits({ ...Limits.default, testTimeoutMs: 10_000, totalTimeoutMs: Math.min(600_000, 30_000 + 1_000 * tests) })

/**
 * Plus inputs: the expected values are literals that can be large (MBPP+ 255, 462, 630 return
 * thousands of tuples), evaluated apart from the candidate within these limits too.
 */
const plusLimits = (tests: number) =>
  new Limits({ ...Limits.default, testTimeoutMs: 10_000, totalTimeoutMs: Math.min(600_000, 60_000 + 1_000 * tests) })

const importsOnly = (setup: string): boolean =>
  setup.split("\n").every((line) => /^\s*($|#|import\s|from\s)/.test(line))

const MAX_FAILURES_SHOWN = 5

/**
 * The program and trusted set-up of a scoring run. MBPP's own harness ran the solution, then
 * `test_setup_code`, then the asserts in one namespace, so set-up that is more than imports
 * (tasks 367 and 927 build trees from the solution's `Node` class) is appended to the program.
 */
export const scoringProgram = (problem: Problem, code: string): { readonly code: string; readonly setup: string | undefined } =>
  problem.setup === undefined || importsOnly(problem.setup)
    ? { code, setup: problem.setup }
    : { code: `${code}\n\n${problem.setup}\n`, setup: undefined }

/** Tests the benchmark's standard prompt shows (MBPP: `test_list`, i.e. the dataset's asserts). */
const shownTests = (problem: Problem): ReadonlyArray<Test> => {
  const seen = new Set<string>()
  const out: Array<Test> = []
  for (const t of [...problem.visibleTests, ...problem.heldOutTests]) {
    if (t._tag === "stdio") continue
    const key = renderTest(t, problem.entryPoint)
    if (seen.has(key)) continue
    seen.add(key)
    out.push(t)
  }
  return out.slice(0, 3)
}

/**
 * Evaluates a policy on problems: answers are produced (direct sampling, samples file, reference,
 * or one search per problem), then executed on held-out tests only, with purpose "scoring".
 * The result is stored in `evaluations` and returned with its protocol.
 */
export const run = <E = never, R = never>(options: EvaluateOptions<E, R>) =>
  Effect.gen(function* () {
    const sandbox = yield* Sandbox
    const repo = yield* EvaluationsRepo
    const { mode, policy, problems } = options
    if (mode === "mcts" && options.search === undefined) {
      return yield* Effect.fail(new EvaluationError({ reason: "mcts mode needs a search (EvaluateOptions.search)" }))
    }
    if (mode === "mcts" && policy._tag !== "model") {
      return yield* Effect.fail(new EvaluationError({ reason: "mcts mode needs a model policy (the search samples the steps)" }))
    }
    const n = Math.max(1, Math.floor(options.samples ?? 1))
    const ks = options.ks ?? [1]
    const seed = options.seed ?? 0
    const protocol = protocolFor(options.dataset, mode, { generatedTests: options.generatedTests ?? false })
    const notes: Array<string> = []
    const started = Date.now()

    const matched = policy._tag === "samples" ? matchSamples(policy.records, problems) : undefined
    if (policy._tag === "samples") {
      for (const issue of [...policy.issues, ...matched!.issues]) notes.push(`${policy.file}: ${issue.message}`)
    }

    const suiteOf = (problem: Problem) =>
      Effect.map(heldOutLabels(problem), (labels): ScoringSuite => ({
        tests: [...problem.heldOutTests, ...labels.tests],
        baseCount: problem.heldOutTests.length,
        hasPlus: problem.heldOutInputs.length > 0,
        labelFailures: labels.failures
      }))

    const execute = (problem: Problem, code: string, tests: ReadonlyArray<Test>, limits: Limits) =>
      sandbox
        .run({
          ...scoringProgram(problem, code),
          kind: problem.kind,
          entryPoint: problem.entryPoint,
          atol: problem.atol !== undefined && problem.atol > 0 ? problem.atol : undefined,
          tests,
          limits,
          purpose: "scoring",
          context: { ...(options.runId !== undefined ? { runId: options.runId } : {}), problemId: problem.id }
        })
        .pipe(
          Effect.map((execution) => {
            const ok = (v: Verdict | undefined) => v !== undefined && v.status === "passed"
            const failures: Array<FailedTest> = []
            tests.forEach((t, i) => {
              const v = execution.verdicts[i]
              if (ok(v) || failures.length >= MAX_FAILURES_SHOWN) return
              failures.push({
                test: renderTest(t, problem.entryPoint).slice(0, 300),
                status: v?.status ?? "not_run",
                ...(v?.seen !== undefined ? { seen: v.seen.slice(0, 300) } : {}),
                ...(v?.error !== undefined ? { error: v.error.slice(0, 300) } : {})
              })
            })
            return { passed: tests.length > 0 && tests.every((_, i) => ok(execution.verdicts[i])), failures }
          })
        )

    /**
     * Base tests first; the plus tests (labelled inputs) only run when the base tests pass, since
     * a failed base test already fails the answer (EvalPlus also stops at the first failure).
     */
    const score = (problem: Problem, suite: ScoringSuite, code: string): Effect.Effect<Scored, SandboxError> =>
      Effect.gen(function* () {
        if (!suite.hasPlus || suite.baseCount === 0) {
          const all = yield* execute(problem, code, suite.tests, scoringLimits(suite.tests.length))
          return { passed: all.passed, basePassed: all.passed, failures: all.failures }
        }
        const base = yield* execute(problem, code, suite.tests.slice(0, suite.baseCount), scoringLimits(suite.baseCount))
        if (!base.passed) return { passed: false, basePassed: false, failures: base.failures }
        const plusTests = suite.tests.slice(suite.baseCount)
        if (plusTests.length === 0) return { passed: true, basePassed: true, failures: [] }
        const extra = yield* execute(problem, code, plusTests, plusLimits(plusTests.length))
        return { passed: extra.passed, basePassed: true, failures: extra.failures }
      })

    const tokens = yield* Ref.make(0)
    const done = yield* Ref.make(0)

    const programsOf = (problem: Problem): Effect.Effect<{ programs: ReadonlyArray<string>; extra: Record<string, unknown> }, ModelError | E | EvaluationError, R> => {
      switch (policy._tag) {
        case "reference":
          return problem.reference === undefined
            ? Effect.succeed({ programs: [], extra: { error: "no reference solution" } })
            : Effect.succeed({ programs: Array.from({ length: n }, () => problem.reference!), extra: {} })
        case "samples": {
          const records = matched!.byProblem.get(problem.id) ?? []
          const prompt = completionPrefix(problem)
          return Effect.succeed({
            programs: records.map((r) => programOf(r, prompt)),
            extra: records.length > 0 ? { lines: records.map((r) => r.line) } : { error: "no sample in the file" }
          })
        }
        case "model": {
          if (mode === "mcts") {
            return options.search!(problem, { runId: options.runId, round: options.round, seed }).pipe(
              Effect.tap((o) => Ref.update(tokens, (t) => t + (o.tokens ?? 0))),
              Effect.map((o) => ({
                programs: o.answer === undefined ? [] : [o.answer],
                extra: {
                  searchId: o.searchId,
                  aspr: asprOfTree(o.nodes) ?? null,
                  nodes: o.nodes.length,
                  // The moment the answer was fixed: no scoring execution of this problem may precede it.
                  chosenAt: new Date().toISOString(),
                  ...(o.answer === undefined ? { error: "the search produced no code" } : {})
                }
              }))
            )
          }
          const direct = directPrompt(problem, shownTests(problem))
          const sampling = new SamplingOptions({
            n,
            stop: [...direct.stop],
            temperature: options.temperature ?? (n === 1 ? 0 : 0.8),
            maxTokens: options.maxTokens ?? 512,
            seed
          })
          return policy.model.complete(direct.prompt, sampling).pipe(
            Effect.tap((cs) => Ref.update(tokens, (t) => t + cs.reduce((a, c) => a + c.completionTokens, 0))),
            Effect.map((cs) => ({ programs: cs.map((c) => direct.toProgram(c.text)), extra: {} }))
          )
        }
      }
    }

    const evaluateProblem = (problem: Problem) =>
      Effect.gen(function* () {
        const { extra, programs } = yield* programsOf(problem)
        const suite = yield* suiteOf(problem)
        const cache = new Map<string, Scored>()
        const results: Array<Scored> = []
        for (const code of programs) {
          let s = cache.get(code)
          if (s === undefined) {
            s = yield* score(problem, suite, code)
            cache.set(code, s)
          }
          results.push(s)
        }
        const c = results.filter((r) => r.passed).length
        const cBase = results.filter((r) => r.basePassed).length
        const firstFailure = results.find((r) => !r.passed)
        yield* Ref.update(done, (d) => d + 1)
        if (options.onProgress) yield* options.onProgress(yield* Ref.get(done), problems.length)
        return {
          problemId: problem.id as ProblemId,
          passed: c,
          samples: programs.length,
          basePassed: cBase,
          hasPlus: suite.hasPlus,
          labelFailures: suite.labelFailures,
          detail: {
            taskId: problem.taskId,
            tests: suite.tests.length,
            ...(suite.hasPlus ? { basePassed: cBase, baseTests: suite.baseCount } : {}),
            ...(suite.labelFailures.length > 0 ? { unlabelledInputs: suite.labelFailures.length } : {}),
            ...extra,
            ...(firstFailure !== undefined ? { failures: firstFailure.failures } : {})
          }
        }
      }).pipe(Effect.withSpan("eval.problem", { attributes: { problem: problem.id } }))

    const perProblem = yield* Effect.forEach(problems, evaluateProblem, { concurrency: options.concurrency ?? 4 })

    const metrics: Record<string, number> = { problems: problems.length }
    const counts = perProblem.map((p) => ({ n: p.samples, c: p.passed }))
    for (const k of ks) {
      const v = meanPassAtK(counts, k)
      if (v === undefined) notes.push(`pass@${k} not reported: some problem has fewer than ${k} samples`)
      else metrics[`pass@${k}`] = v
    }
    if (perProblem.some((p) => p.hasPlus)) {
      for (const k of ks) {
        const v = meanPassAtK(perProblem.map((p) => ({ n: p.samples, c: p.basePassed })), k)
        if (v !== undefined) metrics[`base_pass@${k}`] = v
      }
    }
    if (mode === "mcts") {
      const aspr = meanAspr(perProblem.map((p) => (p.detail as { aspr?: number | null }).aspr ?? undefined))
      if (aspr !== undefined) metrics.aspr = aspr
      else notes.push("aspr not reported: no tree has a node on a correct path with code children")
    }
    metrics.samples = perProblem.reduce((a, p) => a + p.samples, 0)
    metrics.tokens = yield* Ref.get(tokens)
    metrics.seconds = (Date.now() - started) / 1000
    const unlabelled = perProblem.filter((p) => p.labelFailures.length > 0)
    if (unlabelled.length > 0) {
      metrics.unlabelled_inputs = unlabelled.reduce((a, p) => a + p.labelFailures.length, 0)
      for (const p of unlabelled) {
        const first = p.labelFailures[0]!
        notes.push(
          `${p.problemId}: the reference could not label ${p.labelFailures.length} of its held-out inputs (left out of scoring); first: input #${first.index}: ${first.status}: ${first.error.split("\n").slice(-1)[0]!.slice(0, 200)}`
        )
      }
    }
    for (const p of perProblem) {
      if (p.samples === 0 && policy._tag !== "samples") notes.push(`${p.problemId}: no answer (${String((p.detail as { error?: string }).error ?? "none produced")}); scored 0`)
    }

    const evaluation = new Evaluation({
      id: (options.id ?? `eval-${new Date().toISOString().slice(0, 10).replace(/-/g, "")}-${randomUUID().slice(0, 8)}`) as EvaluationId,
      runId: (options.runId ?? null) as RunId | null,
      round: options.round ?? null,
      modelVersion: (options.modelVersion ?? (policy._tag === "reference" ? "reference" : policy._tag === "model" ? policy.model.modelVersion : `samples:${policy.file}`)) as ModelVersionId,
      dataset: options.dataset,
      split: options.split,
      mode,
      protocol: formatProtocol(protocol),
      metrics,
      details: perProblem.map((p) => ({ problemId: p.problemId, passed: p.passed, samples: p.samples, detail: p.detail })),
      createdAt: new Date()
    })
    yield* repo.save(evaluation, notes)
    return { evaluation, protocol, protocolText: formatProtocol(protocol), notes } satisfies EvaluationReport
  }).pipe(Effect.withSpan("eval.run", { attributes: { dataset: options.dataset, mode: options.mode, problems: options.problems.length } }))

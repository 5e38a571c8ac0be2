import type { Evaluation as EvaluationType, Problem, Test, Verdict } from "@o1coder/domain"
import { Evaluation, type EvaluationId, type ModelVersionId, type ProblemId, type RunId } from "@o1coder/domain"
import { SamplingOptions, type LanguageModelService, type ModelError } from "@o1coder/models/LanguageModel"
import { Limits, Sandbox, type SandboxError } from "@o1coder/sandbox/Sandbox"
import { EvaluationsRepo, type LabelFailure } from "@o1coder/store/EvaluationsRepo"
import { Effect, Ref, Schema } from "effect"
import { randomUUID } from "node:crypto"
import { asprOfTree, meanAspr, type AsprNode } from "./Aspr.ts"
import { gradingFor } from "./Grading.ts"
import { heldOutLabels } from "./Labels.ts"
import { meanPassAtK } from "./PassAtK.ts"
import { completionPrefix, directPrompt, renderTest } from "./Prompts.ts"
import { formatProtocol, protocolFor, type Mode, type Protocol } from "./Protocol.ts"
import { loadSamples, matchSamples, programOf, type SampleIssue, type SampleSource } from "./Samples.ts"

/** Where answers come from. */
export type EvalPolicy =
  /** The dataset's reference solution: proves the harness (must score 100%). */
  | { readonly _tag: "reference" }
  /** A language model sampled with the benchmark's standard prompt (direct mode). */
  | { readonly _tag: "model"; readonly model: LanguageModelService }
  /**
   * Samples produced elsewhere (EvalPlus-style JSONL): parsed (`parseSamples`), or indexed (`indexSamplesFile`:
   * each problem's texts are read from `file` when it is scored, so memory does not hold the whole file).
   */
  | { readonly _tag: "samples"; readonly file: string; readonly records: ReadonlyArray<SampleSource>; readonly issues: ReadonlyArray<SampleIssue> }

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
  /**
   * `fast` (default): a candidate stops at its first test that does not pass (only "all pass?" counts for
   * pass@k), with per-test time limits from the reference's measured time. `full`: every test runs, 10 s each
   * (the behaviour before fast scoring; search rewards need the full pass ratio and use the sandbox directly).
   */
  readonly scoring?: "fast" | "full" | undefined
  /** Called once per scored sample, in problem order within a problem (e.g. to stream `--out` lines). */
  readonly onSample?: ((result: SampleResult) => Effect.Effect<void>) | undefined
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
  /** Verdicts by status over the tests run (not_run: skipped by fast scoring). */
  readonly counts: Readonly<Record<string, number>>
  readonly firstFailure?: (FailedTest & { readonly input?: string | undefined }) | undefined
}

/** One scored sample, as `--out` writes it (one JSON line each) and `eval show --samples` prints it. */
export interface SampleResult {
  readonly task: string
  readonly problemId: string
  /** Index of the sample within its task (0-based), and its line in a samples file. */
  readonly sample: number
  readonly line?: number | undefined
  readonly passed: boolean
  readonly basePassed: boolean
  readonly counts: Readonly<Record<string, number>>
  readonly firstFailure?: (FailedTest & { readonly input?: string | undefined }) | undefined
}

interface ScoringSuite {
  readonly tests: ReadonlyArray<Test>
  /** The first `baseCount` tests are the benchmark's base tests (before plus inputs). */
  readonly baseCount: number
  readonly hasPlus: boolean
  readonly labelFailures: ReadonlyArray<LabelFailure>
  /** The reference's time (ms) per test where measured (undefined for the dataset's own asserts). */
  readonly times: ReadonlyArray<number | undefined>
}

export class EvaluationError extends Schema.TaggedError<EvaluationError>()("EvaluationError", { reason: Schema.String }) {
  override get message() {
    return this.reason
  }
}

/** Per-test deadline generous enough for slow references on a loaded machine (MBPP 123 takes seconds). */
/** EvalPlus allows 4 GB; 2 GiB holds the largest MBPP+ value (255's 1.6M tuples of 77 strings, ~1.2 GB). */
const SCORING_MEMORY = 2 * 1024 ** 3

const scoringLimits = (tests: number) =>
  new Limits({ ...Limits.default, memoryBytes: SCORING_MEMORY, testTimeoutMs: 10_000, totalTimeoutMs: Math.min(600_000, 30_000 + 1_000 * tests) })

/**
 * Plus inputs: the expected values are literals that can be large (MBPP+ 255, 462, 630 return
 * thousands of tuples), evaluated apart from the candidate within these limits too.
 */
const plusLimits = (tests: number) =>
  new Limits({ ...Limits.default, memoryBytes: SCORING_MEMORY, testTimeoutMs: 10_000, totalTimeoutMs: Math.min(600_000, 60_000 + 1_000 * tests) })

/**
 * Fast scoring's per-test limit: EvalPlus's `max(min_time_limit, gt_time_limit_factor * ref_time)` with its
 * factor 4, and a 2 s floor (EvalPlus: 1 s) because the reference's time was measured on a machine whose
 * load changes by the minute (2 cores shared by several jobs): a canonical solution must never time out.
 */
export const TIME_LIMIT_FACTOR = 4
export const TIME_LIMIT_FLOOR_MS = 2_000
/** Tests whose reference time is unknown (the dataset's own asserts) keep the full-scoring deadline. */
const UNTIMED_TEST_MS = 10_000

export const testLimitMs = (refMs: number | undefined): number =>
  refMs === undefined ? UNTIMED_TEST_MS : Math.max(TIME_LIMIT_FLOOR_MS, Math.ceil(TIME_LIMIT_FACTOR * refMs))

/** Fast scoring runs a candidate's tests in growing chunks (each one job), stopping after a failing chunk. */
const FAST_CHUNKS = [8, 32, 128, 512]
const chunkSize = (i: number) => FAST_CHUNKS[Math.min(i, FAST_CHUNKS.length - 1)]!

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
    const protocol = protocolFor(options.dataset, mode, {
      generatedTests: options.generatedTests ?? false,
      scoring:
        (options.scoring ?? "fast") === "fast"
          ? `fast: a sample stops at its first failing test; per-test limit max(${TIME_LIMIT_FLOOR_MS / 1000} s, ${TIME_LIMIT_FACTOR} x the reference's measured time)`
          : "full: every test runs (10 s per test)"
    })
    const notes: Array<string> = []
    const started = Date.now()

    const matched = policy._tag === "samples" ? matchSamples(policy.records, problems) : undefined
    if (policy._tag === "samples") {
      for (const issue of [...policy.issues, ...matched!.issues]) notes.push(`${policy.file}: ${issue.message}`)
    }

    const grading = gradingFor(options.dataset)
    const scoringMode = options.scoring ?? "fast"

    const suiteOf = (problem: Problem) =>
      Effect.map(heldOutLabels(problem, grading), (labels): ScoringSuite => {
        const labelTimes = labels.times ?? []
        const timed = (i: number) => (labelTimes.length === labels.tests.length ? labelTimes[i] : undefined)
        // EvalPlus grading with base inputs: the labelled base inputs replace the dataset's asserts.
        const ownBase = grading._tag === "evalplus" && (labels.baseCount ?? 0) > 0
        const base = ownBase ? [] : problem.heldOutTests
        return {
          tests: [...base, ...labels.tests],
          baseCount: ownBase ? labels.baseCount! : base.length,
          hasPlus: problem.heldOutInputs.length > 0,
          labelFailures: labels.failures,
          times: [...base.map(() => undefined), ...labels.tests.map((_, i) => timed(i))]
        }
      })

    const execute = (problem: Problem, code: string, tests: ReadonlyArray<Test>, limits: Limits, fast?: { readonly testLimitsMs: ReadonlyArray<number> }) =>
      sandbox
        .run({
          ...scoringProgram(problem, code),
          kind: problem.kind,
          entryPoint: problem.entryPoint,
          atol: problem.atol !== undefined && problem.atol > 0 ? problem.atol : undefined,
          tests,
          limits,
          purpose: "scoring",
          ...(fast !== undefined ? { stopAtFirstFailure: true, testLimitsMs: fast.testLimitsMs } : {}),
          context: { ...(options.runId !== undefined ? { runId: options.runId } : {}), problemId: problem.id }
        })
        .pipe(
          Effect.map((execution) => {
            const ok = (v: Verdict | undefined) => v !== undefined && v.status === "passed"
            const failures: Array<FailedTest> = []
            const counts: Record<string, number> = {}
            let firstFailure: Scored["firstFailure"]
            tests.forEach((t, i) => {
              const v = execution.verdicts[i]
              const status = v?.status ?? "not_run"
              counts[status] = (counts[status] ?? 0) + 1
              if (ok(v) || status === "not_run" || failures.length >= MAX_FAILURES_SHOWN) return
              const failure: FailedTest = {
                test: renderTest(t, problem.entryPoint).slice(0, 300),
                status,
                ...(v?.seen !== undefined ? { seen: v.seen.slice(0, 300) } : {}),
                ...(v?.error !== undefined ? { error: v.error.slice(0, 300) } : {})
              }
              if (firstFailure === undefined) firstFailure = { ...failure, ...(t._tag === "call" ? { input: t.args.slice(0, 300) } : {}) }
              failures.push(failure)
            })
            return { passed: tests.length > 0 && tests.every((_, i) => ok(execution.verdicts[i])), failures, counts, firstFailure }
          })
        )

    /**
     * Base tests first; the plus tests (labelled inputs) only run when the base tests pass, since
     * a failed base test already fails the answer (EvalPlus also stops at the first failure).
     */
    const addCounts = (a: Readonly<Record<string, number>>, b: Readonly<Record<string, number>>) => {
      const out: Record<string, number> = { ...a }
      for (const [k, v] of Object.entries(b)) out[k] = (out[k] ?? 0) + v
      return out
    }

    /**
     * Fast scoring: chunks of tests, each test with its own deadline (from its reference time: a looping candidate
     * pays its test's limit, not the chunk's slowest); stops after the first failing chunk.
     */
    const scoreFast = (problem: Problem, suite: ScoringSuite, code: string): Effect.Effect<Scored, SandboxError> =>
      Effect.gen(function* () {
        let counts: Record<string, number> = {}
        let start = 0
        let chunk = 0
        const bounds = suite.hasPlus && suite.baseCount > 0 ? [suite.baseCount, suite.tests.length] : [suite.tests.length]
        // Cheapest tests first within base and within plus: "all pass?" does not depend on the order (EvalPlus's
        // float rule was applied per test when labelling), and a wrong answer then rarely reaches an expensive one.
        const byTime = (from: number, to: number) =>
          Array.from({ length: to - from }, (_, i) => from + i).sort((a, b) => (suite.times[a] ?? 0) - (suite.times[b] ?? 0) || a - b)
        const order = bounds.length === 2 ? [...byTime(0, bounds[0]!), ...byTime(bounds[0]!, bounds[1]!)] : byTime(0, bounds[0]!)
        let basePassed = true
        for (const end of bounds) {
          while (start < end) {
            const stop = Math.min(end, start + chunkSize(chunk++))
            const picked = order.slice(start, stop)
            const tests = picked.map((i) => suite.tests[i]!)
            const perTest = picked.map((i) => testLimitMs(suite.times[i]))
            const limits = new Limits({
              ...Limits.default,
              memoryBytes: SCORING_MEMORY,
              testTimeoutMs: Math.max(...perTest),
              totalTimeoutMs: Math.min(600_000, perTest.reduce((a, b) => a + b, 0) + 5_000)
            })
            const r = yield* execute(problem, code, tests, limits, { testLimitsMs: perTest })
            counts = addCounts(counts, r.counts)
            if (!r.passed) {
              const notRun = suite.tests.length - stop
              if (notRun > 0) counts = addCounts(counts, { not_run: notRun })
              const inBase = bounds.length === 1 || start < suite.baseCount
              return { passed: false, basePassed: inBase ? false : basePassed, failures: r.failures, counts, firstFailure: r.firstFailure }
            }
            start = stop
          }
          basePassed = true
        }
        return { passed: suite.tests.length > 0, basePassed: suite.tests.length > 0, failures: [], counts }
      })

    const score = (problem: Problem, suite: ScoringSuite, code: string): Effect.Effect<Scored, SandboxError> =>
      scoringMode === "fast" ? scoreFast(problem, suite, code) : scoreFull(problem, suite, code)

    const scoreFull = (problem: Problem, suite: ScoringSuite, code: string): Effect.Effect<Scored, SandboxError> =>
      Effect.gen(function* () {
        if (!suite.hasPlus || suite.baseCount === 0) {
          return yield* execute(problem, code, suite.tests, scoringLimits(suite.tests.length)).pipe(Effect.map((all) => ({ ...all, basePassed: all.passed })))
        }
        const base = yield* execute(problem, code, suite.tests.slice(0, suite.baseCount), scoringLimits(suite.baseCount))
        if (!base.passed) return { ...base, basePassed: false }
        const plusTests = suite.tests.slice(suite.baseCount)
        if (plusTests.length === 0) return { ...base, basePassed: true }
        const extra = yield* execute(problem, code, plusTests, plusLimits(plusTests.length))
        return { ...extra, counts: addCounts(base.counts, extra.counts), basePassed: true }
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
          const prompt = completionPrefix(problem)
          return Effect.try({
            try: () => loadSamples(policy.file, matched!.byProblem.get(problem.id) ?? []),
            catch: (e) => new EvaluationError({ reason: e instanceof Error ? e.message : String(e) })
          }).pipe(
            Effect.map((records) => ({
              programs: records.map((r) => programOf(r, prompt)),
              extra: records.length > 0 ? { lines: records.map((r) => r.line) } : { error: "no sample in the file" }
            }))
          )
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
        const lines = (extra as { lines?: ReadonlyArray<number> }).lines
        const perSample: Array<SampleResult> = []
        for (const [index, code] of programs.entries()) {
          let s = cache.get(code)
          if (s === undefined) {
            s = yield* score(problem, suite, code)
            cache.set(code, s)
          }
          results.push(s)
          const sample: SampleResult = {
            task: problem.taskId,
            problemId: problem.id,
            sample: index,
            ...(lines?.[index] !== undefined ? { line: lines[index] } : {}),
            passed: s.passed,
            basePassed: s.basePassed,
            counts: s.counts,
            ...(s.firstFailure !== undefined ? { firstFailure: s.firstFailure } : {})
          }
          perSample.push(sample)
          if (options.onSample) yield* options.onSample(sample)
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
          tests: suite.tests.length,
          detail: {
            taskId: problem.taskId,
            tests: suite.tests.length,
            ...(suite.hasPlus ? { basePassed: cBase, baseTests: suite.baseCount } : {}),
            ...(suite.labelFailures.length > 0 ? { unlabelledInputs: suite.labelFailures.length } : {}),
            ...extra,
            ...(firstFailure !== undefined ? { failures: firstFailure.failures } : {}),
            samples: perSample.map(({ task: _t, problemId: _p, ...rest }) => rest)
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
    // Every input counted: scored ones (tests of the suite) and the ones the reference could not label.
    metrics.inputs_scored = perProblem.reduce((a, p) => a + p.tests, 0)
    metrics.inputs_unscored = perProblem.reduce((a, p) => a + p.labelFailures.length, 0)
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

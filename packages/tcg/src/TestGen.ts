import type { Problem, PyValue, Test, TestOrigin } from "@o1coder/domain"
import { CallTest, describeError, Problem as ProblemClass, SuiteId, TestCase, TestSuite, canonicalJson, hashOf, parsePyArgs, PyParseFailure } from "@o1coder/domain"
import type { LanguageModelService } from "@o1coder/models/LanguageModel"
import { SamplingOptions } from "@o1coder/models/LanguageModel"
import { Sandbox } from "@o1coder/sandbox/Sandbox"
import { SuitesRepo } from "@o1coder/store/SuitesRepo"
import { Effect, Option, Schema } from "effect"
import { argsKey, mutateInputs, Rng } from "./InputMutation.ts"
import { MutantSource } from "./Mutants.ts"
import { checkSuite, type IntegrityReport, secureSuite } from "./Integrity.ts"
import { baselinesFor } from "./Baselines.ts"
import { killMatrix, type KillMatrix, mutationScore, reduceSuite } from "./Quality.ts"
import { callArgsIn, parseAssert, parseTcgOutput, promptInputFor, renderTcgPrompt, TCG_STOP } from "./TcgFormat.ts"
import { type CaseCheck, DROP_REASONS, type DropReason, labelInputs, validateTests } from "./Validation.ts"

export const GeneratorName = Schema.Literal("dataset", "mutation", "llm", "all", "reduced")
export type GeneratorName = typeof GeneratorName.Type

export interface SuiteOptions {
  readonly generator: GeneratorName
  /** Mutation: new inputs tried per problem (default 60). */
  readonly budget?: number | undefined
  /** Seed of input mutation, LLM sampling and mutant selection (default 0). */
  readonly seed?: number | undefined
  /** The TCG model for `llm` (and `all`; without it `all` is dataset + mutation). */
  readonly model?: LanguageModelService | undefined
  /** LLM: completions sampled (default 2) and cases asked per completion (default 3, as the paper). */
  readonly samples?: number | undefined
  readonly casesPerSample?: number | undefined
  /** Reference mutants used for the mutation score and reduction (default 20; 0 skips the metric). */
  readonly mutants?: number | undefined
  /** `reduced`: the generator whose suite is reduced (default `all`). */
  readonly base?: Exclude<GeneratorName, "reduced"> | undefined
}

export interface SuiteStats {
  readonly generator: string
  /** Cases produced before any filtering (LLM cases incl. unparseable, mutated inputs, dataset tests). */
  readonly generated: number
  /** Cases run on the reference (parsed, not duplicates). */
  readonly validated: number
  readonly kept: number
  readonly dropped: Record<DropReason, number>
  /** Share of validated cases the reference passes (the paper's TCG metric); null when none were run. */
  readonly validity: number | null
  readonly byOrigin: Record<TestOrigin, number>
  readonly size: number
  readonly mutants: number
  readonly killed: number
  /** Share of the reference's mutants killed by the suite; null without mutants. */
  readonly mutationScore: number | null
  /** Examples of dropped cases (at most 5 per reason) for inspection. */
  readonly examples: ReadonlyArray<{ readonly reason: DropReason; readonly text: string; readonly detail?: string | undefined }>
  readonly baseSize?: number | undefined
  /** Reward integrity: the trivial baselines the suite kills; `rewardSafe` false keeps it out of RL exports. */
  readonly integrity?: IntegrityReport | undefined
}

export interface BuiltSuite {
  readonly suite: TestSuite
  readonly stats: SuiteStats
  readonly configHash: string
  /** True when the suite was already stored and returned as is. */
  readonly reused: boolean
}

export class TestGenError extends Schema.TaggedError<TestGenError>()("TestGenError", {
  problemId: Schema.String,
  reason: Schema.String,
  cause: Schema.optional(Schema.Defect)
}) {
  override get message() {
    return `${this.problemId}: ${this.reason}`
  }
}

export interface AgreementOptions {
  /** The TCG model, prompted without the reference (question-only template). */
  readonly model: LanguageModelService
  /** Candidate solutions (code) sampled from the policy by the caller. */
  readonly solutions: ReadonlyArray<string>
  readonly samples?: number | undefined
  readonly casesPerSample?: number | undefined
  readonly seed?: number | undefined
}

export interface Agreement {
  /** Indices of the solutions in the consensus group and of the tests they pass. */
  readonly solutions: ReadonlyArray<number>
  readonly tests: ReadonlyArray<number>
  readonly score: number
}

/**
 * CodeT's dual agreement over a pass matrix (`passes[s][t]`: solution s passes test t): group
 * solutions by the exact set of tests they pass, score each group |solutions| x |tests|, and
 * return the best group (ties: more tests, then the earlier solution). Score 0 when no solution
 * passes any test.
 */
export const dualAgreement = (passes: ReadonlyArray<ReadonlyArray<boolean>>): Agreement => {
  const groups = new Map<string, { solutions: Array<number>; tests: Array<number> }>()
  passes.forEach((row, s) => {
    const key = row.map((p) => (p ? "1" : "0")).join("")
    const g = groups.get(key) ?? { solutions: [], tests: row.flatMap((p, t) => (p ? [t] : [])) }
    g.solutions.push(s)
    groups.set(key, g)
  })
  let best: Agreement = { solutions: [], tests: [], score: 0 }
  for (const g of groups.values()) {
    const score = g.solutions.length * g.tests.length
    if (score > best.score || (score === best.score && score > 0 && g.tests.length > best.tests.length)) best = { ...g, score }
  }
  return best
}

// ---------------------------------------------------------------------------------------------

interface Candidate {
  readonly test: Test
  readonly origin: TestOrigin
}

/** Identity of a case's input: the same input twice is a duplicate whatever its expected value. */
export const inputKey = (test: Test): string => {
  switch (test._tag) {
    case "call": {
      const parsed = parsePyArgs(test.args)
      return parsed instanceof PyParseFailure ? `call:${test.args.replace(/\s+/g, "")}` : `call:${argsKey(parsed)}`
    }
    case "stdio":
      return `stdio:${test.input.replace(/[ \t]+$/gm, "").trimEnd()}`
    case "assert":
      return `assert:${test.source.replace(/\s+/g, "")}`
  }
}

const emptyDropped = (): Record<DropReason, number> =>
  Object.fromEntries(DROP_REASONS.map((r) => [r, 0])) as Record<DropReason, number>

class Tally {
  generated = 0
  validated = 0
  passedValidation = 0
  dropped = emptyDropped()
  examples: Array<{ reason: DropReason; text: string; detail?: string | undefined }> = []
  drop(reason: DropReason, text: string, detail?: string) {
    this.dropped[reason]++
    if (this.examples.filter((e) => e.reason === reason).length < 5) this.examples.push({ reason, text: text.slice(0, 300), detail: detail?.slice(0, 200) })
  }
}

const testText = (t: Test): string =>
  t._tag === "call" ? `(${t.args}) == ${t.expected}` : t._tag === "stdio" ? `input ${JSON.stringify(t.input)} output ${JSON.stringify(t.output)}` : t.source

/** Seed inputs of a function problem: the visible tests' argument lists, parsed as Python literals. */
export const seedInputs = (problem: Problem): ReadonlyArray<ReadonlyArray<PyValue>> => {
  const out: Array<ReadonlyArray<PyValue>> = []
  for (const t of problem.visibleTests) {
    const call: CallTest | undefined = t._tag === "call" ? t : undefined
    let argsSource = call?.args
    if (t._tag === "assert" && problem.entryPoint !== undefined) {
      const parsed = parseAssert(t.source, problem.entryPoint)
      argsSource = typeof parsed !== "string" ? parsed.args : callArgsIn(t.source, problem.entryPoint)
    }
    if (argsSource === undefined) continue
    const args = parsePyArgs(argsSource)
    if (!(args instanceof PyParseFailure)) out.push(args)
  }
  return out
}

export const suiteIdFor = (problemId: string, generator: string, configHash: string): string =>
  `suite-${hashOf({ problemId, generator, configHash }).slice(0, 24)}`

const defaults = (o: SuiteOptions) => ({
  generator: o.generator,
  budget: o.budget ?? 60,
  seed: o.seed ?? 0,
  samples: o.samples ?? 2,
  casesPerSample: o.casesPerSample ?? 3,
  mutants: o.mutants ?? 20,
  base: o.base ?? ("all" as const),
  model: o.model?.modelVersion
})

/** Bumped when the reward-integrity extension changes what a suite holds (older suites are rebuilt). */
const INTEGRITY_VERSION = 1

/**
 * The configuration hash a suite is stored under: the options that shape it plus the problem
 * material it is built from, so a re-imported, changed problem gets a new suite.
 */
export const configHashFor = (problem: Problem, options: SuiteOptions): string => {
  const d = defaults(options)
  const uses = {
    dataset: ["generator"],
    mutation: ["generator", "budget", "seed", "mutants"],
    llm: ["generator", "seed", "samples", "casesPerSample", "model", "mutants"],
    all: ["generator", "budget", "seed", "samples", "casesPerSample", "model", "mutants"],
    reduced: ["generator", "budget", "seed", "samples", "casesPerSample", "model", "mutants", "base"]
  }[d.generator]
  const config = Object.fromEntries(uses.map((k) => [k, (d as Record<string, unknown>)[k]]))
  return hashOf({
    config,
    integrity: INTEGRITY_VERSION,
    reference: problem.reference ?? null,
    setup: problem.setup ?? null,
    visible: canonicalJson(problem.visibleTests)
  }).slice(0, 32)
}

/**
 * Builds, validates, deduplicates and stores test suites. `suiteFor` is idempotent: the same
 * problem and options return the stored suite (`reused: true`) without running anything.
 * Held-out tests never enter a suite: the `dataset` generator uses `visibleTests` only and
 * nothing here reads `heldOutTests` or `heldOutInputs`.
 */
export class TestGen extends Effect.Service<TestGen>()("o1coder/TestGen", {
  effect: Effect.gen(function* () {
    const sandbox = yield* Sandbox
    const repo = yield* SuitesRepo
    const mutantSource = yield* Effect.serviceOption(MutantSource)

    const fail = (problem: Problem) => (e: unknown) =>
      new TestGenError({ problemId: problem.id, reason: describeError(e), cause: e })

    const mutantsFor = (problem: Problem, count: number, seed: number) =>
      problem.reference === undefined || count <= 0 || Option.isNone(mutantSource)
        ? Effect.succeed([] as ReadonlyArray<string>)
        : mutantSource.value.mutants(problem.reference, { count, seed }).pipe(Effect.mapError(fail(problem)))

    // -- candidate generation ----------------------------------------------------------------

    const datasetCandidates = (problem: Problem, tally: Tally): Array<Candidate> => {
      tally.generated += problem.visibleTests.length
      return problem.visibleTests.map((test) => ({ test, origin: "dataset" as const }))
    }

    const llmCandidates = (problem: Problem, model: LanguageModelService, d: ReturnType<typeof defaults>, tally: Tally) =>
      Effect.gen(function* () {
        const prompt = renderTcgPrompt(promptInputFor(problem, d.casesPerSample, problem.reference !== undefined))
        const completions = yield* model.complete(
          prompt,
          new SamplingOptions({ n: d.samples, stop: [TCG_STOP], seed: d.seed, maxTokens: 160 * d.casesPerSample, temperature: 0.8 })
        )
        const out: Array<Candidate> = []
        for (const c of completions) {
          const parsed = parseTcgOutput(c.text, problem)
          tally.generated += parsed.tests.length + parsed.unparseable.length
          for (const u of parsed.unparseable) tally.drop("unparseable", u.text, u.reason)
          for (const test of parsed.tests) out.push({ test, origin: "llm" })
        }
        return out
      }).pipe(Effect.mapError(fail(problem)), Effect.withSpan("tcg.llm"))

    /** EvalPlus-style: mutate seed inputs in rounds; inputs the reference handles join the pool. */
    const mutationCandidates = (problem: Problem, extraSeeds: ReadonlyArray<Test>, d: ReturnType<typeof defaults>, tally: Tally) =>
      Effect.gen(function* () {
        const reference = problem.reference
        if (problem.kind !== "function" || reference === undefined || problem.entryPoint === undefined) return [] as Array<Candidate>
        const pool = [...seedInputs(problem)]
        for (const t of extraSeeds) {
          if (t._tag !== "call") continue
          const args = parsePyArgs(t.args)
          if (!(args instanceof PyParseFailure)) pool.push(args)
        }
        const rng = new Rng(`${problem.id}:${d.seed}`)
        const seen = new Set<string>()
        const out: Array<Candidate> = []
        // Four rounds: inputs kept in one round are seeds of the next (the pool grows, as in EvalPlus).
        const quarter = Math.floor(d.budget / 4)
        const rounds = [d.budget - 3 * quarter, quarter, quarter, quarter]
        for (const size of rounds) {
          if (size <= 0 || pool.length === 0) continue
          const inputs = mutateInputs(pool, size, rng, seen)
          for (const i of inputs) seen.add(argsKey(i))
          tally.generated += inputs.length
          const labelled = yield* labelInputs(sandbox, problem, reference, inputs)
          for (const l of labelled) {
            if (l.check.keep) {
              pool.push(l.args)
              out.push({
                test: new CallTest({ args: l.argsSource!, expected: l.expected!, ...(problem.atol !== undefined && problem.atol > 0 ? { atol: problem.atol } : {}) }),
                origin: "mutation"
              })
            } else tally.drop(l.check.reason, l.argsSource ?? canonicalJson(l.args), l.check.detail)
          }
        }
        return out
      }).pipe(Effect.mapError(fail(problem)), Effect.withSpan("tcg.mutation"))

    // -- validation, dedupe, metrics, storage -----------------------------------------------

    const dedupe = (candidates: ReadonlyArray<Candidate>, tally: Tally, seen = new Set<string>()): Array<Candidate> =>
      candidates.filter((c) => {
        const key = inputKey(c.test)
        if (seen.has(key)) {
          tally.drop("duplicate", testText(c.test))
          return false
        }
        seen.add(key)
        return true
      })

    /** Runs the reference on every candidate (twice); keeps the passes. Without a reference only dataset tests are trusted. */
    const validate = (problem: Problem, candidates: ReadonlyArray<Candidate>, tally: Tally) =>
      Effect.gen(function* () {
        if (problem.reference === undefined) {
          return candidates.filter((c) => {
            if (c.origin === "dataset") return true
            tally.drop("untrusted", testText(c.test), "no reference solution to validate against")
            return false
          })
        }
        const checks: ReadonlyArray<CaseCheck> = yield* validateTests(sandbox, problem, problem.reference, candidates.map((c) => c.test))
        tally.validated += candidates.length
        return candidates.filter((c, i) => {
          const check = checks[i]!
          if (check.keep) {
            tally.passedValidation++
            return true
          }
          tally.drop(check.reason, testText(c.test), check.detail)
          return false
        })
      }).pipe(Effect.mapError(fail(problem)))

    // Recent kill matrices: a `reduced` suite right after its base reuses the base's matrix.
    const matrices = new Map<string, KillMatrix>()
    const matrixFor = (problem: Problem, tests: ReadonlyArray<Test>, d: ReturnType<typeof defaults>) =>
      Effect.gen(function* () {
        const mutants = yield* mutantsFor(problem, d.mutants, d.seed)
        const key = hashOf({ problem: problem.id, setup: problem.setup ?? null, mutants, tests: tests.map((t) => canonicalJson(t)) })
        const cached = matrices.get(key)
        if (cached !== undefined) return { mutants, matrix: cached }
        const matrix: KillMatrix = yield* killMatrix(sandbox, problem, mutants, tests).pipe(Effect.mapError(fail(problem)))
        if (matrices.size >= 64) matrices.delete(matrices.keys().next().value!)
        matrices.set(key, matrix)
        return { mutants, matrix }
      })

    const statsOf = (generator: string, tally: Tally, cases: ReadonlyArray<Candidate>, mutants: number, matrix: KillMatrix): SuiteStats => {
      const byOrigin = { dataset: 0, llm: 0, mutation: 0 } as Record<TestOrigin, number>
      for (const c of cases) byOrigin[c.origin]++
      const killed = matrix.filter((row) => row.some(Boolean)).length
      return {
        generator,
        generated: tally.generated,
        validated: tally.validated,
        kept: cases.length,
        dropped: tally.dropped,
        validity: tally.validated > 0 ? tally.passedValidation / tally.validated : null,
        byOrigin,
        size: cases.length,
        mutants,
        killed,
        mutationScore: mutants > 0 ? mutationScore(matrix) : null,
        examples: tally.examples
      }
    }

    const store = (problem: Problem, generator: string, configHash: string, cases: ReadonlyArray<Candidate>, stats: SuiteStats) =>
      repo
        .save({
          id: suiteIdFor(problem.id, generator, configHash),
          problemId: problem.id,
          generator,
          configHash,
          stats: stats as unknown as Record<string, unknown>,
          cases: cases.map((c) => new TestCase({ test: c.test, origin: c.origin }))
        })
        .pipe(
          Effect.map((s): BuiltSuite => ({ suite: s.suite, stats: s.stats as unknown as SuiteStats, configHash, reused: false })),
          Effect.mapError(fail(problem))
        )

    const build = (problem: Problem, options: SuiteOptions, configHash: string): Effect.Effect<BuiltSuite, TestGenError> =>
      Effect.gen(function* () {
        const d = defaults(options)
        if (d.generator === "reduced") {
          const base = yield* suiteFor(problem, { ...options, generator: d.base })
          const tests = base.suite.cases.map((c) => c.test)
          const { matrix, mutants } = yield* matrixFor(problem, tests, d)
          // The trivial baselines count as mutants: the reduced suite keeps a test that kills each.
          const baselineMatrix = yield* killMatrix(sandbox, problem, baselinesFor(problem, tests).map((b) => b.code), tests).pipe(Effect.mapError(fail(problem)))
          const chosen = mutants.length > 0 ? reduceSuite([...matrix, ...baselineMatrix], tests.length) : base.suite.cases.map((_, i) => i)
          const cases = chosen.map((i) => base.suite.cases[i]!)
          const tally = new Tally()
          tally.generated = base.suite.cases.length
          const reducedMatrix = matrix.map((row) => chosen.map((i) => row[i]!))
          const integrity = yield* checkSuite(sandbox, problem, cases.map((c) => c.test)).pipe(Effect.mapError(fail(problem)))
          const stats = { ...statsOf("reduced", tally, cases, mutants.length, reducedMatrix), validity: base.stats.validity, baseSize: tests.length, integrity }
          return yield* store(problem, "reduced", configHash, cases, stats)
        }
        if (d.generator === "llm" && options.model === undefined) {
          return yield* new TestGenError({ problemId: problem.id, reason: "the llm generator needs a TCG model (--model)" })
        }
        const tally = new Tally()
        const seen = new Set<string>()
        const kept: Array<Candidate> = []
        if (d.generator === "dataset" || d.generator === "all") {
          kept.push(...(yield* validate(problem, dedupe(datasetCandidates(problem, tally), tally, seen), tally)))
        }
        if ((d.generator === "llm" || d.generator === "all") && options.model !== undefined) {
          const generated = yield* llmCandidates(problem, options.model, d, tally)
          kept.push(...(yield* validate(problem, dedupe(generated, tally, seen), tally)))
        }
        if (d.generator === "mutation" || d.generator === "all") {
          // LLM inputs that survived validation are seeds too (`all`), as EvalPlus seeds from ChatGPT inputs.
          const generated = yield* mutationCandidates(problem, kept.filter((c) => c.origin === "llm").map((c) => c.test), d, tally)
          kept.push(...(yield* validate(problem, dedupe(generated, tally, seen), tally)))
        }
        // Reward integrity: extend the suite until no trivial baseline passes it (visible tests alone are only measured).
        const secured = d.generator === "dataset"
          ? { added: [] as ReadonlyArray<Test>, report: yield* checkSuite(sandbox, problem, kept.map((c) => c.test)).pipe(Effect.mapError(fail(problem))) }
          : yield* secureSuite(sandbox, problem, seedInputs(problem), kept.map((c) => c.test), { seed: d.seed }).pipe(Effect.mapError(fail(problem)))
        kept.push(...secured.added.map((test) => ({ test, origin: "mutation" as const })))
        tally.generated += secured.added.length
        const { matrix, mutants } = yield* matrixFor(problem, kept.map((c) => c.test), d)
        return yield* store(problem, d.generator, configHash, kept, { ...statsOf(d.generator, tally, kept, mutants.length, matrix), integrity: secured.report })
      }).pipe(Effect.withSpan("tcg.build", { attributes: { problem: problem.id, generator: options.generator } }))

    /**
     * The suite of `problem` for these options: the stored one when it exists, else built,
     * validated, measured and stored. Fails with TestGenError (sandbox, model or store trouble).
     */
    const suiteFor = (problem: Problem, options: SuiteOptions): Effect.Effect<BuiltSuite, TestGenError> =>
      Effect.gen(function* () {
        const configHash = configHashFor(problem, options)
        const stored = yield* repo.find(problem.id, options.generator, configHash).pipe(Effect.mapError(fail(problem)))
        if (Option.isSome(stored)) {
          return { suite: stored.value.suite, stats: stored.value.stats as unknown as SuiteStats, configHash, reused: true }
        }
        return yield* build(problem, options, configHash)
      })

    /** Kill matrix of arbitrary tests against the reference's mutants (benchmarks compare suites on the same mutants). */
    const killMatrixFor = (problem: Problem, tests: ReadonlyArray<Test>, options: { readonly mutants?: number; readonly seed?: number } = {}) =>
      matrixFor(problem, tests, defaults({ generator: "all", ...options }))

    /**
     * Question-only mode (evaluation time, no reference): CodeT's dual agreement. The TCG model
     * writes cases from the question alone; each candidate solution (sampled by the caller from
     * the policy) runs on every case; solutions are grouped by the set of cases they pass, a
     * group scores (solutions in it) x (cases they pass), and the cases passed by the best group
     * are trusted. Held-out tests are never read. Stored as generator `codet`.
     */
    const agreedSuite = (problem: Problem, options: AgreementOptions): Effect.Effect<BuiltSuite & { readonly agreement: Agreement }, TestGenError> =>
      Effect.gen(function* () {
        const d = defaults({ generator: "llm", ...options })
        const configHash = hashOf({
          generator: "codet",
          seed: d.seed,
          samples: d.samples,
          casesPerSample: d.casesPerSample,
          model: options.model.modelVersion,
          solutions: options.solutions.map((c) => hashOf(c)),
          statement: problem.statement
        }).slice(0, 32)
        const tally = new Tally()
        const { reference: _hidden, ...rest } = problem
        const question = ProblemClass.make({ ...rest, heldOutTests: [], heldOutInputs: [] }) // never validate against a reference here
        const generated = dedupe(yield* llmCandidates(question, options.model, d, tally), tally)
        const tests = generated.map((c) => c.test)
        const passes: Array<ReadonlyArray<boolean>> = []
        for (const code of options.solutions) {
          const ex = yield* sandbox
            .run({ code, kind: problem.kind, entryPoint: problem.entryPoint, setup: problem.setup, tests, purpose: "validation", context: { problemId: problem.id } })
            .pipe(Effect.mapError(fail(problem)))
          passes.push(tests.map((_, i) => ex.compiled && ex.verdicts[i]?.status === "passed"))
        }
        const agreement = dualAgreement(passes)
        const trusted = new Set(agreement.tests)
        const kept = generated.filter((c, i) => {
          if (trusted.has(i)) return true
          tally.drop("untrusted", testText(c.test), "outside the consensus set")
          return false
        })
        tally.validated = generated.length
        tally.passedValidation = kept.length
        const stored = yield* repo.find(problem.id, "codet", configHash).pipe(Effect.mapError(fail(problem)))
        if (Option.isSome(stored)) {
          return { suite: stored.value.suite, stats: stored.value.stats as unknown as SuiteStats, configHash, reused: true, agreement }
        }
        const integrity = yield* checkSuite(sandbox, problem, kept.map((c) => c.test)).pipe(Effect.mapError(fail(problem)))
        const built = yield* store(problem, "codet", configHash, kept, { ...statsOf("codet", tally, kept, 0, []), integrity })
        return { ...built, agreement }
      }).pipe(Effect.withSpan("tcg.codet", { attributes: { problem: problem.id } }))

    return { suiteFor, killMatrixFor, agreedSuite } as const
  })
}) {}

/** A stored suite id as a branded SuiteId. */
export const asSuiteId = (id: string) => SuiteId.make(id)
export { TestSuite }

import { AssertTest, CallTest, hashOf, type Problem, pySource, type PyValue, type Test } from "@o1coder/domain"
import { isFloats } from "@o1coder/sandbox/EvalPlusCompare"
import { type CallOutcome, Sandbox, Limits, type SandboxError } from "@o1coder/sandbox/Sandbox"
import { EvaluationsRepo, type HeldOutLabels, type LabelFailure } from "@o1coder/store/EvaluationsRepo"
import { Effect } from "effect"
import { findZeroAssert, type GradingPolicy, mbppOracle } from "./Grading.ts"

/**
 * Held-out inputs without expected values (MBPP+, HumanEval+ plus inputs) are labelled by running
 * the canonical solution on them (`Sandbox.call`), compared later within the task's atol. The
 * labels are cached in `held_out_labels` under a key of everything they depend on, so each is
 * computed once. Inputs the reference cannot answer (it raises, times out, or returns a value
 * with no literal) are not tests: they are kept as failures and reported. A `re.Match` result is
 * compared as EvalPlus does, by `is not None` only.
 */
export const labelKey = (problem: Problem, grading: GradingPolicy = { _tag: "original" }): string =>
  hashOf({
    reference: problem.reference ?? null,
    setup: problem.setup ?? null,
    entryPoint: problem.entryPoint ?? null,
    inputs: problem.heldOutInputs,
    atol: problem.atol ?? null,
    // v2: no size cutoff (heavy values by digest), times recorded; EvalPlus grading labels base inputs too.
    labels: 2,
    ...(grading._tag === "evalplus" ? { grading: `evalplus-${grading.benchmark}`, base: problem.heldOutBaseInputs } : {})
  })

/**
 * Generous limits: canonical solutions on EvalPlus inputs can be slow (HumanEval+ 160 takes seconds on some),
 * and they run once per dataset version; a candidate gets a limit derived from the time measured here.
 */
export const LABEL_LIMITS = new Limits({
  testTimeoutMs: 120_000,
  totalTimeoutMs: 3_600_000,
  memoryBytes: 2 * 1024 ** 3,
  outputBytes: 8 * 1024 ** 2
})

const CHUNK = 200

type Labelled = { readonly index: number; readonly args: string; readonly outcome: CallOutcome }

/** Runs `code`'s `entryPoint` on every argument list (in chunks), keeping each outcome with its input. */
const runAll = (code: string, entryPoint: string, setup: string | undefined, inputs: ReadonlyArray<string>, offset: number) =>
  Effect.gen(function* () {
    const sandbox = yield* Sandbox
    const out: Array<Labelled> = []
    for (let start = 0; start < inputs.length; start += CHUNK) {
      const argsList = inputs.slice(start, start + CHUNK)
      const outcomes = yield* sandbox.call({ code, entryPoint, setup, argsList, limits: LABEL_LIMITS })
      argsList.forEach((args, i) => {
        out.push({
          index: offset + start + i,
          args,
          outcome: outcomes[i] ?? { _tag: "error", status: "killed", error: "the sandbox returned no outcome for this input" }
        })
      })
    }
    return out
  })

/** The expected value of a test: a literal, or the digest itself when the value crossed as one. */
const expectedOf = (value: PyValue): { readonly expected: string; readonly expectedDigest?: Extract<PyValue, { t: "digest" }> } | undefined => {
  if (value.t === "digest") return { expected: `<${value.c} of ${value.n} known by digest ${value.h.slice(0, 12)}>`, expectedDigest: value }
  const expected = pySource(value)
  return expected === undefined ? undefined : { expected }
}

const noReference = (problem: Problem, inputs: ReadonlyArray<string>): HeldOutLabels => ({
  tests: [],
  failures: inputs.map((args, index) => ({
    index,
    args,
    status: "no_reference",
    error: "the problem has no reference solution or entry point to label its held-out inputs"
  }))
})

/** Original grading: each plus input compared with the reference's output within the task's atol. */
const originalLabels = (problem: Problem, reference: string, entryPoint: string) =>
  Effect.gen(function* () {
    const tests: Array<Test> = []
    const times: Array<number> = []
    const failures: Array<LabelFailure> = []
    for (const { args, index, outcome: o } of yield* runAll(reference, entryPoint, problem.setup, problem.heldOutInputs, 0)) {
      if (o._tag === "error") {
        failures.push({ index, args, status: o.status, error: o.error })
        continue
      }
      if (o.value.t === "unrepresentable" && o.value.type === "Match") {
        // EvalPlus's rule for the MBPP+ tasks whose reference returns a `re.Match`: only `is not None` is compared.
        tests.push(new AssertTest({ source: `assert (${entryPoint}(${args}) is not None) is True` }))
        times.push(o.ms ?? 0)
        continue
      }
      const e = expectedOf(o.value)
      if (e === undefined) {
        failures.push({ index, args, status: "unrepresentable", error: `the reference returned a value with no literal (${JSON.stringify(o.value).slice(0, 120)})` })
        continue
      }
      tests.push(new CallTest({ args, ...e, ...(problem.atol !== undefined && problem.atol > 0 ? { atol: problem.atol } : {}) }))
      times.push(o.ms ?? 0)
    }
    return { tests, failures, times, baseCount: 0 } satisfies HeldOutLabels
  })

/**
 * EvalPlus grading: one group of inputs (base or plus: EvalPlus runs each as its own `untrusted_check`, so its
 * float rule, which sets atol to 1e-6 from the first float expected value on, starts afresh per group).
 */
const evalplusGroup = (problem: Problem, reference: string, entryPoint: string, benchmark: "mbpp" | "humaneval", inputs: ReadonlyArray<string>, offset: number) =>
  Effect.gen(function* () {
    const spec = benchmark === "mbpp" ? mbppOracle(entryPoint) : undefined
    const findZero = benchmark === "humaneval" && entryPoint === "find_zero"
    const labelled = yield* runAll(reference, entryPoint, problem.setup, inputs, offset)
    const alternatives = spec?.alternative !== undefined ? yield* runAll(spec.alternative.code, spec.alternative.entryPoint, undefined, inputs, offset) : []
    const tests: Array<Test> = []
    const times: Array<number> = []
    const failures: Array<LabelFailure> = []
    let atol = problem.atol ?? 0
    labelled.forEach(({ args, index, outcome: o }, i) => {
      if (o._tag === "error") {
        failures.push({ index, args, status: o.status, error: o.error })
        return
      }
      if (findZero) {
        tests.push(new AssertTest({ source: findZeroAssert(args, problem.atol ?? 0) }))
        times.push(o.ms ?? 0)
        return
      }
      const value: PyValue = spec?.oracle === "not_none" ? { t: "bool", v: o.value.t !== "none" } : o.value
      const e = expectedOf(value)
      if (e === undefined) {
        failures.push({ index, args, status: "unrepresentable", error: `the reference returned a value with no literal (${JSON.stringify(o.value).slice(0, 120)})` })
        return
      }
      const oracleAtol = atol
      if (atol === 0 && isFloats(value)) atol = 1e-6
      const alt = alternatives[i]?.outcome
      const altSource = alt?._tag === "value" ? pySource(alt.value) : undefined
      tests.push(
        new CallTest({
          args,
          ...e,
          evalplus: {
            atol,
            ...(spec !== undefined ? { oracle: spec.oracle } : {}),
            ...(altSource !== undefined ? { alt: altSource } : {}),
            ...(spec?.oracle === "alt_abs" ? { oracleAtol } : {})
          }
        })
      )
      times.push(o.ms ?? 0)
    })
    return { tests, failures, times }
  })

export const computeLabels = (problem: Problem, grading: GradingPolicy = { _tag: "original" }): Effect.Effect<HeldOutLabels, SandboxError, Sandbox> =>
  Effect.gen(function* () {
    const evalplus = grading._tag === "evalplus"
    const baseInputs = evalplus ? problem.heldOutBaseInputs : []
    if (problem.heldOutInputs.length === 0 && baseInputs.length === 0) return { tests: [], failures: [], times: [], baseCount: 0 }
    if (problem.reference === undefined || problem.entryPoint === undefined) return noReference(problem, [...baseInputs, ...problem.heldOutInputs])
    if (grading._tag === "original") return yield* originalLabels(problem, problem.reference, problem.entryPoint)
    const base = yield* evalplusGroup(problem, problem.reference, problem.entryPoint, grading.benchmark, baseInputs, 0)
    const plus = yield* evalplusGroup(problem, problem.reference, problem.entryPoint, grading.benchmark, problem.heldOutInputs, baseInputs.length)
    return {
      tests: [...base.tests, ...plus.tests],
      failures: [...base.failures, ...plus.failures],
      times: [...base.times, ...plus.times],
      baseCount: base.tests.length
    }
  }).pipe(Effect.withSpan("eval.computeLabels", { attributes: { problem: problem.id, inputs: problem.heldOutInputs.length } }))

/** The labelled held-out tests of a problem, from the cache or computed (and cached) now. */
export const heldOutLabels = (problem: Problem, grading: GradingPolicy = { _tag: "original" }) =>
  Effect.gen(function* () {
    const base = grading._tag === "evalplus" ? problem.heldOutBaseInputs.length : 0
    if (problem.heldOutInputs.length === 0 && base === 0) return { tests: [], failures: [], times: [], baseCount: 0 } satisfies HeldOutLabels
    const repo = yield* EvaluationsRepo
    const key = labelKey(problem, grading)
    const cached = yield* repo.getLabels(problem.id, key)
    if (cached !== undefined) return cached
    const labels = yield* computeLabels(problem, grading)
    yield* repo.putLabels(problem.id, key, labels)
    return labels
  })

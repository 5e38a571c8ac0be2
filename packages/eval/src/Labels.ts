import { AssertTest, CallTest, hashOf, type Problem, pySource, type Test } from "@o1coder/domain"
import { Sandbox, Limits, type SandboxError } from "@o1coder/sandbox/Sandbox"
import { EvaluationsRepo, type HeldOutLabels, type LabelFailure } from "@o1coder/store/EvaluationsRepo"
import { Effect } from "effect"

/**
 * Held-out inputs without expected values (MBPP+, HumanEval+ plus inputs) are labelled by running
 * the canonical solution on them (`Sandbox.call`), compared later within the task's atol. The
 * labels are cached in `held_out_labels` under a key of everything they depend on, so each is
 * computed once. Inputs the reference cannot answer (it raises, times out, or returns a value
 * with no literal) are not tests: they are kept as failures and reported. A `re.Match` result is
 * compared as EvalPlus does, by `is not None` only.
 */
export const labelKey = (problem: Problem): string =>
  hashOf({
    reference: problem.reference ?? null,
    setup: problem.setup ?? null,
    entryPoint: problem.entryPoint ?? null,
    inputs: problem.heldOutInputs,
    atol: problem.atol ?? null
  })

/** Generous limits: canonical solutions on EvalPlus inputs can be slow, and they run once. */
export const LABEL_LIMITS = new Limits({
  testTimeoutMs: 10_000,
  totalTimeoutMs: 600_000,
  memoryBytes: 2 * 1024 ** 3,
  outputBytes: 8 * 1024 ** 2
})

const CHUNK = 200

/**
 * Expected values longer than this (as Python source) are not used as tests: the sandbox would
 * evaluate a literal of megabytes for each candidate (MBPP+ 255, 462, 630 return thousands of
 * tuples on some plus inputs), which times out on a loaded machine. Left out and reported.
 */
export const MAX_EXPECTED_CHARS = 20_000

export const computeLabels = (problem: Problem): Effect.Effect<HeldOutLabels, SandboxError, Sandbox> =>
  Effect.gen(function* () {
    if (problem.heldOutInputs.length === 0) return { tests: [], failures: [] }
    if (problem.reference === undefined || problem.entryPoint === undefined) {
      return {
        tests: [],
        failures: problem.heldOutInputs.map((args, index) => ({
          index,
          args,
          status: "no_reference",
          error: "the problem has no reference solution or entry point to label its held-out inputs"
        }))
      }
    }
    const sandbox = yield* Sandbox
    const tests: Array<Test> = []
    const failures: Array<LabelFailure> = []
    for (let start = 0; start < problem.heldOutInputs.length; start += CHUNK) {
      const argsList = problem.heldOutInputs.slice(start, start + CHUNK)
      const outcomes = yield* sandbox.call({
        code: problem.reference,
        entryPoint: problem.entryPoint,
        setup: problem.setup,
        argsList,
        limits: LABEL_LIMITS
      })
      outcomes.forEach((o, i) => {
        const index = start + i
        const args = argsList[i]!
        if (o._tag === "error") {
          failures.push({ index, args, status: o.status, error: o.error })
          return
        }
        if (o.value.t === "unrepresentable" && o.value.type === "Match") {
          // EvalPlus's rule for the MBPP+ tasks whose reference returns a `re.Match`
          // (check_str, text_match_three, text_starta_endb): only `is not None` is compared.
          tests.push(new AssertTest({ source: `assert (${problem.entryPoint}(${args}) is not None) is True` }))
          return
        }
        const expected = pySource(o.value)
        if (expected === undefined) {
          failures.push({ index, args, status: "unrepresentable", error: `the reference returned a value with no literal (${JSON.stringify(o.value).slice(0, 120)})` })
          return
        }
        if (expected.length > MAX_EXPECTED_CHARS) {
          failures.push({ index, args, status: "too_large", error: `expected value of ${expected.length} characters (limit ${MAX_EXPECTED_CHARS})` })
          return
        }
        tests.push(new CallTest({ args, expected, ...(problem.atol !== undefined && problem.atol > 0 ? { atol: problem.atol } : {}) }))
      })
      if (outcomes.length < argsList.length) {
        for (let i = outcomes.length; i < argsList.length; i++) {
          failures.push({ index: start + i, args: argsList[i]!, status: "missing", error: "the sandbox returned no outcome for this input" })
        }
      }
    }
    return { tests, failures }
  }).pipe(Effect.withSpan("eval.computeLabels", { attributes: { problem: problem.id, inputs: problem.heldOutInputs.length } }))

/** The labelled held-out tests of a problem, from the cache or computed (and cached) now. */
export const heldOutLabels = (problem: Problem) =>
  Effect.gen(function* () {
    if (problem.heldOutInputs.length === 0) return { tests: [], failures: [] } satisfies HeldOutLabels
    const repo = yield* EvaluationsRepo
    const key = labelKey(problem)
    const cached = yield* repo.getLabels(problem.id, key)
    if (cached !== undefined) return cached
    const labels = yield* computeLabels(problem)
    yield* repo.putLabels(problem.id, key, labels)
    return labels
  })

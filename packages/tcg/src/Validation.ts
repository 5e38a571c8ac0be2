import type { Problem, PyValue, Test, Verdict } from "@o1coder/domain"

/** What validation needs of a problem. */
export interface ProblemRef {
  readonly id: string
  readonly kind: Problem["kind"]
  readonly entryPoint?: string | undefined
  readonly setup?: string | undefined
}
import { canonicalJson, pyArgsSource, pyEqual, pySource } from "@o1coder/domain"
import { Limits, Sandbox } from "@o1coder/sandbox/Sandbox"
import type { CallOutcome, SandboxError } from "@o1coder/sandbox/Sandbox"
import { Effect } from "effect"

/** Why a generated case was not kept. */
export type DropReason =
  | "unparseable"
  | "duplicate"
  | "wrong_output"
  | "crash"
  | "timeout"
  | "non_deterministic"
  | "unrepresentable"
  | "untrusted"
  | "oversized"

export const DROP_REASONS: ReadonlyArray<DropReason> = [
  "unparseable",
  "duplicate",
  "wrong_output",
  "crash",
  "timeout",
  "non_deterministic",
  "unrepresentable",
  "untrusted",
  "oversized"
]

/**
 * Longest expected value a generated case may have: Python's default limit for printing an int
 * (4300 digits). Inputs past it (factorial(32778)) make no readable test, and their reference runs
 * near the deadline, so whether they were kept depended on the machine's load: dropping them
 * whenever either labelling run produced one keeps a suite the same from run to run.
 */
export const MAX_EXPECTED_CHARS = 4300

export type CaseCheck = { readonly keep: true } | { readonly keep: false; readonly reason: DropReason; readonly detail?: string | undefined }

type SandboxService = typeof Sandbox.Service

/** Limits for validating generated cases: reference code should be quick on a good test. */
export const VALIDATION_LIMITS = new Limits({ testTimeoutMs: 2_000, totalTimeoutMs: 30_000, memoryBytes: 1024 ** 3, outputBytes: 1024 ** 2 })

const CHUNK = 40

const chunks = <A>(xs: ReadonlyArray<A>, n: number): Array<ReadonlyArray<A>> => {
  const out: Array<ReadonlyArray<A>> = []
  for (let i = 0; i < xs.length; i += n) out.push(xs.slice(i, i + n))
  return out
}

const classify = (a: Verdict | undefined, b: Verdict | undefined): CaseCheck => {
  if (a === undefined || b === undefined) return { keep: false, reason: "crash", detail: "no verdict" }
  if (a.status === "passed" && b.status === "passed") return { keep: true }
  if (a.status !== b.status) return { keep: false, reason: "non_deterministic", detail: `${a.status} then ${b.status}` }
  if (a.status === "failed") {
    // Failing twice with different values is a non-deterministic reference, not a wrong expectation.
    if (a.seen !== undefined && b.seen !== undefined && a.seen !== b.seen) return { keep: false, reason: "non_deterministic", detail: "outputs differ" }
    return { keep: false, reason: "wrong_output", detail: a.seen }
  }
  if (a.status === "timeout" || a.status === "killed") return { keep: false, reason: "timeout", detail: a.status }
  return { keep: false, reason: "crash", detail: a.error ?? a.status }
}

/**
 * Runs the reference on the tests twice and judges each: kept when it passes both times, else
 * dropped as wrong output, crash, timeout or non-deterministic (results differ between runs).
 */
export const validateTests = (
  sandbox: SandboxService,
  problem: ProblemRef,
  reference: string,
  tests: ReadonlyArray<Test>,
  limits: Limits = VALIDATION_LIMITS
): Effect.Effect<ReadonlyArray<CaseCheck>, SandboxError> =>
  Effect.forEach(chunks(tests, CHUNK), (batch) =>
    Effect.gen(function* () {
      const request = {
        code: reference,
        kind: problem.kind,
        entryPoint: problem.entryPoint,
        setup: problem.setup,
        tests: batch,
        limits,
        purpose: "validation" as const,
        context: { problemId: problem.id }
      }
      const first = yield* sandbox.run(request)
      const second = yield* sandbox.run(request)
      if (!first.compiled) return batch.map((): CaseCheck => ({ keep: false, reason: "crash", detail: "reference does not compile" }))
      return batch.map((_, i) => classify(first.verdicts[i], second.verdicts[i]))
    })
  ).pipe(Effect.map((xs) => xs.flat()), Effect.withSpan("tcg.validate", { attributes: { tests: tests.length } }))

export interface Labelled {
  readonly args: ReadonlyArray<PyValue>
  readonly check: CaseCheck
  /** Present when kept: the CallTest's `args` and `expected` source. */
  readonly argsSource?: string
  readonly expected?: string
}

const outcomeKey = (o: CallOutcome | undefined) => (o === undefined ? "none" : o._tag === "value" ? canonicalJson(o.value) : o.status)

/**
 * Labels argument lists with the reference's output (two calls each, to catch non-determinism).
 * Inputs on which the reference errs or times out are dropped with that reason.
 */
export const labelInputs = (
  sandbox: SandboxService,
  problem: Omit<ProblemRef, "kind" | "id">,
  reference: string,
  inputs: ReadonlyArray<ReadonlyArray<PyValue>>,
  limits: Limits = VALIDATION_LIMITS
): Effect.Effect<ReadonlyArray<Labelled>, SandboxError> =>
  Effect.gen(function* () {
    const entryPoint = problem.entryPoint
    if (entryPoint === undefined) return inputs.map((args): Labelled => ({ args, check: { keep: false, reason: "crash", detail: "no entry point" } }))
    const sources = inputs.map(pyArgsSource)
    const callable = inputs.map((_, i) => i).filter((i) => sources[i] !== undefined)
    const results = new Map<number, readonly [CallOutcome | undefined, CallOutcome | undefined]>()
    for (const batch of chunks(callable, CHUNK)) {
      const request = { code: reference, entryPoint, setup: problem.setup, argsList: batch.map((i) => sources[i]!), limits }
      const first = yield* sandbox.call(request)
      const second = yield* sandbox.call(request)
      batch.forEach((index, j) => results.set(index, [first[j], second[j]]))
    }
    return inputs.map((args, i): Labelled => {
      const r = results.get(i)
      if (r === undefined) return { args, check: { keep: false, reason: "unrepresentable", detail: "argument not expressible" } }
      const [a, b] = r
      if (a === undefined || b === undefined) return { args, check: { keep: false, reason: "crash", detail: "no outcome" } }
      const longest = Math.max(...[a, b].map((o) => (o._tag === "value" ? (pySource(o.value)?.length ?? 0) : 0)))
      if (longest > MAX_EXPECTED_CHARS) return { args, check: { keep: false, reason: "oversized", detail: `expected value of ${longest} characters` } }
      if (a._tag === "value" && b._tag === "value") {
        // Unrepresentable first: under the judge's equality such a value equals nothing, not even itself.
        const expected = pySource(a.value)
        if (expected === undefined) return { args, check: { keep: false, reason: "unrepresentable", detail: "output not expressible" } }
        // The judge's equality (float tolerance, 1 == 1.0): two runs differ only if the sandbox could judge them differently.
        if (!pyEqual(a.value, b.value)) return { args, check: { keep: false, reason: "non_deterministic", detail: "outputs differ" } }
        return { args, check: { keep: true }, argsSource: sources[i]!, expected }
      }
      if (outcomeKey(a) !== outcomeKey(b)) return { args, check: { keep: false, reason: "non_deterministic", detail: `${outcomeKey(a)} then ${outcomeKey(b)}` } }
      const failed = a._tag === "error" ? a : (b as Extract<CallOutcome, { _tag: "error" }>)
      return {
        args,
        check: failed.status === "timeout" || failed.status === "killed"
          ? { keep: false, reason: "timeout", detail: failed.status }
          : { keep: false, reason: "crash", detail: failed.error }
      }
    })
  }).pipe(Effect.withSpan("tcg.label", { attributes: { inputs: inputs.length } }))

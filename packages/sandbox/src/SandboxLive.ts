import { digestFloats, Execution, type PyValue, sha256, type Test, Verdict } from "@o1coder/domain"
import { Effect, Layer, type Scope } from "effect"
import * as NodeOs from "node:os"
import { pyEqual, pyRepr, pyWeight, stdoutEqual, toleranceFor } from "./Compare.ts"
import { evalplusPasses } from "./EvalPlusCompare.ts"
import { detect, type IsolationOptions, settingsFromConfig } from "./Isolation.ts"
import { parsePyLiteral } from "./PyLiteral.ts"
import { type CallOutcome, type CallRequest, Limits, type RunRequest, Sandbox, SandboxError } from "./Sandbox.ts"
import { DIGEST_WEIGHT, type ResultEntry, type WireJob, type WireLimits, type WireReply, type WireTest } from "./Wire.ts"
import * as Worker from "./Worker.ts"
import * as WorkerPool from "./WorkerPool.ts"

export interface SandboxOptions extends IsolationOptions {
  /** Warm workers (one per core by default). */
  readonly workers?: number | undefined
  /** A worker is replaced after this many jobs (bounds leaks in the long-lived server). */
  readonly maxJobsPerWorker?: number | undefined
}

/** Jobs queued per worker: the next job waits in the server's stdin while the current one runs. */
const PIPELINE_DEPTH = 2
const SEEN_MAX = 200
/** Summed weight of the cached expected values (tens of bytes per unit on the heap: well under 100 MB). */
const EXPECTED_CACHE_WEIGHT = 1_000_000

const wireTest = (test: Test): WireTest => {
  switch (test._tag) {
    case "call":
      return { k: "call", a: test.args, ...(test.wrap !== undefined ? { w: test.wrap } : {}) }
    case "assert":
      return { k: "assert", s: test.source }
    case "stdio":
      return { k: "stdio", i: test.input }
  }
}

const wireLimits = (limits: Limits, perTestMs?: ReadonlyArray<number>): WireLimits => ({
  test_s: limits.testTimeoutMs / 1000,
  ...(perTestMs !== undefined ? { tests_s: perTestMs.map((ms) => ms / 1000) } : {}),
  total_s: limits.totalTimeoutMs / 1000,
  mem: limits.memoryBytes,
  out: limits.outputBytes
})

/** An expected value, the expression's own error, or `lost` when its evaluation was killed (not the test's fault). */
type Expected = { readonly v: PyValue } | { readonly e: string; readonly lost?: boolean | undefined }

/** What can be told of two heavy values that differ: kind, length, or the first differing float. */
const digestDifference = (expected: PyValue, seen: PyValue): string | undefined => {
  if (expected.t !== "digest" && seen.t !== "digest") return undefined
  if (expected.t !== "digest" || seen.t !== "digest") return "compared by digest: one side is light, so they differ"
  if (expected.c !== seen.c) return `compared by digest: a ${seen.c} where a ${expected.c} was expected`
  if (expected.n !== seen.n) return `compared by digest: ${seen.n} elements where ${expected.n} were expected`
  if (expected.q !== undefined && seen.q !== undefined) {
    const xs = digestFloats(expected.q)
    const ys = digestFloats(seen.q)
    const i = xs.findIndex((x, k) => !Object.is(x, ys[k]))
    if (i >= 0) return `compared by digest: first differing element [${i}]: seen ${ys[i]}, expected ${xs[i]}`
  }
  return `compared by digest: same kind and length (${seen.n}), contents differ`
}

const failedCall = (ms: number, expected: PyValue, seen: PyValue): Verdict => {
  const why = digestDifference(expected, seen)
  return new Verdict({ status: "failed", ms, seen: pyRepr(seen, SEEN_MAX), ...(why !== undefined ? { error: why } : {}) })
}

const verdictFor = (
  test: Test,
  r: ResultEntry | undefined,
  expected: Expected | undefined,
  atol: number | undefined,
  alternative?: Expected | undefined
): Verdict => {
  if (r === undefined) return new Verdict({ status: "killed", ms: 0, error: "no result" })
  const ms = r.ms
  if (r.s !== "ok") return new Verdict({ status: r.s, ms, ...(r.e !== undefined ? { error: r.e } : {}) })
  switch (test._tag) {
    case "assert":
      return new Verdict({ status: "passed", ms })
    case "stdio": {
      const out = r.o ?? ""
      return stdoutEqual(test.output, out)
        ? new Verdict({ status: "passed", ms })
        : new Verdict({ status: "failed", ms, seen: out.length > SEEN_MAX ? out.slice(0, SEEN_MAX - 1) + "…" : out })
    }
    case "call": {
      if (r.v === undefined) return new Verdict({ status: "killed", ms, error: "a result without a value" })
      if (expected !== undefined && "e" in expected && expected.lost === true) return new Verdict({ status: "killed", ms, error: expected.e })
      if (expected === undefined || "e" in expected) {
        return new Verdict({ status: "failed", ms, seen: pyRepr(r.v, SEEN_MAX), error: `expected value could not be evaluated: ${expected?.e ?? "missing"}` })
      }
      if (test.evalplus !== undefined) {
        const alt = alternative !== undefined && "v" in alternative ? alternative.v : undefined
        return evalplusPasses(r.v, expected.v, test.evalplus, alt) ? new Verdict({ status: "passed", ms }) : failedCall(ms, expected.v, r.v)
      }
      const tolerance = toleranceFor(test.atol ?? atol)
      return pyEqual(expected.v, r.v, test.rtol === undefined ? tolerance : { ...tolerance, rel: test.rtol })
        ? new Verdict({ status: "passed", ms })
        : failedCall(ms, expected.v, r.v)
    }
  }
}

const lostVerdicts = (n: number, outcome: Extract<WorkerPool.Outcome, { _tag: "lost" }>): Execution =>
  new Execution({
    compiled: true,
    verdicts: Array.from({ length: n }, () => new Verdict({ status: outcome.watchdog ? "timeout" : "killed", ms: 0, error: outcome.reason })),
    passed: 0,
    total: n,
    ms: 0
  })

/** The real sandbox: a scoped pool of warm workers, isolated as far as the machine allows. */
export const make = (options: SandboxOptions = {}): Effect.Effect<Sandbox["Type"], SandboxError, Scope.Scope> =>
  Effect.gen(function* () {
    const plan = yield* detect(options)
    const workers = Math.max(1, options.workers ?? NodeOs.availableParallelism())
    yield* Worker.sweepStaleCgroups([plan.cgroups.pids, plan.cgroups.memory, plan.cgroups.cpu])
    const pool = yield* WorkerPool.make({
      size: workers,
      depth: PIPELINE_DEPTH,
      maxJobsPerWorker: options.maxJobsPerWorker ?? 20_000,
      start: (slot) => Worker.make(plan, slot, Limits.default.memoryBytes)
    })
    /**
     * Expected values already read or evaluated, bounded by their summed weight (nodes + characters), not their
     * number: a long evaluation sees tens of thousands of labels, some of 20,000 nodes each, and the cache is
     * what kept the heap growing. When full it starts afresh (a miss costs one parse or one evaluation).
     */
    const expectedCache = new Map<string, Expected>()
    let cachedWeight = 0
    const remember = (key: string, value: Expected, weight?: number) => {
      const w = weight ?? ("v" in value ? pyWeight(value.v, EXPECTED_CACHE_WEIGHT) : 1)
      if (cachedWeight + w > EXPECTED_CACHE_WEIGHT) {
        expectedCache.clear()
        cachedWeight = 0
      }
      if (!expectedCache.has(key)) cachedWeight += w
      expectedCache.set(key, value)
    }
    const expectedKey = (setup: string | undefined, expr: string) => sha256(`${setup ?? ""}\u0000${expr}`)
    /**
     * A known expected value: cached, or a plain literal read in TypeScript (no Python needed) that is light
     * enough to compare inline (a heavier one is evaluated by Python, which digests it as it digests the
     * candidate's value).
     */
    const knownExpected = (setup: string | undefined, expr: string): Expected | undefined => {
      const key = expectedKey(setup, expr)
      const hit = expectedCache.get(key)
      if (hit !== undefined) return hit
      const literal = parsePyLiteral(expr)
      if (literal === undefined) return undefined
      const weight = pyWeight(literal, DIGEST_WEIGHT)
      if (weight > DIGEST_WEIGHT) return undefined
      const known = { v: literal }
      remember(key, known, weight)
      return known
    }
    const watchdogFor = (limits: Limits, withExpected: boolean) => limits.totalTimeoutMs * (withExpected ? 2 : 1) + limits.testTimeoutMs + 5_000

    const toExecution = (request: RunRequest, reply: WireReply, exprs: ReadonlyArray<string>, started: number): Execution => {
      const evaluated = new Map<string, Expected>()
      exprs.forEach((expr, i) => {
        const e = reply.exp[i]
        const value: Expected = e?.v !== undefined ? { v: e.v } : { e: e?.e ?? "not evaluated", lost: e === undefined || e.lost === true }
        evaluated.set(expr, value)
        // Only values are cached: an evaluation that failed (e.g. timed out on a loaded machine) is retried next time.
        if ("v" in value) remember(expectedKey(request.setup, expr), value)
      })
      const valueOf = (expr: string) => knownExpected(request.setup, expr) ?? evaluated.get(expr)
      const verdicts = request.tests.map((test, i) =>
        test._tag === "call"
          ? verdictFor(test, reply.res[i], test.expectedDigest !== undefined ? { v: test.expectedDigest } : valueOf(test.expected), request.atol, test.evalplus?.alt !== undefined ? valueOf(test.evalplus.alt) : undefined)
          : verdictFor(test, reply.res[i], undefined, request.atol)
      ).map((v, i) => {
        // The SandboxFusion endpoint answers the program's own stdout (also when it raised), not a comparison.
        const r = reply.res[i]
        if (request.tests[i]!._tag !== "stdio" || r === undefined) return v
        const stdout = request.captureStdout === true && (r.s === "ok" || r.o !== undefined) ? { stdout: r.o ?? "" } : {}
        const files = request.fetchFiles !== undefined && r.f !== undefined ? { files: r.f } : {}
        return "stdout" in stdout || "files" in files ? new Verdict({ ...v, ...stdout, ...files }) : v
      })
      return new Execution({
        compiled: reply.compiled,
        verdicts,
        passed: verdicts.filter((v) => v.status === "passed").length,
        total: verdicts.length,
        ms: performance.now() - started
      })
    }

    const run = Effect.fn("Sandbox.run")(function* (request: RunRequest) {
      yield* Effect.annotateCurrentSpan({ tests: request.tests.length, kind: request.kind, purpose: request.purpose ?? "other" })
      const limits = request.limits ?? Limits.default
      if (request.testLimitsMs !== undefined && request.testLimitsMs.length !== request.tests.length) {
        return yield* new SandboxError({ reason: `testLimitsMs has ${request.testLimitsMs.length} entries for ${request.tests.length} tests` })
      }
      const started = performance.now()
      const exprs = [
        ...new Set(
          request.tests.flatMap((t) =>
            t._tag !== "call"
              ? []
              : [...(t.expectedDigest === undefined ? [t.expected] : []), ...(t.evalplus?.alt !== undefined ? [t.evalplus.alt] : [])].filter((e) => knownExpected(request.setup, e) === undefined)
          )
        )
      ]
      const job: WireJob = {
        kind: request.kind,
        // Validation runs execute the reference: they never fork from the template scored candidates use.
        tpl: request.purpose === "validation" ? "ref" : "cand",
        code: request.code,
        setup: request.setup,
        entry: request.entryPoint,
        tests: request.tests.map(wireTest),
        exp: exprs,
        lim: wireLimits(limits, request.testLimitsMs),
        ...(request.stopAtFirstFailure === true ? { ff: true } : {}),
        ...(request.captureStdout === true ? { keep: true } : {}),
        ...(request.files !== undefined && Object.keys(request.files).length > 0 ? { files: request.files } : {}),
        ...(request.fetchFiles !== undefined && request.fetchFiles.length > 0 ? { fetch: request.fetchFiles } : {})
      }
      const outcome = yield* pool.exec(job, watchdogFor(limits, exprs.length > 0))
      if (outcome._tag === "lost") return lostVerdicts(request.tests.length, outcome)
      return toExecution(request, outcome.reply, exprs, started)
    })

    const call = Effect.fn("Sandbox.call")(function* (request: CallRequest) {
      yield* Effect.annotateCurrentSpan({ calls: request.argsList.length })
      const limits = request.limits ?? Limits.default
      const job: WireJob = {
        kind: "function",
        tpl: "ref",
        code: request.code,
        setup: request.setup,
        entry: request.entryPoint,
        tests: request.argsList.map((a) => ({ k: "call", a })),
        lim: wireLimits(limits)
      }
      const outcome = yield* pool.exec(job, watchdogFor(limits, false))
      if (outcome._tag === "lost") {
        return request.argsList.map((): CallOutcome => ({ _tag: "error", status: outcome.watchdog ? "timeout" : "killed", error: outcome.reason }))
      }
      return request.argsList.map((_, i): CallOutcome => {
        const r = outcome.reply.res[i]
        if (r?.s === "ok" && r.v !== undefined) return { _tag: "value", value: r.v, ms: r.ms }
        const status = r === undefined || r.s === "ok" || r.s === "failed" || r.s === "not_run" ? "killed" : r.s
        return { _tag: "error", status, error: r?.e ?? r?.s ?? "no result" }
      })
    })

    return Sandbox.of({
      run,
      call,
      info: { interpreter: plan.interpreter, level: plan.level, details: plan.details, workers }
    })
  })

/** A Sandbox layer with explicit options (tests, benchmarks). */
export const layer = (options: SandboxOptions = {}): Layer.Layer<Sandbox, SandboxError> => Layer.scoped(Sandbox, make(options))

/** The Sandbox from configuration: O1CODER_PYTHON, O1CODER_SANDBOX_UNSAFE, O1CODER_SANDBOX_WORKERS, O1CODER_BWRAP. */
export const SandboxLive: Layer.Layer<Sandbox, SandboxError> = Layer.scoped(
  Sandbox,
  Effect.flatMap(
    Effect.mapError(settingsFromConfig, (e) => new SandboxError({ reason: `sandbox configuration: ${e}` })),
    (s) => make({ interpreter: s.interpreter, unsafe: s.unsafe, workers: s.workers, bwrap: s.bwrap })
  )
)

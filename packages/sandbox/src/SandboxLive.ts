import { Execution, PyValue, sha256, Verdict, VerdictStatus, type Test } from "@o1coder/domain"
import { Effect, Layer, Schema, type Scope } from "effect"
import * as NodeOs from "node:os"
import { pyEqual, pyRepr, stdoutEqual, toleranceFor } from "./Compare.ts"
import { parsePyLiteral } from "./PyLiteral.ts"
import { detect, type IsolationOptions, type IsolationPlan, settingsFromConfig } from "./Isolation.ts"
import {
  type CallOutcome,
  type CallRequest,
  Limits,
  type RunRequest,
  Sandbox,
  SandboxError
} from "./Sandbox.ts"
import { sweepStaleCgroups, type WireJob, type WireLimits, type WireReply, type WireResult, type WireTest, Worker, WorkerDied } from "./Worker.ts"

export interface SandboxOptions extends IsolationOptions {
  /** Warm workers (one per core by default). */
  readonly workers?: number | undefined
  /** A worker is replaced after this many jobs (bounds leaks in the long-lived server). */
  readonly maxJobsPerWorker?: number | undefined
}

type Outcome = { readonly _tag: "reply"; readonly reply: WireReply } | { readonly _tag: "lost"; readonly reason: string }

/** Jobs queued per worker: the next job waits in the server's stdin while the current one runs. */
const PIPELINE_DEPTH = 2

/** A fixed set of worker slots; a slot's process is (re)started lazily when dead or worn out. */
const makePool = (plan: IsolationPlan, size: number, maxJobs: number) =>
  Effect.gen(function* () {
    const slots: Array<Worker | undefined> = new Array(size).fill(undefined)
    const locks = yield* Effect.forEach(slots, () => Effect.makeSemaphore(1))
    // Up to PIPELINE_DEPTH jobs in flight per worker; each job goes to the worker with the fewest, so
    // a job queues behind another (e.g. a candidate spending its deadline) only when every worker is busy.
    const permits = yield* Effect.makeSemaphore(size * PIPELINE_DEPTH)
    const load: Array<number> = new Array(size).fill(0)
    let turn = 0
    const pick = Effect.sync(() => {
      // Ties rotate, so that equally loaded workers share the jobs. Never above PIPELINE_DEPTH (the permits).
      let best = -1
      for (let k = 0; k < size; k++) {
        const i = (turn + k) % size
        if (best < 0 || load[i]! < load[best]!) best = i
      }
      turn = (best + 1) % size
      load[best]!++
      return best
    })
    yield* Effect.promise(() => sweepStaleCgroups([plan.cgroups.pids, plan.cgroups.memory, plan.cgroups.cpu]))
    yield* Effect.addFinalizer(() =>
      Effect.promise(() => {
        const live = slots.filter((w): w is Worker => w !== undefined)
        for (const w of live) w.kill()
        // Wait (at most ~2 s) for the processes to go and their cgroups to be removed.
        return Promise.all(live.map((w) => w.closed)).then(() => undefined)
      })
    )

    const start = (slot: number, memoryBytes: number) =>
      Effect.gen(function* () {
        const current = slots[slot]
        // A worn-out worker is replaced only once nothing is in flight on it.
        if (current !== undefined && current.alive && (current.jobs < maxJobs || current.inFlight > 0)) return current
        current?.kill()
        const worker = new Worker(plan, slot, memoryBytes)
        slots[slot] = worker
        yield* Effect.tryPromise({
          try: () => worker.ready,
          catch: (e) => new SandboxError({ reason: `sandbox worker failed to start: ${e instanceof Error ? e.message : String(e)}` })
        }).pipe(
          Effect.timeoutFail({
            duration: "20 seconds",
            onTimeout: () => new SandboxError({ reason: "sandbox worker did not start within 20 s" })
          }),
          Effect.tapError(() => Effect.sync(() => worker.kill()))
        )
        return worker
      })

    // A worker killed while it starts (e.g. by an operator or the OOM killer) is started again.
    const ensure = (slot: number, memoryBytes: number) =>
      locks[slot]!.withPermits(1)(Effect.retry(start(slot, memoryBytes), { times: 5 }))

    const send = (worker: Worker, job: WireJob, watchdogMs: number) =>
      Effect.async<Outcome>((resume) => {
        worker.request(job, watchdogMs).then(
          (reply) => resume(Effect.succeed({ _tag: "reply", reply })),
          (e: unknown) => {
            const why = e instanceof WorkerDied ? (e.watchdog ? "watchdog" : "died") : "error"
            resume(Effect.succeed({ _tag: "lost", reason: `${why}: ${e instanceof Error ? e.message : String(e)}` }))
          }
        )
        // Interrupted while the job runs: the worker's state is unknown, so it goes.
        return Effect.sync(() => worker.kill())
      })

    /** Runs a job on some worker; a worker that dies under a job (not by our watchdog) gets one retry on a fresh worker. */
    const exec = (job: WireJob, watchdogMs: number): Effect.Effect<Outcome, SandboxError> =>
      Effect.gen(function* () {
        let last: Outcome = { _tag: "lost", reason: "not run" }
        for (let attempt = 0; attempt < 2; attempt++) {
          last = yield* permits.withPermits(1)(
            Effect.acquireUseRelease(
              pick,
              (slot) => Effect.flatMap(ensure(slot, job.lim.mem), (w) => send(w, job, watchdogMs)),
              (slot) => Effect.sync(() => load[slot]!--)
            )
          )
          if (last._tag === "reply" || last.reason.startsWith("watchdog")) return last
        }
        return last
      })

    // Warm every worker now: start-up failures surface here, and the first jobs do not pay for them.
    yield* Effect.forEach(slots, (_, i) => ensure(i, Limits.default.memoryBytes), { concurrency: "unbounded", discard: true })
    return { exec, slots }
  })

const wireTest = (test: Test): WireTest => {
  switch (test._tag) {
    case "call":
      return { k: "call", a: test.args }
    case "assert":
      return { k: "assert", s: test.source }
    case "stdio":
      return { k: "stdio", i: test.input }
  }
}

const wireLimits = (limits: Limits): WireLimits => ({
  test_s: limits.testTimeoutMs / 1000,
  total_s: limits.totalTimeoutMs / 1000,
  mem: limits.memoryBytes,
  out: limits.outputBytes
})

const isPyValue = Schema.is(PyValue)
const asPyValue = (v: unknown): PyValue => (isPyValue(v) ? v : { t: "unrepresentable", type: "malformed" })
const isStatus = Schema.is(VerdictStatus)

/** An expected value, the expression's own error, or `lost` when its evaluation was killed (not the test's fault). */
type Expected = { readonly v: PyValue } | { readonly e: string; readonly lost?: boolean | undefined }

const SEEN_MAX = 200

const verdictFor = (test: Test, r: WireResult, expected: Expected | undefined, atol: number | undefined): Verdict => {
  const ms = r.ms ?? 0
  if (r.s !== "ok") {
    const status = isStatus(r.s) && r.s !== "passed" ? r.s : "killed"
    return new Verdict({ status, ms, ...(r.e !== undefined ? { error: r.e } : {}) })
  }
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
      const seen = asPyValue(r.v)
      if (expected !== undefined && "e" in expected && expected.lost === true) {
        return new Verdict({ status: "killed", ms, error: expected.e })
      }
      if (expected === undefined || "e" in expected) {
        return new Verdict({ status: "failed", ms, seen: pyRepr(seen, SEEN_MAX), error: `expected value could not be evaluated: ${expected?.e ?? "missing"}` })
      }
      return pyEqual(expected.v, seen, toleranceFor(test.atol ?? atol))
        ? new Verdict({ status: "passed", ms })
        : new Verdict({ status: "failed", ms, seen: pyRepr(seen, SEEN_MAX) })
    }
  }
}

const lostVerdicts = (n: number, reason: string): Execution =>
  new Execution({
    compiled: true,
    verdicts: Array.from({ length: n }, () => new Verdict({ status: reason.startsWith("watchdog") ? "timeout" : "killed", ms: 0, error: reason })),
    passed: 0,
    total: n,
    ms: 0
  })

/** The real sandbox: a scoped pool of warm fork-server workers, isolated as far as the machine allows. */
export const make = (options: SandboxOptions = {}): Effect.Effect<Sandbox["Type"], SandboxError, Scope.Scope> =>
  Effect.gen(function* () {
    const plan = yield* detect(options)
    const workers = Math.max(1, options.workers ?? NodeOs.availableParallelism())
    const pool = yield* makePool(plan, workers, options.maxJobsPerWorker ?? 20_000)
    const expectedCache = new Map<string, Expected>()
    const expectedKey = (setup: string | undefined, expr: string) => sha256(`${setup ?? ""}\u0000${expr}`)
    /** A known expected value: cached, or a plain literal read in TypeScript (no Python needed). */
    const knownExpected = (setup: string | undefined, expr: string): Expected | undefined => {
      const key = expectedKey(setup, expr)
      const hit = expectedCache.get(key)
      if (hit !== undefined) return hit
      const literal = parsePyLiteral(expr)
      if (literal === undefined) return undefined
      const known = { v: literal }
      expectedCache.set(key, known)
      return known
    }
    const watchdogFor = (limits: Limits, withExpected: boolean) =>
      limits.totalTimeoutMs * (withExpected ? 2 : 1) + limits.testTimeoutMs + 5_000

    const run = (request: RunRequest): Effect.Effect<Execution, SandboxError> =>
      Effect.gen(function* () {
        const limits = request.limits ?? Limits.default
        const started = performance.now()
        const exprs = [
          ...new Set(
            request.tests
              .filter((t): t is Extract<Test, { _tag: "call" }> => t._tag === "call")
              .map((t) => t.expected)
              .filter((e) => knownExpected(request.setup, e) === undefined)
          )
        ]
        const job: WireJob = {
          kind: request.kind,
          code: request.code,
          setup: request.setup,
          entry: request.entryPoint,
          tests: request.tests.map(wireTest),
          exp: exprs,
          lim: wireLimits(limits)
        }
        const outcome = yield* pool.exec(job, watchdogFor(limits, exprs.length > 0))
        if (outcome._tag === "lost") return lostVerdicts(request.tests.length, outcome.reason)
        const reply = outcome.reply
        if (reply.error !== undefined) return yield* new SandboxError({ reason: reply.error })
        if (expectedCache.size > 100_000) expectedCache.clear()
        exprs.forEach((expr, i) => {
          const e = reply.exp[i]
          // Only values are cached: an evaluation that failed (e.g. timed out on a loaded machine) is retried next time.
          if (e !== undefined && e.v !== undefined) expectedCache.set(expectedKey(request.setup, expr), { v: asPyValue(e.v) })
        })
        const localExpected = new Map(exprs.map((expr, i) => [expr, reply.exp[i]] as const))
        const verdicts = request.tests.map((test, i) => {
          const r = reply.res[i] ?? { s: "killed", e: "no result" }
          let expected: Expected | undefined
          if (test._tag === "call") {
            expected = knownExpected(request.setup, test.expected)
            if (expected === undefined) {
              const e = localExpected.get(test.expected)
              expected = e?.v !== undefined ? { v: asPyValue(e.v) } : { e: e?.e ?? "not evaluated", lost: e?.lost }
            }
          }
          return verdictFor(test, r, expected, request.atol)
        })
        return new Execution({
          compiled: reply.compiled,
          verdicts,
          passed: verdicts.filter((v) => v.status === "passed").length,
          total: verdicts.length,
          ms: performance.now() - started
        })
      }).pipe(Effect.withSpan("sandbox.run", { attributes: { tests: request.tests.length, kind: request.kind } }))

    const call = (request: CallRequest): Effect.Effect<ReadonlyArray<CallOutcome>, SandboxError> =>
      Effect.gen(function* () {
        const limits = request.limits ?? Limits.default
        const job: WireJob = {
          kind: "function",
          code: request.code,
          setup: request.setup,
          entry: request.entryPoint,
          tests: request.argsList.map((a) => ({ k: "call", a })),
          lim: wireLimits(limits)
        }
        const outcome = yield* pool.exec(job, watchdogFor(limits, false))
        if (outcome._tag === "lost") {
          return request.argsList.map((): CallOutcome => ({ _tag: "error", status: outcome.reason.startsWith("watchdog") ? "timeout" : "killed", error: outcome.reason }))
        }
        if (outcome.reply.error !== undefined) return yield* new SandboxError({ reason: outcome.reply.error })
        return request.argsList.map((_, i): CallOutcome => {
          const r = outcome.reply.res[i] ?? { s: "killed", e: "no result" }
          if (r.s === "ok") return { _tag: "value", value: asPyValue(r.v) }
          const status = r.s === "timeout" || r.s === "compile_error" || r.s === "memory_exceeded" || r.s === "output_limit" || r.s === "runtime_error" ? r.s : "killed"
          return { _tag: "error", status, error: r.e ?? r.s }
        })
      }).pipe(Effect.withSpan("sandbox.call", { attributes: { calls: request.argsList.length } }))

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

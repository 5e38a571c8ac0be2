import { Execution, hashOf, sha256, Test } from "@o1coder/domain"
import { type CachedExecution, type ExecutionLogEntry, ExecutionsRepo } from "@o1coder/store/ExecutionsRepo"
import { Deferred, Effect, Layer, Option, Schema } from "effect"
import * as Batcher from "./Batcher.ts"
import { Limits, type RunRequest, Sandbox, SandboxError } from "./Sandbox.ts"

/**
 * The execution cache as a layer over any Sandbox: `run` results are stored in `executions` under
 * hash(code, suite, limits), and every request, cached or not, is logged with its purpose and
 * context in `execution_log`. Executions with a `killed` verdict (infrastructure, not the
 * candidate) are returned but never cached. `call` passes through.
 *
 *   CachedSandbox.layer.pipe(Layer.provide(SandboxLive), Layer.provide(ExecutionsRepo.Default))
 */

const encodeTests = Schema.encodeSync(Schema.Array(Test))
const encodeLimits = Schema.encodeSync(Limits)

/** The suite part of the execution key: everything but the code that decides the verdicts. */
export const suiteKey = (request: RunRequest): string => {
  // Completions scored against one suite share its tests array: its hash is computed once per form.
  const form = `${request.kind}\u0000${request.entryPoint ?? ""}\u0000${request.atol ?? ""}\u0000${request.stopAtFirstFailure === true}\u0000${request.captureStdout === true}\u0000${request.setup ?? ""}`
  // Runs with files are hashed each time (their files are not part of the form).
  if (request.files !== undefined || request.fetchFiles !== undefined) return computeSuiteHash(request)
  const known = suiteHashes.get(request.tests)
  const hit = known?.get(form)
  if (hit !== undefined) return hit
  const hash = computeSuiteHash(request)
  if (known !== undefined) known.set(form, hash)
  else suiteHashes.set(request.tests, new Map([[form, hash]]))
  return hash
}

const suiteHashes = new WeakMap<ReadonlyArray<Test>, Map<string, string>>()

const computeSuiteHash = (request: RunRequest): string =>
  hashOf({
    kind: request.kind,
    entryPoint: request.entryPoint ?? null,
    setup: request.setup ?? "",
    atol: request.atol ?? null,
    tests: encodeTests(request.tests),
    // A fast-scoring run has `not_run` verdicts where a full run has real ones: never the same entry.
    ...(request.stopAtFirstFailure === true ? { fast: true } : {}),
    // Only when set, so that keys of earlier executions stay what they were.
    // "always": stdout is kept also when the program raised or timed out (earlier entries kept it only on success).
    ...(request.captureStdout === true ? { captureStdout: "always" } : {}),
    ...(request.files !== undefined && Object.keys(request.files).length > 0 ? { files: request.files } : {}),
    ...(request.fetchFiles !== undefined && request.fetchFiles.length > 0 ? { fetchFiles: request.fetchFiles } : {})
  })

export const executionKey = (request: RunRequest): { readonly key: string; readonly codeHash: string; readonly suiteHash: string } => {
  const codeHash = sha256(request.code)
  const suite = suiteKey(request)
  const limits = encodeLimits(request.limits ?? Limits.default)
  // Per-test deadlines decide timeouts as the limits do (only when set: earlier keys stay what they were).
  const perTest = request.testLimitsMs !== undefined ? { testLimitsMs: request.testLimitsMs } : {}
  return { key: hashOf({ code: codeHash, suite, limits, ...perTest }), codeHash, suiteHash: suite }
}

/** Most rows in one lookup or one group commit (8 columns a row: far below Postgres' 65,535 parameters). */
const GROUP_MAX = 512

const storeError = (e: unknown) => new SandboxError({ reason: `execution cache: ${e instanceof Error ? e.message : String(e)}` })

export const make = Effect.gen(function* () {
  const inner = yield* Sandbox
  const repo = yield* ExecutionsRepo
  // The lookups and the writes of concurrent runs are grouped: one select for every key waiting, one
  // transaction for every result and log row waiting (a group commit; each run still returns only
  // after its own rows are committed). A round trip to Postgres per lookup and four per write (begin,
  // two inserts, commit) cost more than the run itself on a loaded machine.
  const lookups = yield* Batcher.make({
    max: GROUP_MAX,
    many: (keys: ReadonlyArray<string>) => Effect.map(repo.getMany([...new Set(keys)]), (found) => keys.map((k) => Option.fromNullable(found.get(k)))),
    one: (key: string) => repo.get(key)
  })
  type Write = { readonly entry: CachedExecution | undefined; readonly log: ExecutionLogEntry }
  const writes = yield* Batcher.make({
    max: GROUP_MAX,
    many: (items: ReadonlyArray<Write>) => Effect.as(repo.recordMany(items), items.map(() => undefined)),
    one: (item: Write) => repo.record(item.entry, item.log)
  })
  // Identical requests in flight at once (siblings with the same code, concurrent searches) share
  // one execution: the first claims the key, the others wait for its result.
  const inFlight = new Map<string, Deferred.Deferred<Execution, SandboxError>>()
  const claim = (key: string) =>
    Effect.fiberIdWith((fiberId) =>
      Effect.sync(() => {
        const existing = inFlight.get(key)
        if (existing !== undefined) return { owner: false, deferred: existing } as const
        const deferred = Deferred.unsafeMake<Execution, SandboxError>(fiberId)
        inFlight.set(key, deferred)
        return { owner: true, deferred } as const
      })
    )

  const run = (request: RunRequest): Effect.Effect<Execution, SandboxError> =>
    Effect.gen(function* () {
      const { codeHash, key, suiteHash } = executionKey(request)
      const logEntry = (hit: boolean) => ({
        key,
        purpose: request.purpose ?? "other",
        cached: hit,
        runId: request.context?.runId,
        searchId: request.context?.searchId,
        problemId: request.context?.problemId,
        rlRun: request.context?.rlRun,
        rlStep: request.context?.rlStep
      })
      const { deferred, owner } = yield* claim(key)
      if (!owner) {
        const shared = yield* Deferred.await(deferred)
        yield* Effect.mapError(writes.submit({ entry: undefined, log: logEntry(true) }), storeError)
        return shared
      }
      return yield* Effect.gen(function* () {
        const cached = yield* Effect.mapError(lookups.submit(key), storeError)
        if (Option.isSome(cached)) {
          yield* Effect.mapError(writes.submit({ entry: undefined, log: logEntry(true) }), storeError)
          return cached.value
        }
        const execution = yield* inner.run(request)
        // The result and its log row in one transaction: a kill between them cannot lose the row.
        const cacheable = !execution.verdicts.some((v) => v.status === "killed")
        yield* Effect.mapError(writes.submit({ entry: cacheable ? { key, codeHash, suiteHash, execution } : undefined, log: logEntry(false) }), storeError)
        return execution
      }).pipe(
        Effect.onExit((exit) =>
          Effect.zipRight(
            Effect.sync(() => inFlight.delete(key)),
            Deferred.done(deferred, exit)
          )
        )
      )
    }).pipe(Effect.withSpan("CachedSandbox.run", { attributes: { purpose: request.purpose ?? "other" } }))

  return Sandbox.of({ run, call: inner.call, info: inner.info })
})

/** Wraps the Sandbox it is given (provide the real one underneath) with the store's execution cache. */
export const layer: Layer.Layer<Sandbox, never, Sandbox | ExecutionsRepo> = Layer.scoped(Sandbox, make)

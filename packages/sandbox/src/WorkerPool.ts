import { Effect, ExecutionStrategy, Exit, Option, Ref, Schedule, Scope, STM, TArray, TRef } from "effect"
import type { SandboxError } from "./Sandbox.ts"
import type { WireJob, WireReply } from "./Wire.ts"
import type { Worker, WorkerLost } from "./Worker.ts"

/**
 * A fixed set of worker slots. Each job goes to the slot with the fewest jobs in flight (ties rotate), at
 * most `depth` per slot (the next job waits in the server's stdin while the current one runs), so a job
 * queues behind another (e.g. a candidate spending its deadline) only when every worker is busy. A slot's
 * worker is (re)started lazily when it is dead or worn out; a job lost because its worker died (not by
 * the watchdog) is retried once on a fresh one.
 *
 * Not `effect/Pool`: with `concurrency: 2` (two jobs per worker) it hands out the first item of its
 * available set, not the one with the fewest jobs in flight, so a job could wait in the stdin of a
 * worker whose candidate spends its deadline while the other worker is idle (`Channel.test.ts`
 * checks that it does not); with `concurrency: 1` the pipelining (the next job already in the
 * server's stdin while Node handles a reply) is lost.
 */
export type Outcome =
  | { readonly _tag: "reply"; readonly reply: WireReply }
  | { readonly _tag: "lost"; readonly reason: string; readonly watchdog: boolean; readonly signalled: boolean }

export interface WorkerPool {
  readonly exec: (job: WireJob, watchdogMs: number) => Effect.Effect<Outcome, SandboxError>
  /** The workers running now (tests and benchmarks read their processes). */
  readonly workers: Effect.Effect<ReadonlyArray<Worker>>
}

interface Slot {
  readonly current: Ref.Ref<Option.Option<{ readonly worker: Worker; readonly scope: Scope.CloseableScope }>>
  readonly lock: Effect.Semaphore
}

export const make = (options: {
  readonly size: number
  readonly depth: number
  readonly maxJobsPerWorker: number
  readonly start: (slot: number) => Effect.Effect<Worker, SandboxError, Scope.Scope>
}): Effect.Effect<WorkerPool, SandboxError, Scope.Scope> =>
  Effect.gen(function* () {
    const { depth, maxJobsPerWorker, size } = options
    const scope = yield* Effect.scope
    const loads = yield* STM.commit(TArray.fromIterable(Array.from({ length: size }, () => 0)))
    const turn = yield* STM.commit(TRef.make(0))
    const slots: ReadonlyArray<Slot> = yield* Effect.forEach(Array.from({ length: size }), () =>
      Effect.all({ current: Ref.make(Option.none<{ readonly worker: Worker; readonly scope: Scope.CloseableScope }>()), lock: Effect.makeSemaphore(1) })
    )

    const pick = STM.gen(function* () {
      const first = yield* TRef.get(turn)
      let best = -1
      let bestLoad = Infinity
      for (let k = 0; k < size; k++) {
        const i = (first + k) % size
        const load = yield* TArray.get(loads, i)
        if (load < bestLoad) [best, bestLoad] = [i, load]
      }
      if (bestLoad >= depth) return yield* STM.retry
      yield* TArray.update(loads, best, (n) => n + 1)
      yield* TRef.set(turn, (best + 1) % size)
      return best
    })
    const release = (slot: number) => STM.commit(TArray.update(loads, slot, (n) => n - 1))

    /** The slot's worker, started if there is none, it died, or it is worn out (and idle). */
    const ensure = (i: number): Effect.Effect<Worker, SandboxError> =>
      slots[i]!.lock.withPermits(1)(
        Effect.gen(function* () {
          const slot = slots[i]!
          const current = yield* Ref.get(slot.current)
          if (Option.isSome(current)) {
            const { worker } = current.value
            if ((yield* worker.alive) && ((yield* worker.jobs) < maxJobsPerWorker || (yield* worker.inFlight) > 0)) return worker
            yield* Scope.close(current.value.scope, Exit.void)
          }
          const start = Effect.gen(function* () {
            const child = yield* Scope.fork(scope, ExecutionStrategy.sequential)
            return yield* options.start(i).pipe(
              Scope.extend(child),
              Effect.map((worker) => ({ worker, scope: child })),
              Effect.tapError(() => Scope.close(child, Exit.void))
            )
          })
          // A worker killed while it starts (an operator, the OOM killer) is started again, for up to a minute.
          const started = yield* Effect.retry(start, Schedule.spaced("100 millis").pipe(Schedule.upTo("60 seconds")))
          yield* Ref.set(slot.current, Option.some(started))
          return started.worker
        })
      )

    // Only as many jobs as there are places wait in the STM choice: every release wakes each fiber that
    // retries there, so a batch of hundreds queued on it cost O(n²) transactions. The rest wait here (FIFO).
    const places = yield* Effect.makeSemaphore(size * depth)
    const attempt = (job: WireJob, watchdogMs: number): Effect.Effect<Outcome, SandboxError> =>
      places.withPermits(1)(Effect.acquireUseRelease(
        STM.commit(pick),
        (i) =>
          Effect.flatMap(ensure(i), (w) => w.request(job, watchdogMs)).pipe(
            Effect.map((reply): Outcome => ({ _tag: "reply", reply })),
            Effect.catchTag("WorkerLost", (e: WorkerLost) => Effect.succeed<Outcome>({ _tag: "lost", reason: e.reason, watchdog: e.watchdog, signalled: e.signalled }))
          ),
        release
      ))

    // A worker killed by SIGINT/SIGTERM from outside: Ctrl-C reached the process group, and this
    // process is interrupted a moment later; retrying at once would pay the execution twice.
    const exec = (job: WireJob, watchdogMs: number) =>
      Effect.flatMap(attempt(job, watchdogMs), (first) =>
        first._tag === "lost" && !first.watchdog
          ? Effect.zipRight(first.signalled ? Effect.sleep("3 seconds") : Effect.void, attempt(job, watchdogMs))
          : Effect.succeed(first)
      )

    // Warm every worker now: start-up failures surface here, and the first jobs do not pay for them.
    yield* Effect.forEach(slots, (_, i) => ensure(i), { concurrency: "unbounded", discard: true })

    const workers = Effect.map(
      Effect.forEach(slots, (s) => Ref.get(s.current)),
      (all) => all.flatMap((o) => (Option.isSome(o) ? [o.value.worker] : []))
    )
    return { exec, workers }
  })

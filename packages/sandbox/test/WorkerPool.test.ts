import { describe, expect, it } from "@effect/vitest"
import { Effect, Fiber, TestClock } from "effect"
import type { WireJob, WireReply } from "../src/Wire.ts"
import { WorkerLost, type Worker } from "../src/Worker.ts"
import * as WorkerPool from "../src/WorkerPool.ts"

/**
 * A job whose worker died: retried at once on a fresh worker, unless the worker died from
 * SIGINT/SIGTERM (Ctrl-C reaches the whole process group, this process is interrupted a moment
 * later): then the retry waits, and an interruption in that wait pays the execution only once.
 */
const poolOfFakeWorkers = (signalled: boolean) =>
  Effect.gen(function* () {
    let requests = 0
    const fake = (): Worker => ({
      name: "fake",
      pid: undefined,
      request: () =>
        Effect.suspend(() => {
          requests++
          return requests === 1
            ? Effect.fail(new WorkerLost({ reason: "exited (SIGINT)", watchdog: false, signalled }))
            : Effect.succeed({ ok: true } as unknown as WireReply)
        }),
      alive: Effect.succeed(true),
      inFlight: Effect.succeed(0),
      jobs: Effect.succeed(requests),
      kill: Effect.void
    })
    const pool = yield* WorkerPool.make({ size: 1, depth: 1, maxJobsPerWorker: 100, start: () => Effect.sync(fake) })
    return { pool, requests: () => requests }
  })

const job = {} as WireJob

describe("WorkerPool after a worker's death", () => {
  it.scoped("retries at once when the worker died by itself", () =>
    Effect.gen(function* () {
      const { pool, requests } = yield* poolOfFakeWorkers(false)
      const outcome = yield* pool.exec(job, 1000)
      expect(outcome._tag).toBe("reply")
      expect(requests()).toBe(2)
    }))

  it.scoped("waits before retrying when Ctrl-C killed it; interrupted meanwhile, the job ran once", () =>
    Effect.gen(function* () {
      const { pool, requests } = yield* poolOfFakeWorkers(true)
      const fiber = yield* Effect.fork(pool.exec(job, 1000))
      yield* TestClock.adjust("1 second")
      expect(requests()).toBe(1)
      yield* Fiber.interrupt(fiber)
      expect(requests()).toBe(1)
      // Not interrupted (only the worker was signalled): the job is retried after the wait.
      const again = yield* poolOfFakeWorkers(true)
      const later = yield* Effect.fork(again.pool.exec(job, 1000))
      yield* TestClock.adjust("5 seconds")
      expect((yield* Fiber.join(later))._tag).toBe("reply")
      expect(again.requests()).toBe(2)
    }))
})

import * as NodeFs from "node:fs"
import { Worker } from "node:worker_threads"

/**
 * A guard for synchronous code that can block the event loop for good (PGlite's wasm spinning in
 * `XLogFlush` after a failed WAL write, issue 21): nothing in JavaScript runs then, not Effect's
 * interruption, not a SIGINT handler, not a timer. A worker thread (its own event loop) watches a
 * heartbeat the main thread writes into shared memory. When calls made through `track` are in
 * flight and the heartbeat has stood still for `limitMillis`, the worker stops the blocked JavaScript
 * through the inspector (`Runtime.terminateExecution`, which V8 honours inside wasm loops too), and
 * the main thread, free again, calls `onStall`. The terminated code's pending promise callbacks are
 * lost with it, so `onStall` must end the process (it runs as plain JavaScript, outside Effect).
 * If the main thread stays blocked even then, the worker writes `message` and kills the process.
 */
export interface StallWatchdog {
  /** `f`'s promise, counted as in flight until it settles. */
  readonly track: <A>(f: () => Promise<A>) => Promise<A>
  /** Stops the heartbeat and the worker. */
  readonly stop: () => void
}

export interface StallWatchdogOptions {
  readonly limitMillis: number
  /** Said on stderr by the worker if the main thread cannot be freed; `onStall` says its own. */
  readonly message: string
  /** Called on the main thread once it is free again after a stall; must end the process. */
  readonly onStall: (blockedMillis: number) => void
}

// Shared slots: 0 heartbeat counter, 1 calls in flight.
const WORKER = `
const { workerData, parentPort } = require("node:worker_threads")
const { writeSync } = require("node:fs")
const { Session } = require("node:inspector")
const { shared, limitMillis, message } = workerData
let beat = Atomics.load(shared, 0)
let still = Date.now()
let fired = 0
setInterval(() => {
  const now = Date.now()
  const b = Atomics.load(shared, 0)
  if (b !== beat || Atomics.load(shared, 1) === 0) {
    beat = b
    still = now
    return
  }
  if (fired === 0 && now - still >= limitMillis) {
    fired = now
    const session = new Session()
    session.connectToMainThread()
    session.post("Runtime.terminateExecution", () => {
      session.disconnect()
      parentPort.postMessage(now - still)
    })
  } else if (fired !== 0 && now - fired >= Math.max(5000, limitMillis)) {
    writeSync(2, message + "\\n")
    process.kill(process.pid, "SIGKILL")
  }
}, Math.max(50, Math.min(500, limitMillis / 4)))
`

export const start = (options: StallWatchdogOptions): StallWatchdog => {
  const shared = new Int32Array(new SharedArrayBuffer(8))
  const worker = new Worker(WORKER, { eval: true, workerData: { shared, limitMillis: options.limitMillis, message: options.message } })
  worker.unref()
  worker.on("message", (blocked: number) => options.onStall(blocked))
  // A worker that cannot start leaves the program unguarded, not broken.
  worker.on("error", (error) => NodeFs.writeSync(2, `warning: the stall watchdog stopped: ${error.message}\n`))
  const heartbeat = setInterval(() => Atomics.add(shared, 0, 1), Math.max(20, Math.min(250, options.limitMillis / 8)))
  heartbeat.unref()
  return {
    track: <A>(f: () => Promise<A>): Promise<A> => {
      Atomics.add(shared, 1, 1)
      const done = () => void Atomics.sub(shared, 1, 1)
      let promise: Promise<A>
      try {
        promise = f()
      } catch (error) {
        done()
        throw error
      }
      return promise.finally(done)
    },
    stop: () => {
      clearInterval(heartbeat)
      void worker.terminate()
    }
  }
}

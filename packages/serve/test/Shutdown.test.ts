import { describe, expect, it } from "@effect/vitest"
import { TestDatabase } from "@o1coder/store"
import { Effect } from "effect"
import * as NodeNet from "node:net"
import { exited, fence, startServer } from "./fixtures.ts"

/**
 * SIGTERM to `o1coder serve` (its own process, on 127.0.0.1) while requests are in flight: the
 * server stops accepting connections, every request in flight still gets its real answer (not an
 * error, not a reset), and the process then exits 0 by itself.
 */

const IN_FLIGHT = 4

/** A completion whose one test sleeps, so that it is still running when the signal comes. */
const slow = (i: number) => ({
  completion: fence(`import time\ndef slow(x):\n    if x == 1:\n        time.sleep(5)\n    return x + ${i}`),
  problem: { kind: "function", entry_point: "slow", tests: [`assert slow(1) == ${1 + i}`, `assert slow(2) == ${i}`] }
})

/** Whether a new TCP connection to the server is refused. */
const refused = (url: string) =>
  new Promise<boolean>((resolve) => {
    const { hostname, port } = new URL(url)
    const socket = NodeNet.connect({ host: hostname, port: Number(port) })
    socket.once("connect", () => (socket.destroy(), resolve(false)))
    socket.once("error", (e: NodeJS.ErrnoException) => resolve(e.code === "ECONNREFUSED"))
  })

describe("o1coder serve: graceful shutdown", () => {
  it.live("SIGTERM: new connections refused, the requests in flight answered in full, exit 0", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const { url: databaseUrl } = yield* TestDatabase.freshPostgresUrl
        const server = yield* startServer(databaseUrl, ["--workers", "2"])
        yield* Effect.addFinalizer(() => Effect.sync(() => server.child.kill("SIGKILL")))

        const answered: Array<boolean> = Array.from({ length: IN_FLIGHT }, () => false)
        const requests = Array.from({ length: IN_FLIGHT }, (_, i) =>
          fetch(`${server.url}/v1/reward`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ run: "shutdown", test_timeout_ms: 50_000, completions: [slow(i)] })
          }).then(async (r) => {
            const body: any = await r.json()
            answered[i] = true
            return { status: r.status, body }
          })
        )
        // Every request admitted (the queue holds one unit per completion) before the signal.
        let queued = 0
        for (let polls = 0; polls < 600 && queued < IN_FLIGHT; polls++) {
          queued = yield* Effect.promise(() => fetch(`${server.url}/ready`).then((r) => r.json()).then((b: any) => b.queued as number))
          if (queued < IN_FLIGHT) yield* Effect.sleep("50 millis")
        }
        expect(queued).toBe(IN_FLIGHT)

        server.child.kill("SIGTERM")
        let closed = false
        for (let polls = 0; polls < 600 && !closed; polls++) {
          closed = yield* Effect.promise(() => refused(server.url))
          if (!closed) yield* Effect.sleep("20 millis")
        }
        expect(closed).toBe(true)
        // The listener is gone while every request is still running (each sleeps 5 s in its first test) ...
        expect(answered.filter((a) => a).length).toBe(0)

        // ... and each gets its real answer: the first test passes, the second fails.
        const results = yield* Effect.promise(() => Promise.all(requests))
        expect(results.map((r) => r.status)).toEqual(Array.from({ length: IN_FLIGHT }, () => 200))
        expect(results.map((r) => r.body.results.map((x: any) => x.verdicts.map((v: any) => v.status)))).toEqual(
          Array.from({ length: IN_FLIGHT }, () => [["passed", "failed"]])
        )
        expect(results.map((r) => r.body.results[0].reward)).toEqual(Array.from({ length: IN_FLIGHT }, () => 0.5))

        yield* Effect.promise(() => exited(server.child))
        expect({ code: server.child.exitCode, signal: server.child.signalCode }).toEqual({ code: 0, signal: null })
      })
    ), 180_000)
})

import * as SqlClient from "@effect/sql/SqlClient"
import { describe, expect, it } from "@effect/vitest"
import { Database, TestDatabase } from "@o1coder/store"
import { Effect, Redacted } from "effect"
import { spawn } from "node:child_process"
import * as NodeFs from "node:fs"
import { fileURLToPath } from "node:url"
import { exited, startServer } from "./fixtures.ts"

/**
 * `o1coder serve` under load from other processes (bounded: 8 clients for 10 s, 10% hostile
 * completions, traffic on 127.0.0.1 only): every answer right, none lost, p50/p99 reported, RSS
 * bounded, 429 when the queue is full, a sandbox worker SIGKILLed mid-load costing only a retry;
 * then kill -9 of the server mid-load and a restart: the repeated requests come from the execution
 * cache and the store holds each execution once.
 */

const SERVE_ARGS = ["--workers", "2", "--queue", "24", "--max-batch", "16"]
const CLIENT = fileURLToPath(new URL("./load-client.mjs", import.meta.url))
const CLIENTS = Number(process.env.O1CODER_LOAD_CLIENTS ?? 8)
const SECONDS = Number(process.env.O1CODER_LOAD_SECONDS ?? 10)

const runClient = (args: ReadonlyArray<string>) =>
  Effect.promise(
    () =>
      new Promise<any>((resolve) => {
        const child = spawn(process.execPath, [CLIENT, ...args], { stdio: ["ignore", "pipe", "inherit"] })
        let out = ""
        child.stdout.on("data", (d) => (out += d))
        child.on("close", () => resolve(JSON.parse(out.trim().split("\n").at(-1)!)))
      })
  )

/** A process's descendants (from /proc), for its sandbox workers. */
const descendants = (pid: number): ReadonlyArray<number> => {
  const parents = new Map<number, Array<number>>()
  for (const d of NodeFs.readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    try {
      const ppid = Number(NodeFs.readFileSync(`/proc/${d}/stat`, "utf8").split(") ")[1]!.split(" ")[1])
      parents.set(ppid, [...(parents.get(ppid) ?? []), Number(d)])
    } catch {
      // gone
    }
  }
  const out: Array<number> = []
  const walk = (p: number) => (parents.get(p) ?? []).forEach((c) => (out.push(c), walk(c)))
  walk(pid)
  return out
}
const workerServers = (pid: number) =>
  descendants(pid).filter((p) => {
    try {
      return NodeFs.readFileSync(`/proc/${p}/cmdline`, "utf8").includes("from o1c.server import main")
    } catch {
      return false
    }
  })
const rssMiB = (pid: number) => {
  try {
    return Number(NodeFs.readFileSync(`/proc/${pid}/status`, "utf8").match(/VmRSS:\s+(\d+)/)![1]) / 1024
  } catch {
    return 0
  }
}

describe("o1coder serve under load (a second process)", () => {
  it.live("no lost or wrong answers, 429 when full, a killed worker costs a retry; kill -9 and restart: served from the cache", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const { url: databaseUrl } = yield* TestDatabase.freshPostgresUrl
        const first = yield* startServer(databaseUrl, SERVE_ARGS)
        yield* Effect.addFinalizer(() => Effect.sync(() => first.child.kill("SIGKILL")))
        const warm = yield* runClient([first.url, "once", "load-warm"])
        expect(warm).toMatchObject({ status: 200, wrong: 0 })

        // Load, with the server's RSS sampled and one sandbox worker SIGKILLed after 3 s.
        const rss: Array<number> = []
        const sampler = setInterval(() => rss.push(rssMiB(first.child.pid!)), 250)
        let killed = 0
        const killer = setTimeout(() => {
          const victim = workerServers(first.child.pid!)[0]
          if (victim !== undefined) {
            process.kill(victim, "SIGKILL")
            killed++
          }
        }, 3000)
        const load = yield* runClient([first.url, String(CLIENTS), String(SECONDS), "load-1"])
        clearInterval(sampler)
        clearTimeout(killer)
        console.log(
          `serve load: ${CLIENTS} clients x ${SECONDS} s: ${load.answered} answered (${load.completions} completions, ${load.hostile} hostile), ` +
            `${load.rejected} rejected 429, ${load.lost} lost, ${load.wrong} wrong; p50 ${load.p50.toFixed(0)} ms p99 ${load.p99.toFixed(0)} ms; ` +
            `server RSS max ${Math.max(...rss).toFixed(0)} MiB; worker SIGKILLs ${killed}`
        )
        expect(load.errors).toEqual([])
        expect(load).toMatchObject({ wrong: 0, lost: 0 })
        expect(load.answered).toBeGreaterThan(10)
        expect(load.hostile).toBeGreaterThan(0)
        expect(load.rejected).toBeGreaterThan(0) // 8 clients x 4 completions > a queue of 24
        expect(killed).toBe(1)
        expect(Math.max(...rss)).toBeLessThan(1024)
        const metrics = yield* Effect.promise(() => fetch(`${first.url}/metrics`).then((r) => r.text()))
        expect(metrics).toMatch(/o1coder_serve_requests_total\{route="\/v1\/reward",status="429"\} \d+/)

        // kill -9 mid-load, then a restart on the same store.
        const during = runClient([first.url, "4", "4", "load-2"])
        const fiber = yield* Effect.fork(during)
        yield* Effect.sleep("1500 millis")
        first.child.kill("SIGKILL")
        yield* Effect.promise(() => exited(first.child))
        yield* fiber.await
        const second = yield* startServer(databaseUrl, SERVE_ARGS)
        const again = yield* runClient([second.url, "once", "load-3"])
        expect(again).toEqual({ ...warm })
        second.child.kill("SIGTERM") // graceful: drains, then exits
        yield* Effect.promise(() => exited(second.child))
        // It exited by itself (a service stopped cleanly: 0), not by the signal's default action.
        expect({ code: second.child.exitCode, signal: second.child.signalCode }).toEqual({ code: 0, signal: null })

        const counts = yield* Effect.gen(function* () {
          const sql = yield* SqlClient.SqlClient
          // Executions the warm-up stored (all but the completion that SIGKILLs itself: `killed` is never cached).
          const stored = yield* sql<{ n: number }>`select count(distinct l.execution_key)::int as n from execution_log l
            where l.rl_run = 'load-warm' and exists (select 1 from executions e where e.key = l.execution_key)`
          // After the restart, none of them ran again.
          const rerun = yield* sql<{ n: number }>`select count(*)::int as n from execution_log l
            where l.rl_run = 'load-3' and not l.cached
              and l.execution_key in (select execution_key from execution_log where rl_run = 'load-warm')
              and exists (select 1 from executions e where e.key = l.execution_key and e.created_at < (select min(at) from execution_log where rl_run = 'load-3'))`
          const logged = yield* sql<{ n: number }>`select count(distinct execution_key)::int as n from execution_log where rl_run = 'load-3'`
          const executions = yield* sql<{ n: number; keys: number }>`select count(*)::int as n, count(distinct key)::int as keys from executions`
          return { stored: stored[0]!.n, rerun: rerun[0]!.n, logged: logged[0]!.n, executions: executions[0]! }
        }).pipe(Effect.provide(Database.layer({ _tag: "Postgres", url: Redacted.make(databaseUrl) })))
        expect(counts.stored).toBe(10)
        expect(counts.rerun).toBe(0)
        expect(counts.logged).toBe(11)
        expect(counts.executions.n).toBe(counts.executions.keys)
      })
    ), 240_000)
})

import { describe, expect, it } from "@effect/vitest"
import * as TestDatabase from "@o1coder/store/TestDatabase"
import { Effect } from "effect"
import * as ChildProcess from "node:child_process"
import * as NodeFs from "node:fs"
import * as NodeOs from "node:os"
import * as NodePath from "node:path"
import * as SqlClient from "@effect/sql/SqlClient"
import { Database } from "@o1coder/store"
import { Redacted } from "effect"
import { makeRng } from "../src/Rng.ts"

const CHILD = NodePath.join(import.meta.dirname, "kill-child.ts")
const ROOT = NodePath.resolve(import.meta.dirname, "../../..")

/** Starts the child; resolves with its exit when it ends, or kills it with SIGKILL after `killAfterLines` progress lines + `extraMs`. */
const runChild = (url: string, logFile: string, kill?: { readonly afterLines: number; readonly extraMs: number }) =>
  new Promise<{ readonly code: number | null; readonly signal: string | null; readonly lines: number; readonly stderr: string }>((resolve) => {
    const child = ChildProcess.spawn(process.execPath, ["--import", "tsx", CHILD, url, logFile], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] })
    let lines = 0
    let stderr = ""
    let armed = false
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      lines += chunk.split("\n").filter((l) => l.startsWith("progress")).length
      if (kill !== undefined && !armed && lines >= kill.afterLines) {
        armed = true
        setTimeout(() => child.kill("SIGKILL"), kill.extraMs)
      }
    })
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk))
    child.on("exit", (code, signal) => resolve({ code, signal, lines, stderr }))
  })

const query = <A extends object>(url: string, text: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) => sql.unsafe<A>(text)).pipe(
    Effect.provide(
      Database.layer(url.startsWith("pglite:") ? { _tag: "Pglite", dataDir: url.slice("pglite:".length) } : { _tag: "Postgres", url: Redacted.make(url) })
    ),
    Effect.orDie
  )

const countLines = (file: string, word: string) =>
  NodeFs.existsSync(file) ? NodeFs.readFileSync(file, "utf8").split("\n").filter((l) => l === word).length : 0

const databases = {
  postgres: Effect.map(TestDatabase.freshPostgresUrl, (db) => db.url),
  // the default store: embedded PGlite in a data directory (one process at a time)
  pglite: Effect.sync(() => `pglite:${NodeFs.mkdtempSync(NodePath.join(NodeOs.tmpdir(), "o1-kill-pglite-"))}`)
}

describe("kill test", () => {
  for (const [backend, fresh] of Object.entries(databases)) it.live(
    `a search SIGKILLed at random points and resumed ends with the uninterrupted tree and pays nothing twice (${backend})`,
    () =>
      Effect.gen(function* () {
        const seed = Number(process.env.O1_KILL_SEED ?? Date.now() % 1_000_000)
        console.log(`kill test (${backend}) seed: ${seed} (set O1_KILL_SEED=${seed} to repeat)`)
        const rng = makeRng("kill-test", seed)
        const whole = { url: yield* fresh }
        const killed = { url: yield* fresh }
        const dir = NodeFs.mkdtempSync(NodePath.join(NodeOs.tmpdir(), "o1-kill-"))
        const wholeLog = NodePath.join(dir, "whole.log")
        const killedLog = NodePath.join(dir, "killed.log")

        const reference = yield* Effect.promise(() => runChild(whole.url, wholeLog))
        expect(reference.stderr).toBe("")
        expect(reference.code).toBe(0)
        const totalLines = reference.lines // 3 searches × 20 rollouts

        let kills = 0
        for (let attempt = 0; attempt < (backend === "postgres" ? 4 : 3); attempt++) {
          const done = (yield* query<{ n: number }>(killed.url, "select coalesce(sum(rollouts_done), 0)::int as n from searches"))[0]!.n
          const afterLines = rng.int(Math.max(1, totalLines - done))
          const extraMs = rng.int(40)
          const run = yield* Effect.promise(() => runChild(killed.url, killedLog, { afterLines, extraMs }))
          console.log(`kill ${attempt}: after ${afterLines} progress lines + ${extraMs} ms -> ${run.signal ?? `exit ${run.code}`}`)
          if (run.signal === "SIGKILL") kills++
        }
        const last = yield* Effect.promise(() => runChild(killed.url, killedLog))
        expect(last.code).toBe(0)
        expect(kills).toBeGreaterThan(0)

        const nodesSql = `select id, search_id, parent_id, seq, depth, action, body, code, terminal, visits, value_sum, reward, passed, total, prior
                          from nodes order by search_id, seq`
        const a = yield* query<Record<string, unknown>>(whole.url, nodesSql)
        const b = yield* query<Record<string, unknown>>(killed.url, nodesSql)
        expect(a.length).toBeGreaterThan(60)
        expect(b).toEqual(a)
        const searchesSql = `select id, status, rollouts_done, best_node_id, tokens, model_calls, executions from searches order by id`
        expect(yield* query<Record<string, unknown>>(killed.url, searchesSql)).toEqual(yield* query<Record<string, unknown>>(whole.url, searchesSql))

        // Nothing paid twice: the same recorded samples and cached executions; backend calls and real
        // executions repeat only when a kill fell between paying and recording (at most one per kill).
        const countsSql = `select (select count(*) from model_calls)::int as calls, (select count(*) from executions)::int as executions`
        const countsA = (yield* query<{ calls: number; executions: number }>(whole.url, countsSql))[0]!
        const countsB = (yield* query<{ calls: number; executions: number }>(killed.url, countsSql))[0]!
        expect(countsB).toEqual(countsA)
        const [modelA, modelB] = [countLines(wholeLog, "model"), countLines(killedLog, "model")]
        const [execA, execB] = [countLines(wholeLog, "execution"), countLines(killedLog, "execution")]
        console.log(`backend model requests: uninterrupted ${modelA}, killed ${kills}x + resumed ${modelB}; real executions: ${execA} vs ${execB}`)
        expect(modelB).toBeGreaterThanOrEqual(modelA)
        expect(modelB - modelA).toBeLessThanOrEqual(kills)
        expect(execB - execA).toBeLessThanOrEqual(kills * 3)
        NodeFs.rmSync(dir, { recursive: true, force: true })
        for (const db of [whole, killed]) if (db.url.startsWith("pglite:")) NodeFs.rmSync(db.url.slice(7), { recursive: true, force: true })
      }).pipe(Effect.scoped),
    300_000
  )
})

import { encodeConfig, runIdFor } from "@o1coder/selfplay/RunConfig"
import * as Demo from "@o1coder/selfplay/Demo"
import { spawnSync } from "node:child_process"
import * as NodeFs from "node:fs"
import * as NodeOs from "node:os"
import * as NodePath from "node:path"
import { describe, expect, it } from "vitest"
import { runCli, startCli, withPglite } from "./helpers.ts"

/**
 * PGlite whose data directory becomes unwritable mid-search (`chattr -R +i`, issue 21): the run
 * fails within seconds with a clear message naming the data directory and exit code 75 (no hang: a
 * PGlite instance after a storage error takes no statement again, PGlite's own Sync after the failed
 * statement included, which used to spin in its wasm's `XLogFlush` for good; and a statement that
 * blocks the program anyway is ended by the stall watchdog, here after 10 s), and once the directory
 * is writable again its resume gives the trees of an uninterrupted run.
 */

const chattr = (flag: "+i" | "-i", path: string) => spawnSync("chattr", ["-R", flag, path]).status === 0

const probe = NodeFs.mkdtempSync(NodePath.join(NodeOs.tmpdir(), "o1-chattr-"))
const immutable = chattr("+i", probe)
chattr("-i", probe)
NodeFs.rmSync(probe, { recursive: true, force: true })
if (!immutable) console.log(`storage error test skipped: chattr +i needs root and a filesystem that supports it (${NodeOs.tmpdir()})`)

describe.skipIf(!immutable)("PGlite on an unwritable data directory", () => {
  it("fails within seconds with a clear error, and the resume matches an uninterrupted run", { timeout: 360_000 }, async () => {
    const root = NodeFs.mkdtempSync(NodePath.join(NodeOs.tmpdir(), "o1-storage-"))
    const demo = Demo.config(root, { name: "storage", limit: 3, rollouts: 3, maxDepth: 3, rounds: 1, workDir: "work" })
    const config = { ...demo, search: { ...demo.search, testSeconds: 5, programSeconds: 20 } }
    const configFile = NodePath.join(root, "storage.json")
    NodeFs.writeFileSync(configFile, JSON.stringify(encodeConfig(config), null, 1))
    const runId = runIdFor(config)
    const dirOf = (name: string) => {
      const dir = NodePath.join(root, name)
      NodeFs.mkdirSync(dir)
      const env = { O1CODER_DATA_DIR: NodePath.join(dir, "db"), O1CODER_STAGE_MARKERS: "1", O1CODER_PGLITE_STALL_LIMIT: "10 seconds" }
      return { cwd: dir, db: NodePath.join(dir, "db"), env }
    }
    const nodes = (db: string) =>
      withPglite(db, (sql) =>
        sql.unsafe(`select s.problem_id, n.seq, n.parent_id, n.depth, n.action, n.body, n.code, n.terminal, n.visits, n.value_sum, n.reward, n.passed, n.total
          from nodes n join searches s on s.id = n.search_id where s.run_id = $1 order by s.problem_id, n.seq`, [runId])
      )

    const ref = dirOf("reference")
    const reference = await runCli(["run", "--config", configFile], { cwd: ref.cwd, env: ref.env })
    expect(reference.code, reference.stderr.slice(-3000)).toBe(0)

    const broken = dirOf("broken")
    let frozenAt: number | undefined
    const { child, done } = startCli(["run", "--config", configFile], {
      cwd: broken.cwd,
      env: broken.env,
      onStderrLine: (line) => {
        if (frozenAt === undefined && line === "@o1coder progress r1 search 1/3") {
          expect(chattr("+i", broken.db)).toBe(true)
          frozenAt = Date.now()
        }
      }
    })
    // Bounded: a run that hangs again is killed (and the test fails on its exit code) instead of outliving the test.
    const guard = setTimeout(() => child.kill("SIGKILL"), 150_000)
    const result = await done.finally(() => clearTimeout(guard))
    const seconds = frozenAt === undefined ? undefined : (Date.now() - frozenAt) / 1000
    expect(chattr("-i", broken.db)).toBe(true)
    const stalled = result.stderr.includes("stopped responding")
    console.log(`storage error: exit ${result.code} ${seconds?.toFixed(1)} s after the data directory became unwritable (${stalled ? "stall watchdog" : "storage error seen"})`)
    expect(frozenAt, "the run ended before its search").toBeDefined()
    expect(result.code, result.stderr.slice(-3000)).toBe(75)
    expect(result.stderr).toContain(`PGlite at ${broken.db}`)
    expect(result.stderr).toMatch(stalled ? /stopped responding[^]*npx o1coder resume/ : new RegExp(`the database's storage failed: [^]*npx o1coder resume ${runId}`))
    // "Within seconds": generous for a loaded machine, far from the old hang (no end until SIGKILL).
    expect(seconds!).toBeLessThan(30)

    const resumed = await runCli(["resume", runId], { cwd: broken.cwd, env: broken.env })
    expect(resumed.code, resumed.stderr.slice(-3000)).toBe(0)
    expect(await nodes(broken.db)).toEqual(await nodes(ref.db))
    NodeFs.rmSync(root, { recursive: true, force: true })
  })
})

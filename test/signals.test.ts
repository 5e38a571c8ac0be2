import { encodeConfig, runIdFor } from "@o1coder/selfplay/RunConfig"
import * as Demo from "@o1coder/selfplay/Demo"
import * as NodeFs from "node:fs"
import * as NodeOs from "node:os"
import * as NodePath from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { runCli, startCli, withPglite, type CliResult } from "./helpers.ts"

/**
 * Ctrl-C at random moments of a small run (issue 21): the exit code is always 130 (interrupted,
 * resumable), never 0 and never a crash; once while the mutator's Python helper runs, with the
 * signal sent to the whole process group as a terminal does.
 */

const SEED = Number(process.env.O1CODER_SIGNAL_SEED ?? Date.now() % 100_000)
const TIMES = 10

const rng = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}

let root = ""
let template = ""
let configFile = ""
let runId = ""

beforeAll(async () => {
  root = NodeFs.mkdtempSync(NodePath.join(NodeOs.tmpdir(), "o1-signals-"))
  const demo = Demo.config(root, { name: "signals", limit: 2, rollouts: 2, maxDepth: 3, rounds: 2, workDir: "work" })
  const config = { ...demo, tests: { ...demo.tests, mutants: 4 } }
  configFile = NodePath.join(root, "signals.json")
  NodeFs.writeFileSync(configFile, JSON.stringify(encodeConfig(config), null, 1))
  runId = runIdFor(config)
  template = NodePath.join(root, "template-db")
  const migrated = await runCli(["db", "migrate"], { env: { O1CODER_DATA_DIR: template } })
  expect(migrated.code, migrated.stderr).toBe(0)
}, 120_000)

afterAll(() => NodeFs.rmSync(root, { recursive: true, force: true }))

const fresh = (name: string) => {
  const dir = NodePath.join(root, name)
  NodeFs.mkdirSync(dir)
  NodeFs.cpSync(template, NodePath.join(dir, "db"), { recursive: true })
  return { cwd: dir, env: { O1CODER_DATA_DIR: NodePath.join(dir, "db"), O1CODER_STAGE_MARKERS: "1" } }
}

/**
 * Exit 130, or death by SIGINT before the CLI installed its handler (start-up): a shell reports
 * both as $? = 130. Neither an unhandled error nor a stack trace.
 */
const expectCleanInterrupt = (r: CliResult, what: string) => {
  expect(r.code === 130 || (r.code === null && r.signal === "SIGINT"), `${what}: exit ${r.code} (${r.signal})\n${r.stderr.slice(-2000)}`).toBe(true)
  expect(r.stderr, what).not.toMatch(/EPIPE|Unhandled|\n\s+at /)
}

const statusOf = (dir: string) =>
  withPglite(NodePath.join(dir, "db"), (sql) => sql.unsafe<{ status: string }>(`select status from runs where id = $1`, [runId]))

/** The pids of `parent`'s child processes whose command line contains `needle`. */
const childrenWith = (parent: number, needle: string) =>
  NodeFs.readdirSync("/proc").filter((p) => /^\d+$/.test(p)).filter((p) => {
    try {
      const stat = NodeFs.readFileSync(`/proc/${p}/stat`, "utf8")
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1])
      return ppid === parent && NodeFs.readFileSync(`/proc/${p}/cmdline`, "utf8").includes(needle)
    } catch {
      return false
    }
  })

describe("Ctrl-C", () => {
  it(`exits 130 at random moments, never 0, never a crash (seed ${SEED})`, { timeout: 240_000 }, async () => {
    console.log(`signal test seed: ${SEED} (replay with O1CODER_SIGNAL_SEED=${SEED})`)
    const random = rng(SEED)
    const { cwd, env } = fresh("random")
    let interrupted = 0
    let handled = 0
    for (let i = 0; i < TIMES; i++) {
      // Every other one from the start (start-up, migrations), the others once the run is under way.
      const fromStart = i % 2 === 0
      const delay = fromStart ? 300 + Math.floor(random() * 3500) : Math.floor(random() * 3000)
      let sent = false
      let timer: ReturnType<typeof setTimeout> | undefined
      const arm = (child: import("node:child_process").ChildProcess) => {
        timer ??= setTimeout(() => {
          sent = child.exitCode === null && child.kill("SIGINT")
        }, delay)
      }
      // `run` starts the run, or continues it.
      const { child, done } = startCli(["run", "--config", configFile], {
        cwd,
        env,
        onStderrLine: (line, c) => (!fromStart && line.startsWith("@o1coder ") ? arm(c) : undefined)
      })
      if (fromStart) arm(child)
      const r = await done
      clearTimeout(timer)
      const when = `${fromStart ? "start" : "first stage"} +${delay} ms`
      console.log(`SIGINT ${i + 1} at ${when}: ${sent ? `exit ${r.code ?? r.signal}` : `not sent, the run ended first (exit ${r.code})`}`)
      if (!sent) {
        expect(r.code, r.stderr.slice(-2000)).toBe(0)
        break
      }
      expectCleanInterrupt(r, `SIGINT ${i + 1} at ${when}`)
      interrupted++
      if (r.code === 130) handled++
      const rows = await statusOf(cwd)
      if (rows.length > 0) expect(rows[0]!.status).not.toBe("completed")
    }
    expect(interrupted).toBeGreaterThanOrEqual(5)
    expect(handled, "SIGINTs that reached the CLI's handler").toBeGreaterThanOrEqual(3)
    const final = await runCli(["run", "--config", configFile], { cwd, env })
    expect(final.code, final.stderr.slice(-2000)).toBe(0)
    expect((await statusOf(cwd))[0]!.status).toBe("completed")
  })

  it("exits 130 when the process group gets SIGINT while the mutator's Python helper runs", { timeout: 120_000 }, async () => {
    const { cwd, env } = fresh("mutator")
    let caught = false
    const { child, done } = startCli(["run", "--config", configFile], { cwd, env, detached: true })
    const poll = setInterval(() => {
      if (caught || child.pid === undefined || childrenWith(child.pid, "code_tools.py").length === 0) return
      caught = true
      process.kill(-child.pid, "SIGINT")
    }, 2)
    const r = await done
    clearInterval(poll)
    expect(caught, `code_tools.py was never seen running:\n${r.stderr.slice(-2000)}`).toBe(true)
    expectCleanInterrupt(r, "SIGINT during code_tools.py")
    expect(r.stderr).toContain(`interrupted: run ${runId} is resumable`)
    expect((await statusOf(cwd))[0]!.status).toBe("interrupted")
  })
})

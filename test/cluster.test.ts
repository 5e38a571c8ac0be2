import { encodeConfig, runIdFor } from "@o1coder/selfplay/RunConfig"
import * as Demo from "@o1coder/selfplay/Demo"
import { PG_ADMIN_URL } from "@o1coder/store/TestDatabase"
import * as NodeFs from "node:fs"
import * as NodeOs from "node:os"
import * as NodePath from "node:path"
import pg from "pg"
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest"
import { pgAdmin as admin, runCli, startCli, type CliResult } from "./helpers.ts"

/**
 * Self-play on many runners (issue 19): three `o1coder runner` processes on 127.0.0.2/3/4 join the
 * cluster through the test's own Postgres database; `o1coder run --cluster` coordinates a small run
 * whose searches the cluster places on them. The searches spread over more than one runner (the
 * `searches.runner` column) and the trees equal, node for node, those of the embedded single
 * runner's run of the same configuration and seed.
 */

const reachable = await admin(async () => true).catch(() => false)
if (!reachable) console.log(`cluster tests skipped: no Postgres at ${PG_ADMIN_URL}`)

let root = ""
let configFile = ""
let runId = ""
const created: Array<string> = []
const children: Array<ReturnType<typeof startCli>> = []

const database = async (label: string) => {
  const name = `o1test_cluster_${label}_${Date.now().toString(36)}`
  await admin((c) => c.query(`CREATE DATABASE ${name}`))
  created.push(name)
  const url = new URL(PG_ADMIN_URL)
  url.pathname = `/${name}`
  return { name, url: url.toString() }
}

const query = async (url: string, text: string, values: Array<unknown> = []) => {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    return (await client.query(text, values)).rows
  } finally {
    await client.end()
  }
}

const trees = async (url: string) =>
  (
    await query(
      url,
      `select s.round, s.problem_id, n.seq, n.parent_id, n.depth, n.action, n.body, n.code, n.terminal,
          n.visits, n.value_sum, n.reward, n.passed, n.total
        from nodes n join searches s on s.id = n.search_id where s.run_id = $1 order by s.problem_id, n.seq`,
      [runId]
    )
  ).map((r) => JSON.stringify(r))

const dirFor = (label: string) => {
  const dir = NodePath.join(root, label)
  NodeFs.mkdirSync(dir, { recursive: true })
  return dir
}

/** Starts a runner and resolves once it has joined (or rejects with its output if it exits first). */
const startRunner = (host: string, port: number, url: string, env: Record<string, string> = {}, wrap?: ReadonlyArray<string>) =>
  new Promise<ReturnType<typeof startCli>>((resolve, reject) => {
    const runner = startCli(["runner", "--listen", `${host}:${port}`, "--database-url", url], { cwd: dirFor(`runner-${host}-${port}`), env, wrap })
    children.push(runner)
    let out = ""
    runner.child.stdout!.on("data", (d) => {
      out += d
      if (out.includes("joined the cluster")) resolve(runner)
    })
    void runner.done.then((r) => reject(new Error(`runner ${host}:${port} exited (${r.code ?? r.signal}):\n${r.stderr.slice(-2000)}`)))
  })

/**
 * The three runners at the same instant, on a database nothing has migrated yet: each creates the
 * store's tables and the cluster's (cluster_runners, cluster_messages, ...) under the schema lock,
 * so none of them fails on a table another is creating (without the lock, one of three in two starts did).
 */
const runnerHosts = ["127.0.0.2", "127.0.0.3", "127.0.0.4"]
const startRunners = (url: string) => Promise.all(runnerHosts.map((host) => startRunner(host, 34431, url)))

/** How many shards `runner` holds now: the advisory locks of its Postgres sessions (named by the runner). */
const shardsHeld = async (url: string, runner: string) =>
  (
    await query(
      url,
      `select count(*)::int as n from pg_locks l join pg_stat_activity a on a.pid = l.pid
        where l.locktype = 'advisory' and l.granted and a.datname = current_database() and a.application_name = $1`,
      [`o1coder runner ${runner}`]
    )
  )[0].n as number

/**
 * A clustered run on three runners (with the embedded reference run of the same configuration
 * beside it) in which the first runner whose running searches have a random number of nodes stored
 * (seed printed) gets `signal` (runners started together share the shards differently from run to
 * run, so the victim is whoever is busy); resolves once the searches it had under way and did not
 * finish while stopping have moved to the other runners (`moved`: problem → runner), or the run ended.
 */
const runUntilVictimStopped = async (label: string, signal: NodeJS.Signals) => {
  const [refDb, db] = await Promise.all([database(`${label}ref`), database(label)])
  const reference = runCli(["run", "--config", configFile], { cwd: dirFor(`${label}-ref`), env: { DATABASE_URL: refDb.url } })
  const runners = await startRunners(db.url)
  const seed = Math.floor(Math.random() * 4) + 2
  console.log(`${signal} to the first runner whose running searches have ${seed} nodes stored (seed ${seed})`)
  const coordinator = runCli(["run", "--config", configFile, "--cluster", "--listen", `127.0.0.1:${20_000 + Math.floor(Math.random() * 20_000)}`], {
    cwd: dirFor(`${label}-coordinator`),
    env: { DATABASE_URL: db.url }
  })
  let ended = false
  void coordinator.then(() => (ended = true))
  let stoppedAt = -1
  let unfinished: Array<string> = []
  let victimAddress = ""
  let victim = runners[0]!
  for (let i = 0; i < 600 && stoppedAt < 0 && !ended; i++) {
    const [row] = await query(
      db.url,
      `select s.runner, count(*)::int as n from nodes n join searches s on s.id = n.search_id
        where s.status = 'running' and s.runner is not null group by s.runner order by n desc, s.runner limit 1`
    )
    if (row !== undefined && row.n >= seed) {
      victimAddress = row.runner as string
      victim = runners[runnerHosts.indexOf(victimAddress.split(":")[0]!)]!
      console.log(`${signal} to ${victimAddress} at ${row.n} nodes`)
      victim.child.kill(signal)
      stoppedAt = row.n
      // A search of the victim's that completed before the signal stays its own; the rest must move.
      const open = await query(db.url, `select problem_id from searches where run_id = $1 and runner = $2 and status <> 'completed'`, [runId, victimAddress])
      unfinished = open.map((r) => r.problem_id)
    } else await new Promise((r) => setTimeout(r, 200))
  }
  expect(stoppedAt, "the victim's searches never started").toBeGreaterThan(0)
  expect(unfinished.length, "the victim had no search under way at the signal").toBeGreaterThan(0)
  const victimExit = await victim.done
  // What the victim finished while it stopped (SIGTERM lets a search end within entityTerminationTimeout) stays its own.
  const finishedAtExit = await query(db.url, `select problem_id from searches where run_id = $1 and runner = $2 and status = 'completed' and problem_id = any($3)`, [
    runId,
    victimAddress,
    unfinished
  ])
  const finishedByVictim = finishedAtExit.map((r) => r.problem_id as string)
  const toMove = unfinished.filter((p) => !finishedByVictim.includes(p))
  const holders = async () =>
    Object.fromEntries(
      (await query(db.url, `select problem_id, runner from searches where run_id = $1 and problem_id = any($2)`, [runId, toMove])).map((r) => [r.problem_id, r.runner])
    ) as Record<string, string>
  let moved = await holders()
  for (let i = 0; i < 600 && !ended && Object.values(moved).some((r) => r === victimAddress); i++) {
    await new Promise((r) => setTimeout(r, 200))
    moved = await holders()
  }
  if (ended) moved = await holders()
  console.log(
    `after the ${signal} (at ${stoppedAt} nodes) the victim finished [${finishedByVictim.join(", ")}] while stopping; its other searches went to:\n  ` +
      Object.entries(moved).map(([p, r]) => `${p}: ${r}`).join("\n  ")
  )
  const survivors = runners.filter((r) => r !== victim)
  return { coordinator, db, moved, refDb: { url: refDb.url, done: reference }, survivors, victim: victimAddress, victimExit }
}

/** The clustered run succeeded with the reference's trees, and paid each model call and execution once. */
const expectSameRun = async (clustered: CliResult, url: string, refDb: { readonly url: string; readonly done: Promise<CliResult> }) => {
  expect(clustered.code, clustered.stderr.slice(-3000)).toBe(0)
  const ref = await refDb.done
  expect(ref.code, ref.stderr.slice(-3000)).toBe(0)
  expect(await trees(url)).toEqual(await trees(refDb.url))
  const paid = `select sum(executions)::int as executions, sum(model_calls)::int as calls, sum(tokens)::int as tokens from searches where run_id = $1`
  expect(await query(url, paid, [runId])).toEqual(await query(refDb.url, paid, [runId]))
}

beforeAll(() => {
  root = NodeFs.mkdtempSync(NodePath.join(NodeOs.tmpdir(), "o1-cluster-"))
  const demo = Demo.config(root, { name: "cluster", limit: 6, rollouts: 3, maxDepth: 3, rounds: 1, workDir: NodePath.join(root, "work") })
  // Wide sandbox deadlines (a deadline hit by load would make the runs differ for another reason);
  // every search at once, so the cluster has something to spread.
  const config = { ...demo, search: { ...demo.search, testSeconds: 5, programSeconds: 20 }, concurrency: { ...demo.concurrency, searches: 6 } }
  configFile = NodePath.join(root, "cluster.json")
  NodeFs.writeFileSync(configFile, JSON.stringify(encodeConfig(config), null, 1))
  runId = runIdFor(config)
})

/** Every process a test started is gone before the next one starts (a failed test would leave its runners holding the ports). */
const stopChildren = async () => {
  for (const c of children) if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill("SIGKILL")
  await Promise.all(children.map((c) => c.done))
}

afterEach(stopChildren)

afterAll(async () => {
  await stopChildren()
  if (reachable) for (const name of created) await admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).catch(() => {})
  NodeFs.rmSync(root, { recursive: true, force: true })
})

describe.skipIf(!reachable)("self-play on three runners", () => {
  it("spreads the searches over the runners and ends with the single runner's trees", { timeout: 240_000 }, async () => {
    const [refDb, db] = await Promise.all([database("ref"), database("multi")])
    // The runners' addresses are fixed (one port, each on its own loopback address). Which runner
    // gets which shard still varies with the order they join, so only a spread is asserted.
    const port = 34431
    const coordinatorPort = 20_000 + Math.floor(Math.random() * 20_000)
    const reference = runCli(["run", "--config", configFile], { cwd: dirFor("ref"), env: { DATABASE_URL: refDb.url } })
    const runners = await startRunners(db.url)

    const clustered: CliResult = await runCli(["run", "--config", configFile, "--cluster", "--listen", `127.0.0.1:${coordinatorPort}`], {
      cwd: dirFor("coordinator"),
      env: { DATABASE_URL: db.url }
    })
    expect(clustered.code, clustered.stderr.slice(-3000)).toBe(0)
    const ref = await reference
    expect(ref.code, ref.stderr.slice(-3000)).toBe(0)

    const placed = await query(db.url, `select problem_id, runner from searches where run_id = $1 order by problem_id`, [runId])
    console.log(`searches by runner:\n  ${placed.map((r) => `${r.problem_id}: ${r.runner}`).join("\n  ")}`)
    expect(placed).toHaveLength(6)
    for (const row of placed) expect(row.runner).toMatch(/^127\.0\.0\.[234]:\d+$/)
    expect(new Set(placed.map((r) => r.runner)).size).toBeGreaterThan(1)

    const got = await trees(db.url)
    expect(got.length).toBeGreaterThan(10)
    expect(got).toEqual(await trees(refDb.url))

    const status = await runCli(["status", runId, "--json"], { env: { DATABASE_URL: db.url } })
    const round = JSON.parse(status.stdout).rounds[0]
    expect(round.runners, status.stderr).toMatch(/127\.0\.0\.[234]:\d+×\d/)
    const listed = await runCli(["runners", "--json"], { env: { DATABASE_URL: db.url } })
    const rows = JSON.parse(listed.stdout) as Array<{ address: string; groups: string; health: string; searches: number }>
    const searchRunners = rows.filter((r) => r.groups === "search")
    expect(searchRunners.map((r) => r.address).sort(), listed.stdout).toEqual([2, 3, 4].map((i) => `127.0.0.${i}:${port}`))
    for (const r of searchRunners) expect(r.health).toBe("healthy")
    expect(searchRunners.reduce((n, r) => n + r.searches, 0)).toBe(6)

    // SIGTERM: each runner releases its shards and exits 0 by itself.
    for (const r of runners) r.child.kill("SIGTERM")
    const exits = await Promise.all(runners.map((r) => r.done))
    for (const e of exits) expect(e.code, `${e.signal} ${e.stderr.slice(-1000)}`).toBe(0)
  })

  it("loses a runner to SIGKILL mid-search, takes it back at the same address, and still ends with the single runner's trees, nothing paid twice", { timeout: 300_000 }, async () => {
    const { coordinator, db, moved, refDb, survivors, victim } = await runUntilVictimStopped("kill", "SIGKILL")
    // The killed runner comes back at its address: it registers again and takes shards again.
    const rejoined = await startRunner(victim.split(":")[0]!, 34431, db.url)
    let shards = 0
    for (let i = 0; i < 300 && shards === 0; i++) {
      shards = await shardsHeld(db.url, victim)
      if (shards === 0) await new Promise((r) => setTimeout(r, 200))
    }
    console.log(`${victim} rejoined and holds ${shards} shards of the search group`)
    expect(shards, "the restarted runner took no shard").toBeGreaterThan(0)
    await expectSameRun(await coordinator, db.url, refDb)
    // Its searches were resumed by the others before it came back.
    for (const runner of Object.values(moved)) expect(runner).not.toBe(victim)
    const listed = JSON.parse((await runCli(["runners", "--json"], { env: { DATABASE_URL: db.url } })).stdout) as Array<{ address: string; health: string }>
    expect(listed.find((r) => r.address === victim)?.health).toBe("healthy")
    for (const r of [...survivors, rejoined]) r.child.kill("SIGTERM")
    await Promise.all([...survivors, rejoined].map((r) => r.done))
  })

  it("hands a runner's searches over on SIGTERM: it exits 0 and the run ends with the single runner's trees, nothing paid twice", { timeout: 300_000 }, async () => {
    const { coordinator, db, moved, refDb, survivors, victim, victimExit } = await runUntilVictimStopped("term", "SIGTERM")
    expect(victimExit.code, victimExit.stderr.slice(-2000)).toBe(0)
    expect(victimExit.stderr).toContain("stopped: its shards went back to the cluster")
    await expectSameRun(await coordinator, db.url, refDb)
    for (const runner of Object.values(moved)) expect(runner).not.toBe(victim)
    for (const r of survivors) r.child.kill("SIGTERM")
    const exits = await Promise.all(survivors.map((r) => r.done))
    for (const e of exits) expect(e.code, e.stderr.slice(-1000)).toBe(0)
  })
  it("stops a runner that lost the database past the outage limit: a clear message and exit code 75", { timeout: 120_000 }, async () => {
    const db = await database("lost")
    const runner = await startRunner("127.0.0.5", 34431, db.url, { O1CODER_DB_OUTAGE_LIMIT: "4 seconds" })
    let shards = 0
    for (let i = 0; i < 300 && shards === 0; i++) {
      shards = await shardsHeld(db.url, "127.0.0.5:34431")
      if (shards === 0) await new Promise((r) => setTimeout(r, 200))
    }
    expect(shards, "the runner took no shard").toBeGreaterThan(0)
    // The database refuses connections and its sessions end: the runner cannot renew its shards.
    await admin(async (c) => {
      await c.query(`ALTER DATABASE ${db.name} ALLOW_CONNECTIONS false`)
      await c.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, [db.name])
    })
    const exit = await runner.done
    await admin((c) => c.query(`ALTER DATABASE ${db.name} ALLOW_CONNECTIONS true`))
    expect(exit.code, exit.stderr.slice(-2000)).toBe(75)
    expect(exit.stderr).toMatch(/runner 127\.0\.0\.5:34431 stopped: database unreachable for \d+s/)
  })
})


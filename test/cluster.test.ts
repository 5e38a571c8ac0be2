import { encodeConfig, runIdFor } from "@o1coder/selfplay/RunConfig"
import * as Demo from "@o1coder/selfplay/Demo"
import { PG_ADMIN_URL } from "@o1coder/store/TestDatabase"
import * as NodeFs from "node:fs"
import * as NodeOs from "node:os"
import * as NodePath from "node:path"
import pg from "pg"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
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
const startRunner = (host: string, port: number, url: string) =>
  new Promise<ReturnType<typeof startCli>>((resolve, reject) => {
    const runner = startCli(["runner", "--listen", `${host}:${port}`, "--database-url", url], { cwd: dirFor(`runner-${host}`) })
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
const startRunners = (url: string) => Promise.all(["127.0.0.2", "127.0.0.3", "127.0.0.4"].map((host) => startRunner(host, 34431, url)))

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

afterAll(async () => {
  for (const c of children) if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill("SIGKILL")
  await Promise.all(children.map((c) => c.done))
  if (reachable) for (const name of created) await admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).catch(() => {})
  NodeFs.rmSync(root, { recursive: true, force: true })
})

describe.skipIf(!reachable)("self-play on three runners", () => {
  it("spreads the searches over the runners and ends with the single runner's trees", { timeout: 240_000 }, async () => {
    const [refDb, db] = await Promise.all([database("ref"), database("multi")])
    // The runners' addresses are fixed (the default port on their own loopback addresses): the
    // cluster's hash ring of addresses, and so the spread of the 6 searches' shards, is then the same every time.
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

    // SIGTERM: each runner releases its shards and exits by itself.
    for (const r of runners) r.child.kill("SIGTERM")
    const exits = await Promise.all(runners.map((r) => r.done))
    for (const e of exits) expect(e.signal === "SIGTERM" || e.code === 0 || e.code === 130 || e.code === 143, `${e.code} ${e.signal} ${e.stderr.slice(-1000)}`).toBe(true)
  })

  it("loses a runner to SIGKILL mid-search and still ends with the single runner's trees, nothing paid twice", { timeout: 240_000 }, async () => {
    const [refDb, db] = await Promise.all([database("kref"), database("kill")])
    const reference = runCli(["run", "--config", configFile], { cwd: dirFor("kref"), env: { DATABASE_URL: refDb.url } })
    const runners = await startRunners(db.url)
    const victim = runners[2]!
    const seed = Math.floor(Math.random() * 4) + 2
    console.log(`SIGKILL of 127.0.0.4 once the running searches have ${seed} nodes stored (seed ${seed})`)
    const coordinator = runCli(["run", "--config", configFile, "--cluster", "--listen", `127.0.0.1:${20_000 + Math.floor(Math.random() * 20_000)}`], {
      cwd: dirFor("kcoordinator"),
      env: { DATABASE_URL: db.url }
    })
    // `searches.runner` is written when a search finishes, so the victim's share is known only
    // afterwards: every search not completed at the kill must end on a survivor.
    let killedAt = -1
    let completedAtKill: Array<string> = []
    for (let i = 0; i < 600 && killedAt < 0; i++) {
      const [row] = await query(
        db.url,
        `select count(*)::int as n from nodes n join searches s on s.id = n.search_id
          where s.status = 'running'`
      )
      if (row.n >= seed) {
        victim.child.kill("SIGKILL")
        killedAt = row.n
        const done = await query(db.url, `select problem_id from searches where run_id = $1 and status = 'completed'`, [runId])
        completedAtKill = done.map((r) => r.problem_id)
      } else await new Promise((r) => setTimeout(r, 200))
    }
    expect(killedAt, "the victim's searches never started").toBeGreaterThan(0)
    const clustered = await coordinator
    expect(clustered.code, clustered.stderr.slice(-3000)).toBe(0)
    const ref = await reference
    expect(ref.code, ref.stderr.slice(-3000)).toBe(0)
    const placed = await query(db.url, `select problem_id, runner from searches where run_id = $1 order by problem_id`, [runId])
    console.log(`after the kill (at ${killedAt} nodes):\n  ${placed.map((r) => `${r.problem_id}: ${r.runner}`).join("\n  ")}`)
    for (const row of placed) if (!completedAtKill.includes(row.problem_id)) expect(row.runner, row.problem_id).toMatch(/^127\.0\.0\.[23]:34431$/)
    expect(await trees(db.url)).toEqual(await trees(refDb.url))
    const paid = `select sum(executions)::int as executions, sum(model_calls)::int as calls, sum(tokens)::int as tokens from searches where run_id = $1`
    expect(await query(db.url, paid, [runId])).toEqual(await query(refDb.url, paid, [runId]))
    for (const r of runners.slice(0, 2)) r.child.kill("SIGTERM")
    await Promise.all(runners.map((r) => r.done))
  })
})

import { encodeConfig, runIdFor } from "@o1coder/selfplay/RunConfig"
import * as Demo from "@o1coder/selfplay/Demo"
import { Effect } from "effect"
import * as NodeFs from "node:fs"
import * as NodeOs from "node:os"
import * as NodePath from "node:path"
import { describe, expect, it } from "vitest"
import { runCli, startCli, withPglite } from "./helpers.ts"

/**
 * The crash test (issue 9): a small run is SIGKILLed at random moments inside each stage (TCG,
 * search, export, training wait, evaluation), resumed each time, and compared with an
 * uninterrupted run: same trees node for node, same datasets byte for byte, one training job
 * per stage (each started once), no model call or recorded execution paid twice.
 */

const SEED = Number(process.env.O1CODER_CRASH_SEED ?? Date.now() % 100_000)
const CHAINS = 2
const STAGES = ["tcg", "search", "export", "train", "evaluate"] as const
type Stage = (typeof STAGES)[number]

/** mulberry32: a small seeded generator, so that a failing schedule can be replayed from its seed. */
const rng = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}

interface Target {
  readonly round: number
  readonly stage: Stage
  /** Items of the stage to let finish first (TCG, search), or a delay in ms (others). */
  readonly after: number
}

interface Kill {
  readonly target: Target
  /** The stage whose start (and no end) was the last marker before the kill. */
  readonly inside: string | undefined
  readonly finishedFirst: boolean
}

const cp = (from: string, to: string) => NodeFs.cpSync(from, to, { recursive: true })

describe("crash and resume", () => {
  it(`gives the result of an uninterrupted run (seed ${SEED})`, { timeout: 600_000 }, async () => {
    console.log(`crash test seed: ${SEED} (replay with O1CODER_CRASH_SEED=${SEED})`)
    const random = rng(SEED)
    const root = NodeFs.mkdtempSync(NodePath.join(NodeOs.tmpdir(), "o1-crash-"))
    const demo = Demo.config(root, { name: "crash", limit: 3, rollouts: 3, maxDepth: 3, rounds: 2, workDir: "work" })
    // Generous sandbox deadlines: three runs share a loaded machine, and a deadline hit by load
    // rather than by the code would make the runs differ for a reason that is not the crash.
    const config = { ...demo, search: { ...demo.search, testSeconds: 5, programSeconds: 20 } }
    const configFile = NodePath.join(root, "crash.json")
    NodeFs.writeFileSync(configFile, JSON.stringify(encodeConfig(config), null, 1))
    const runId = runIdFor(config)

    // One migrated database, copied for each run (saves each process the migrations).
    const template = NodePath.join(root, "template-db")
    const migrated = await runCli(["db", "migrate"], { env: { O1CODER_DATA_DIR: template } })
    expect(migrated.code, migrated.stderr).toBe(0)

    const envFor = (dir: string) => ({ O1CODER_DATA_DIR: NodePath.join(dir, "db"), O1CODER_STAGE_MARKERS: "1" })
    const prepare = (name: string) => {
      const dir = NodePath.join(root, name)
      NodeFs.mkdirSync(dir)
      cp(template, NodePath.join(dir, "db"))
      return dir
    }

    const reference = async () => {
      const dir = prepare("reference")
      const result = await runCli(["run", "--config", configFile], { cwd: dir, env: envFor(dir) })
      if (result.code !== 0) throw new Error(`reference run failed:\n${result.stderr.slice(-3000)}`)
      return dir
    }

    // Targets in run order; every stage kind in every chain, each in a random round.
    const plans: Array<ReadonlyArray<Target>> = Array.from({ length: CHAINS }, () =>
      STAGES.map((stage): Target => ({
        round: random() < 0.5 ? 1 : 2,
        stage,
        after: stage === "tcg" || stage === "search" ? Math.floor(random() * 2) : Math.floor(random() * (stage === "export" ? 30 : stage === "evaluate" ? 80 : 1500))
      })).sort((a, b) => a.round - b.round || STAGES.indexOf(a.stage) - STAGES.indexOf(b.stage))
    )

    const killAt = (dir: string, args: ReadonlyArray<string>, target: Target) =>
      new Promise<Kill>((resolve, reject) => {
        const open = new Set<string>()
        let last: string | undefined
        let armed = false
        let killed = false
        const kill = (child: import("node:child_process").ChildProcess) => {
          if (killed) return
          killed = true
          const inside = last !== undefined && open.has(last) ? last : undefined
          child.kill("SIGKILL")
          resolve({ target, inside, finishedFirst: false })
        }
        const key = `r${target.round} ${target.stage}`
        const { done } = startCli(args, {
          cwd: dir,
          env: envFor(dir),
          onStderrLine: (line, child) => {
            const stage = line.match(/^@o1coder stage (r\d \S+) (start|end)$/)
            if (stage !== null) {
              if (stage[2] === "start") {
                open.add(stage[1]!)
                last = stage[1]
              } else open.delete(stage[1]!)
            }
            if (killed || armed) return
            if (target.stage === "tcg" || target.stage === "search") {
              const progress = line.match(/^@o1coder progress (r\d \S+) (\d+)\/(\d+)$/)
              const started = stage !== null && stage[1] === key && stage[2] === "start"
              if ((started && target.after === 0) || (progress !== null && progress[1] === key && Number(progress[2]) === target.after)) {
                armed = true
                setTimeout(() => kill(child), 5 + Math.floor(random() * 40))
              }
            } else if (target.stage === "train") {
              if (line.startsWith(`@o1coder wait r${target.round} `) && line.endsWith(" running")) {
                armed = true
                setTimeout(() => kill(child), target.after)
              }
            } else if (stage !== null && stage[1] === key && stage[2] === "start") {
              armed = true
              setTimeout(() => kill(child), target.after)
            }
          }
        })
        done.then((r) => {
          if (!killed) {
            if (r.code === 0) resolve({ target, inside: undefined, finishedFirst: true })
            else reject(new Error(`run ended (${r.code}) before its kill at ${key}:\n${r.stderr.slice(-3000)}`))
          }
        })
      })

    const chain = async (index: number) => {
      const dir = prepare(`chain-${index}`)
      const kills: Array<Kill> = []
      for (const [i, target] of plans[index]!.entries()) {
        kills.push(await killAt(dir, i === 0 ? ["run", "--config", configFile] : ["resume", runId], target))
      }
      const final = await runCli(["resume", runId], { cwd: dir, env: envFor(dir) })
      if (final.code !== 0) throw new Error(`final resume of chain ${index} failed:\n${final.stderr.slice(-3000)}`)
      return { dir, kills }
    }

    const [refDir, ...chains] = await Promise.all([reference(), ...Array.from({ length: CHAINS }, (_, i) => chain(i))])
    const kills = chains.flatMap((c) => c.kills)
    for (const k of kills) console.log(`kill at r${k.target.round} ${k.target.stage} (+${k.target.after}): inside ${k.inside ?? "(between stages)"}${k.finishedFirst ? " (run finished first)" : ""}`)
    expect(kills.filter((k) => !k.finishedFirst).length).toBeGreaterThanOrEqual(8)
    const covered = new Set(kills.map((k) => k.inside?.split(" ")[1]).filter((s) => s !== undefined))
    expect([...covered].sort()).toEqual([...STAGES].sort())

    const snapshot = (dir: string) =>
      withPglite(NodePath.join(dir, "db"), (sql) =>
        Effect.all({
          status: sql.unsafe<{ status: string }>(`select status from runs where id = $1`, [runId]),
          nodes: sql.unsafe(`select s.id as search, s.round, s.problem_id, n.seq, n.parent_id, n.depth, n.action, n.body, n.code, n.terminal,
              n.visits, n.value_sum, n.reward, n.passed, n.total
            from nodes n join searches s on s.id = n.search_id where s.run_id = $1 order by s.id, n.seq`, [runId]),
          datasets: sql.unsafe<{ kind: string; round: number; sha256: string; rows: number; path: string }>(
            `select kind, round::int as round, sha256, rows::int as rows, format, path from datasets where run_id = $1 order by round, kind`, [runId]),
          jobs: sql.unsafe<{ id: string; stage: string; round: number; status: string; output_dir: string }>(
            `select id, stage, round::int as round, status, output_dir from training_jobs where run_id = $1 order by id`, [runId]),
          versions: sql.unsafe(`select id, role, round::int as round, parent_id from model_versions where run_id = $1 order by id`, [runId]),
          calls: sql.unsafe<{ key: string }>(`select key from model_calls order by key`),
          executions: sql.unsafe<{ key: string }>(`select key from executions order by key`),
          paidAgain: sql.unsafe<{ n: number }>(
            `select count(*)::int as n from (select execution_key from execution_log where not cached group by execution_key having count(*) > 1) t`),
          evaluations: sql.unsafe(`select round::int as round, metrics from evaluations where run_id = $1 order by round`, [runId]),
          unlogged: sql.unsafe<{ n: number }>(
            `select count(*)::int as n from executions e where not exists (select 1 from execution_log l where l.execution_key = e.key)`)
        })
      )

    const ref = await snapshot(refDir)
    expect(ref.status[0]!.status).toBe("completed")
    expect(ref.nodes.length).toBeGreaterThan(0)
    expect(ref.jobs.length).toBe(4)
    for (const { dir } of chains) {
      const got = await snapshot(dir)
      expect(got.status[0]!.status).toBe("completed")
      const differs = got.nodes.findIndex((n, i) => JSON.stringify(n) !== JSON.stringify(ref.nodes[i]))
      if (differs >= 0 || got.nodes.length !== ref.nodes.length) {
        const at = differs >= 0 ? differs : Math.min(got.nodes.length, ref.nodes.length)
        throw new Error(`trees differ at node ${at} of ${ref.nodes.length} (got ${got.nodes.length}):\nresumed:       ${JSON.stringify(got.nodes[at])}\nuninterrupted: ${JSON.stringify(ref.nodes[at])}`)
      }
      expect(got.datasets.map(({ path: _p, ...d }) => d)).toEqual(ref.datasets.map(({ path: _p, ...d }) => d))
      got.datasets.forEach((d, i) => expect(NodeFs.readFileSync(d.path).equals(NodeFs.readFileSync(ref.datasets[i]!.path))).toBe(true))
      // Job and version ids hash the base model's spec, which holds the (per-test-directory) path of the
      // previous round's output: compare what they are, and the produced parameter files byte for byte.
      const shape = (jobs: ReadonlyArray<{ stage?: unknown; round?: unknown; status: string }>) =>
        jobs.map((j) => `${j.round}:${j.stage}:${j.status}`).sort()
      expect(shape(got.jobs)).toEqual(shape(ref.jobs))
      for (const job of got.jobs) {
        const starts = NodeFs.readFileSync(NodePath.join(job.output_dir, "starts.log"), "utf8").trim().split("\n")
        expect(starts, `${job.id} started ${starts.length} times`).toHaveLength(1)
      }
      const versionShape = (vs: ReadonlyArray<any>) => vs.map((v) => `${v.round}:${v.role}:${v.parent_id === null ? "base" : "trained"}`).sort()
      expect(versionShape(got.versions)).toEqual(versionShape(ref.versions))
      const params = (dir: string) =>
        NodeFs.readdirSync(NodePath.join(dir, "work", "jobs")).map((job) => {
          const file = NodePath.join(dir, "work", "jobs", job, "output", "params.json")
          return NodeFs.existsSync(file) ? NodeFs.readFileSync(file, "utf8") : ""
        }).filter((t) => t !== "").sort()
      expect(params(dir)).toEqual(params(refDir))
      expect(got.calls.map((c) => c.key)).toEqual(ref.calls.map((c) => c.key))
      expect(got.executions.map((e) => e.key)).toEqual(ref.executions.map((e) => e.key))
      // Keys executed more than once without the cache: the uninterrupted run has some too (identical
      // code run concurrently before the first result is stored); a kill may add the executions that
      // were in flight (never recorded), at most one per concurrent search per kill.
      expect(got.paidAgain[0]!.n).toBeLessThanOrEqual(ref.paidAgain[0]!.n + kills.length * 2)
      // A kill during an export leaves F.tmp-PID; the resumed export removes it.
      const leftovers = (NodeFs.readdirSync(dir, { recursive: true }) as Array<string>).filter((f) => /\.tmp-\d+$/.test(f))
      expect(leftovers, `temporary files left in ${dir}`).toEqual([])
      // An execution and its log row are stored together: no kill leaves an execution unlogged.
      expect(got.unlogged[0]!.n).toBe(0)
      const scores = (es: ReadonlyArray<any>) => es.map(({ metrics: { seconds: _s, ...m }, round }) => ({ round, ...m }))
      expect(scores(got.evaluations)).toEqual(scores(ref.evaluations))
      console.log(`chain ${dir}: ${got.nodes.length} nodes, ${got.datasets.length} datasets, ${got.jobs.length} jobs, ` +
        `${got.calls.length} model calls, ${got.executions.length} executions (keys run more than once: ${got.paidAgain[0]!.n}, uninterrupted run: ${ref.paidAgain[0]!.n}) — identical to the uninterrupted run`)
    }
    NodeFs.rmSync(root, { recursive: true, force: true })
  })
})

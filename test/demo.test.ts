import * as NodeFs from "node:fs"
import * as NodeOs from "node:os"
import * as NodePath from "node:path"
import { describe, expect, it } from "vitest"
import { runHelpExamples } from "./help-examples.ts"
import { runCli, withPglite } from "./helpers.ts"

/**
 * The README's main command end to end: `o1coder demo` in a child process, then the stored rows
 * it left (trees, datasets, jobs, versions, evaluations) and the simulated policy's improvement.
 */
/** The demo's data directory, for the help examples below (removed by them). */
let demoDir: string | undefined

describe("o1coder demo", () => {
  it("runs two rounds offline and round 2 passes more often than round 1", { timeout: 420_000 }, async () => {
    const dir = NodeFs.mkdtempSync(NodePath.join(NodeOs.tmpdir(), "o1-demo-"))
    const result = await runCli(["demo", "--data-dir", dir, "--fresh"])
    if (result.code !== 0) throw new Error(`demo failed (${result.code}):\n${result.stdout}\n${result.stderr.slice(-4000)}`)
    expect(result.stdout.split("\n").slice(0, 3).join("\n")).toContain("SIMULATED")
    const runId = result.stdout.match(/^run: (\S+)/m)![1]!
    expect(result.stdout).toContain(`run ${runId} completed`)
    expect(result.stdout).toMatch(/round\s+problems\s+nodes\s+pass_rate\s+aspr\s+pass@1/)
    expect(result.stdout.match(/npx o1coder sql "/g)?.length).toBe(3)

    const facts = await withPglite(NodePath.join(dir, "db"), (sql) =>
      sql.unsafe<Record<string, any>>(`
        select
          (select status from runs where id = $1) as status,
          (select count(*)::int from rounds where run_id = $1 and stage = 'done') as rounds_done,
          (select count(*)::int from searches where run_id = $1 and status = 'completed') as searches,
          (select count(*)::int from nodes n join searches s on s.id = n.search_id where s.run_id = $1) as nodes,
          (select count(*)::int from nodes n join searches s on s.id = n.search_id where s.run_id = $1 and n.terminal and n.code is not null) as code_terminals,
          (select count(*)::int from training_jobs where run_id = $1 and status = 'succeeded') as jobs,
          (select count(*)::int from training_jobs where run_id = $1) as all_jobs,
          (select count(*)::int from model_versions where run_id = $1 and job_id is not null) as trained_versions,
          (select count(*)::int from evaluations where run_id = $1) as evaluations,
          (select policy_version from rounds where run_id = $1 and round = 2) as round2_policy,
          (select count(*)::int from execution_log where purpose = 'scoring' and search_id is not null) as scoring_in_search
      `, [runId])
    )
    const f = facts[0]!
    expect(f.status).toBe("completed")
    expect(f.rounds_done).toBe(2)
    expect(f.searches).toBeGreaterThanOrEqual(2 * 20)
    expect(f.nodes).toBeGreaterThan(f.searches * 5)
    expect(f.code_terminals).toBeGreaterThan(0)
    // Round 1 trains SFT + PRM, round 2 PRM + DPO: four jobs, four new versions.
    expect(f.all_jobs).toBe(4)
    expect(f.jobs).toBe(4)
    expect(f.trained_versions).toBe(4)
    expect(f.evaluations).toBe(2)
    expect(f.scoring_in_search).toBe(0)

    // Round 2 searched with the version round 1's SFT job produced (the rollover).
    const versions = await withPglite(NodePath.join(dir, "db"), (sql) =>
      sql.unsafe<Record<string, any>>(`select id, role, round::int as round, spec, job_id from model_versions where run_id = $1 order by created_at`, [runId])
    )
    const sft = versions.find((v) => v.round === 1 && v.role === "policy")!
    expect(f.round2_policy).toBe(sft.id)
    expect(sft.spec).toMatch(/^simulated:.*params\.json$/)
    expect(NodeFs.existsSync(sft.spec.slice("simulated:".length))).toBe(true)

    // Every dataset file exists with the recorded hash and row count.
    const datasets = await withPglite(NodePath.join(dir, "db"), (sql) =>
      sql.unsafe<Record<string, any>>(`select kind, path, sha256, rows::int as rows, round::int as round from datasets where run_id = $1 order by round, kind`, [runId])
    )
    expect(datasets.map((d) => `${d.round}:${d.kind}`)).toEqual(["1:prm", "1:sft", "2:dpo", "2:prm"])
    const { createHash } = await import("node:crypto")
    for (const d of datasets) {
      expect(d.rows).toBeGreaterThan(0)
      expect(createHash("sha256").update(NodeFs.readFileSync(d.path)).digest("hex")).toBe(d.sha256)
    }

    const metrics = await withPglite(NodePath.join(dir, "db"), (sql) =>
      sql.unsafe<Record<string, any>>(`
        select s.round::int as round,
               avg(case when n.total > 0 and n.passed = n.total then 1.0 else 0.0 end)::float as pass_rate
        from nodes n join searches s on s.id = n.search_id
        where s.run_id = $1 and n.terminal and n.code is not null
        group by s.round order by s.round`, [runId])
    )
    console.log(`demo pass rate: round 1 ${metrics[0]!.pass_rate.toFixed(3)}, round 2 ${metrics[1]!.pass_rate.toFixed(3)}`)
    expect(metrics[1]!.pass_rate).toBeGreaterThan(metrics[0]!.pass_rate)
    demoDir = dir
  })
})


/**
 * Every example printed by every `--help` works against the demo's store (see help-examples.ts).
 */
describe("help examples", () => {
  it("all work against the demo's store", { timeout: 1_200_000 }, async () => {
    if (demoDir === undefined) throw new Error("the demo test above did not leave its store")
    const failures = await runHelpExamples(demoDir)
    expect(failures, failures.join("\n\n")).toEqual([])
    NodeFs.rmSync(demoDir, { recursive: true, force: true })
  })
})

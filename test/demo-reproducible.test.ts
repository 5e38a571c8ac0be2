import * as NodeFs from "node:fs"
import * as NodeOs from "node:os"
import * as NodePath from "node:path"
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { runCli, withPglite } from "./helpers.ts"

/**
 * The demo is reproducible: the same seed gives the same trees, suites, datasets, evaluations and
 * report, however the work was scheduled. Two small demos (4 problems, both rounds) run one after
 * the other in the same data directory (the run id hashes the configuration, paths included), the
 * second with a single sandbox worker, so executions finish in another order; they must agree row
 * for row on everything but timings.
 */
describe("demo reproducibility", () => {
  it("two demos with the same seed give the same trees and report", { timeout: 900_000 }, async () => {
    const root = NodeFs.mkdtempSync(NodePath.join(NodeOs.tmpdir(), "o1-repro-"))
    const dir = NodePath.join(root, "demo")
    const snapshot = () =>
      withPglite(NodePath.join(dir, "db"), (sql) =>
        Effect.all({
          nodes: sql.unsafe(`select s.round, s.problem_id, n.seq, n.parent_id, n.depth, n.action, n.body, n.code, n.terminal,
              n.visits, n.value_sum, n.reward, n.passed, n.total, n.prior
            from nodes n join searches s on s.id = n.search_id order by s.round, s.problem_id, n.seq`),
          cases: sql.unsafe(`select s.problem_id, c.* from test_cases c join test_suites s on s.id = c.suite_id order by s.problem_id, c.suite_id, c.ord`),
          datasets: sql.unsafe(`select round, kind, format, rows, sha256 from datasets order by round, kind`),
          evaluations: sql.unsafe(`select round, metrics from evaluations order by round`)
        })
      )
    const demo = async (env: Record<string, string>) => {
      const result = await runCli(["demo", "--data-dir", dir, "--fresh", "--limit", "4"], { env })
      if (result.code !== 0) throw new Error(`demo failed (${result.code}):\n${result.stderr.slice(-3000)}`)
      const runId = result.stdout.match(/^run: (\S+)/m)![1]!
      const report = JSON.parse((await runCli(["report", runId, "--json"], { env: { O1CODER_DATA_DIR: NodePath.join(dir, "db") } })).stdout) as Array<Record<string, unknown>>
      return { runId, report: report.map(({ seconds: _s, ...r }) => r), rows: await snapshot() }
    }
    const first = await demo({})
    const second = await demo({ O1CODER_SANDBOX_WORKERS: "1" })
    expect(second.runId).toBe(first.runId)
    expect(first.rows.nodes.length).toBeGreaterThan(50)
    expect(first.rows.evaluations.length).toBe(2)
    const differs = first.rows.nodes.findIndex((n, i) => JSON.stringify(n) !== JSON.stringify(second.rows.nodes[i]))
    if (differs >= 0 || first.rows.nodes.length !== second.rows.nodes.length) {
      const at = differs >= 0 ? differs : Math.min(first.rows.nodes.length, second.rows.nodes.length)
      throw new Error(`trees differ at node ${at} (${first.rows.nodes.length} vs ${second.rows.nodes.length} nodes):\nfirst:  ${JSON.stringify(first.rows.nodes[at])}\nsecond: ${JSON.stringify(second.rows.nodes[at])}`)
    }
    expect(second.rows.cases).toEqual(first.rows.cases)
    expect(second.rows.datasets).toEqual(first.rows.datasets)
    // Evaluation metrics minus their timings (seconds spent are the one thing allowed to differ).
    const untimed = (rows: ReadonlyArray<unknown>) =>
      rows.map((r) => {
        const { metrics, ...rest } = r as { metrics: Record<string, number> }
        return { ...rest, metrics: Object.fromEntries(Object.entries(metrics).filter(([k]) => !/seconds|_ms$|elapsed/.test(k))) }
      })
    expect(untimed(second.rows.evaluations)).toEqual(untimed(first.rows.evaluations))
    expect(second.report).toEqual(first.report)
    NodeFs.rmSync(root, { recursive: true, force: true })
  })
})

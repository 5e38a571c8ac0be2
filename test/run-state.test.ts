import { encodeConfig } from "@o1coder/selfplay/RunConfig"
import * as Demo from "@o1coder/selfplay/Demo"
import * as NodeFs from "node:fs"
import * as NodeOs from "node:os"
import * as NodePath from "node:path"
import { describe, expect, it } from "vitest"
import { runCli, startCli } from "./helpers.ts"

/**
 * Truthful run state: a run whose process was SIGKILLed is shown as interrupted (not running
 * forever), and resuming a completed run says so and changes nothing.
 */
describe("run state", () => {
  it("kill -9 → interrupted with how to resume; resume completes it; resuming a completed run changes nothing", { timeout: 600_000 }, async () => {
    const root = NodeFs.mkdtempSync(NodePath.join(NodeOs.tmpdir(), "o1-run-state-"))
    const demo = encodeConfig(Demo.config(root, { name: "liveness", limit: 2, rollouts: 2, maxDepth: 2, workDir: "work" })) as Record<string, unknown>
    const config = { ...demo, rounds: { count: 1, plan: [{ train: [] }] } }
    const configFile = NodePath.join(root, "liveness.json")
    NodeFs.writeFileSync(configFile, JSON.stringify(config))
    const env = { O1CODER_DATA_DIR: NodePath.join(root, "db"), O1CODER_STAGE_MARKERS: "1" }
    const cli = (...args: Array<string>) => runCli(args, { cwd: root, env })

    let runId = ""
    const { child, done } = startCli(["run", "--config", configFile], {
      cwd: root,
      env,
      onStderrLine: (line, process) => {
        if (/^@o1coder stage r1 search start$/.test(line)) process.kill("SIGKILL")
      }
    })
    const killed = await done
    expect(killed.signal, killed.stderr.slice(-2000)).toBe("SIGKILL")
    runId = killed.stdout.match(/^run: (\S+)/m)![1]!

    const status = await cli("status", runId)
    expect(status.code, status.stderr).toBe(0)
    expect(status.stdout).toContain(`interrupted (resume with o1coder resume ${runId})`)
    expect(status.stdout).toContain(`pid ${child.pid} on ${NodeOs.hostname()} is gone`)
    expect(status.stdout).toMatch(/waiting for: nothing: no process drives it/)
    const asJson = JSON.parse((await cli("status", runId, "--json")).stdout)
    expect([asJson.run.status, asJson.run.storedStatus, asJson.run.owner.pid]).toEqual(["interrupted", "running", child.pid])
    const runs = await cli("runs", "--wide")
    expect(runs.stdout).toContain(`interrupted (resume with o1coder resume ${runId})`)

    // By name: the latest run called `liveness`.
    const resumed = await cli("resume", "liveness")
    expect(resumed.code, resumed.stderr.slice(-3000)).toBe(0)
    expect(resumed.stdout).toContain(`run ${runId} completed`)
    const before = JSON.parse((await cli("runs", "--json")).stdout)
    expect(before.map((r: { stored: string }) => r.stored)).toEqual(["completed"])

    const again = await cli("resume", runId)
    expect(again.code, again.stderr).toBe(0)
    expect(again.stdout).toContain(`run ${runId} is complete: nothing to resume`)
    const after = JSON.parse((await cli("runs", "--json")).stdout)
    expect(after).toEqual(before)
    expect((await cli("status", runId)).stdout).toMatch(/: completed, .*\n[\s\S]*waiting for: nothing \(completed\)/)
    NodeFs.rmSync(root, { recursive: true, force: true })
  })
})

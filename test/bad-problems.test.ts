import { encodeConfig } from "@o1coder/selfplay/RunConfig"
import * as Demo from "@o1coder/selfplay/Demo"
import { demoProblemsPath } from "@o1coder/problems"
import * as NodeFs from "node:fs"
import * as NodeOs from "node:os"
import * as NodePath from "node:path"
import { describe, expect, it } from "vitest"
import { runCli, withPglite } from "./helpers.ts"

/**
 * `o1coder run` with a problems file holding a truncated JSON line and an unknown kind: it fails
 * before any work with both lines named (as `problems import` names them), on a fresh store
 * (not even created) and on an existing one (no run, no problem written).
 */
describe("a run with a broken problems file", () => {
  it("fails with every bad line named and writes nothing", { timeout: 120_000 }, async () => {
    const dir = NodeFs.mkdtempSync(NodePath.join(NodeOs.tmpdir(), "o1-badproblems-"))
    const good = NodeFs.readFileSync(demoProblemsPath(), "utf8").split("\n").slice(0, 3)
    const banana = JSON.stringify({ ...JSON.parse(good[2]!), id: "banana", kind: "banana" })
    const problems = NodePath.join(dir, "mine.jsonl")
    NodeFs.writeFileSync(problems, [good[0], good[1]!.slice(0, 80), good[2], banana, ""].join("\n"))
    const demo = Demo.config(dir, { name: "bad-problems", rounds: 1 })
    const configFile = NodePath.join(dir, "run.json")
    NodeFs.writeFileSync(configFile, JSON.stringify(encodeConfig({ ...demo, problems: { ...demo.problems, dataset: "mine", file: problems } })))

    const expectRefused = (r: { code: number | null; stdout: string; stderr: string }) => {
      expect(r.code, r.stderr).toBe(1)
      expect(r.stderr).toMatch(new RegExp(`${problems}:2: `))
      expect(r.stderr).toMatch(new RegExp(`${problems}:4: kind: `))
      expect(r.stderr).toContain("2 bad record(s); nothing was written")
      expect(r.stdout).not.toMatch(/^run: /m)
    }

    const freshDb = NodePath.join(dir, "fresh-db")
    expectRefused(await runCli(["run", "--config", configFile], { env: { O1CODER_DATA_DIR: freshDb } }))
    expect(NodeFs.existsSync(freshDb), "the store was created").toBe(false)

    const existingDb = NodePath.join(dir, "existing-db")
    expect((await runCli(["db", "migrate"], { env: { O1CODER_DATA_DIR: existingDb } })).code).toBe(0)
    expectRefused(await runCli(["run", "--config", configFile], { env: { O1CODER_DATA_DIR: existingDb } }))
    const counts = await withPglite(existingDb, (sql) =>
      sql.unsafe<{ runs: number; problems: number }>(`select (select count(*)::int from runs) as runs, (select count(*)::int from problems) as problems`)
    )
    expect(counts[0]).toEqual({ runs: 0, problems: 0 })

    // `problems import` names the same two lines.
    const imported = await runCli(["problems", "import", problems, "--format", "jsonl"], { env: { O1CODER_DATA_DIR: NodePath.join(dir, "import-db") } })
    expect(imported.code).toBe(1)
    expect(imported.stderr).toMatch(new RegExp(`${problems}:2: `))
    expect(imported.stderr).toMatch(new RegExp(`${problems}:4: kind: `))
    NodeFs.rmSync(dir, { recursive: true, force: true })
  })
})

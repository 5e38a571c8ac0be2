import * as NodeFs from "node:fs"
import * as NodeOs from "node:os"
import * as NodePath from "node:path"
import { REPO_ROOT } from "@o1coder/domain"
import { describe, expect, it } from "vitest"
import { runCli } from "./helpers.ts"

/**
 * `o1coder eval --samples FILE` as a user comparing with EvalPlus runs it: per-sample results in `--out` and
 * `eval show --samples`; a malformed line or another dataset's task id fails with every bad line named (exit 1)
 * unless `--lenient`; `--policy` with a samples file is a usage error (exit 2).
 */
const FIXTURE = NodePath.join(REPO_ROOT, "packages/eval/test/fixtures/mbpp-plus-oracles.jsonl")

describe("eval --samples: strictness and per-sample results", () => {
  it("exit codes, named bad lines, --out lines and eval show --samples", { timeout: 240_000 }, async () => {
    const dir = NodeFs.mkdtempSync(NodePath.join(NodeOs.tmpdir(), "o1-evalsamples-"))
    const env = { O1CODER_DATA_DIR: NodePath.join(dir, "db"), DATABASE_URL: "" }
    const imported = await runCli(["problems", "import", FIXTURE, "--format", "mbpp-plus"], { env })
    expect(imported.code, imported.stderr).toBe(0)

    const good = [
      { task_id: "Mbpp/2", solution: "def similar_elements(a, b):\n    return tuple(sorted(set(a) & set(b)))\n" },
      { task_id: "Mbpp/267", solution: "def square_Sum(n):\n    return n * (4 * n * n - 1) // 3\n" }
    ]
    const samples = NodePath.join(dir, "samples.jsonl")
    NodeFs.writeFileSync(samples, [...good.map((g) => JSON.stringify(g)), "{broken", JSON.stringify({ task_id: "HumanEval/2", solution: "x" }), JSON.stringify({ task_id: "Mbpp/2" })].join("\n") + "\n")

    const strict = await runCli(["eval", "--dataset", "mbpp-plus", "--samples", samples], { env })
    expect(strict.code, strict.stderr).toBe(1)
    expect(strict.stderr).toContain("line 3: not JSON")
    expect(strict.stderr).toContain("line 4: task HumanEval/2 is not of dataset mbpp-plus")
    expect(strict.stderr).toContain("line 5: task Mbpp/2: missing field")
    expect(strict.stderr).toContain("3 bad line(s) (3, 4, 5)")

    const withPolicy = await runCli(["eval", "--dataset", "mbpp-plus", "--samples", samples, "--policy", "reference"], { env })
    expect(withPolicy.code, withPolicy.stderr).toBe(2)
    expect(withPolicy.stderr).toContain("--policy reference cannot be used with --samples FILE")

    const out = NodePath.join(dir, "results.jsonl")
    const lenient = await runCli(["eval", "--dataset", "mbpp-plus", "--samples", samples, "--lenient", "--out", out], { env })
    expect(lenient.code, lenient.stderr).toBe(0)
    const lines = NodeFs.readFileSync(out, "utf8").trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>)
    expect(lines.map((l) => [l.task_id, l.line, l.passed])).toEqual([
      ["Mbpp/2", 1, true],
      ["Mbpp/267", 2, false]
    ])
    const failure = lines[1]!.first_failure as { input: string; seen: string; status: string }
    expect([failure.status, failure.input, failure.seen]).toEqual(["failed", "1000001", "1333337333337000001"])
    expect((lines[1]!.verdicts as Record<string, number>).failed).toBe(1)

    const id = /^evaluation (\S+):/m.exec(lenient.stdout)?.[1]
    expect(id, lenient.stdout).toBeDefined()
    const shown = await runCli(["eval", "show", id!, "--samples"], { env })
    expect(shown.code, shown.stderr).toBe(0)
    expect(shown.stdout).toContain("Mbpp/2 #0 (line 1): passed")
    expect(shown.stdout).toMatch(/Mbpp\/267 #0 \(line 2\): FAILED .*first failure: failed on \(1000001\) seen 1333337333337000001/)
    NodeFs.rmSync(dir, { recursive: true, force: true })
  })
})

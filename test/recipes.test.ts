import { REPO_ROOT } from "@o1coder/domain"
import { parquetReadObjects } from "hyparquet"
import { spawn, spawnSync } from "node:child_process"
import * as NodeFs from "node:fs"
import * as NodeHttp from "node:http"
import type { AddressInfo } from "node:net"
import * as NodeOs from "node:os"
import * as NodePath from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { runCli } from "./helpers.ts"

/**
 * The shipped recipes (recipes/) run by /usr/bin/python3 on a real export of the demo run, against
 * the stand-in trainer modules of recipes/testing/standins (TEST DOUBLES of TRL 0.19.1 and verl
 * 0.4.1 that check the model path, the dataset columns and where the checkpoint is written).
 */
const PYTHON = "/usr/bin/python3"
const RECIPES = NodePath.join(REPO_ROOT, "recipes")
const STANDINS = NodePath.join(RECIPES, "testing", "standins")
const dir = NodeFs.mkdtempSync(NodePath.join(NodeOs.tmpdir(), "o1-recipes-"))
const demoDir = NodePath.join(dir, "demo")
const exports: Record<string, { path: string; rows: number }> = {}

const cli = async (args: ReadonlyArray<string>) => {
  const r = await runCli(args, { env: { O1CODER_DATA_DIR: NodePath.join(demoDir, "db") } })
  if (r.code !== 0) throw new Error(`o1coder ${args.join(" ")} failed (${r.code}):\n${r.stdout}\n${r.stderr.slice(-3000)}`)
  return r.stdout
}

const python = (args: ReadonlyArray<string>, env: Record<string, string> = {}) =>
  spawnSync(PYTHON, args, { encoding: "utf8", env: { ...process.env, PYTHONPATH: STANDINS, ...env }, timeout: 120_000 })

const recipe = (script: string, model: string, data: string, out: string, extra: ReadonlyArray<string> = []) =>
  python([NodePath.join(RECIPES, "trl", script), "--model", model, "--data", data, "--output-dir", out, ...extra])

/** Runs python without blocking this process (the fake server it calls lives here). */
const pythonAsync = (args: ReadonlyArray<string>, env: Record<string, string>) =>
  new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(PYTHON, args, { env: { ...process.env, ...env } })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (d) => (stdout += d))
    child.stderr.on("data", (d) => (stderr += d))
    child.on("close", (status) => resolve({ status, stdout, stderr }))
  })

const standinRun = (out: string) => JSON.parse(NodeFs.readFileSync(NodePath.join(out, "standin-run.json"), "utf8"))

beforeAll(async () => {
  const demo = await runCli(["demo", "--data-dir", demoDir, "--fresh", "--limit", "12"])
  if (demo.code !== 0) throw new Error(`demo failed (${demo.code}):\n${demo.stderr.slice(-3000)}`)
  const runId = demo.stdout.match(/^run: (\S+)/m)![1]!
  const exported = async (name: string, args: ReadonlyArray<string>) => {
    const path = NodePath.join(dir, name)
    const json = JSON.parse(await cli([...args, "--out", path, "--json"]))
    exports[name] = { path, rows: (Array.isArray(json) ? json[0] : json).rows }
  }
  await exported("sft.jsonl", ["export", "sft", "--run", runId, "--round", "1", "--format", "prompt-completion"])
  await exported("sft-messages.jsonl", ["export", "sft", "--run", runId, "--round", "1"])
  await exported("prm.jsonl", ["export", "prm", "--run", runId, "--round", "1"])
  await exported("dpo.jsonl", ["export", "dpo", "--run", runId, "--round", "2"])
  await exported("verl.parquet", ["export", "verl", "--run", runId, "--round", "1"])
  await exported("tcg-sft.jsonl", ["tcg", "export", "--format", "sft", "--dataset", "demo"])
  await exported("tcg-dpo.jsonl", ["tcg", "export", "--format", "dpo", "--dataset", "demo"])
}, 900_000)

afterAll(() => NodeFs.rmSync(dir, { recursive: true, force: true }))

describe("TRL recipes (against the TRL 0.19.1 stand-ins)", () => {
  const cases = [
    ["policy SFT on D+ (prompt-completion)", "sft.py", "sft.jsonl", "SFTTrainer", ["prompt", "completion"]],
    ["policy SFT on D+ (messages)", "sft.py", "sft-messages.jsonl", "SFTTrainer", ["messages"]],
    ["PRM on the stepwise export", "prm.py", "prm.jsonl", "PRMTrainer", ["prompt", "completions", "labels"]],
    ["policy DPO", "dpo.py", "dpo.jsonl", "DPOTrainer", ["prompt", "chosen", "rejected"]],
    ["TCG SFT", "sft.py", "tcg-sft.jsonl", "SFTTrainer", ["prompt", "completion"]],
    ["TCG DPO", "dpo.py", "tcg-dpo.jsonl", "DPOTrainer", ["prompt", "chosen", "rejected"]]
  ] as const
  for (const [name, script, data, trainer, columns] of cases) {
    it(`${name}: ${script} loads the export as written and writes the checkpoint in --output-dir`, () => {
      const out = NodePath.join(dir, "out", data)
      const r = recipe(script, "Qwen/Qwen2.5-Coder-0.5B-Instruct", exports[data]!.path, out)
      expect(r.status, r.stderr).toBe(0)
      expect(exports[data]!.rows).toBeGreaterThan(0)
      const run = standinRun(out)
      expect(run).toMatchObject({ trainer, trl: "0.19.1", base_model: "Qwen/Qwen2.5-Coder-0.5B-Instruct", rows: exports[data]!.rows, columns })
      expect(run.config.output_dir).toBe(out)
      expect(NodeFs.existsSync(NodePath.join(out, "config.json"))).toBe(true)
    })
  }

  it("a later round trains from the previous checkpoint directory, and a LoRA adapter keeps training", () => {
    const sft = NodePath.join(dir, "out", "chain-sft")
    expect(recipe("sft.py", "Qwen/Qwen2.5-Coder-0.5B-Instruct", exports["sft.jsonl"]!.path, sft, ["--lora-r", "16"]).status).toBe(0)
    expect(JSON.parse(NodeFs.readFileSync(NodePath.join(sft, "adapter_config.json"), "utf8")).base_model_name_or_path).toBe("Qwen/Qwen2.5-Coder-0.5B-Instruct")
    const dpo = NodePath.join(dir, "out", "chain-dpo")
    const r = recipe("dpo.py", sft, exports["dpo.jsonl"]!.path, dpo, ["--lora-r", "16"])
    expect(r.status, r.stderr).toBe(0)
    expect(standinRun(dpo)).toMatchObject({ base_model: sft, model_class: "PeftModel(AutoModelForCausalLM)" })
  })

  it("exits non-zero on a model spec, a missing column, an empty export or a missing file", () => {
    const out = NodePath.join(dir, "out", "bad")
    const spec = recipe("dpo.py", "openai:http://gpu-node-1:8000/v1#Qwen/Qwen2.5-Coder-7B-Instruct", exports["dpo.jsonl"]!.path, out)
    expect(spec.status).toBe(1)
    expect(spec.stderr).toContain("neither an HF id (org/name) nor a directory")
    const columns = recipe("dpo.py", "Qwen/Q", exports["sft.jsonl"]!.path, out)
    expect(columns.status).toBe(2)
    expect(columns.stderr).toContain("missing column(s) ['chosen', 'rejected']")
    const empty = NodePath.join(dir, "empty.jsonl")
    NodeFs.writeFileSync(empty, "")
    expect(recipe("prm.py", "Qwen/Q", empty, out).stderr).toContain("no rows")
    expect(recipe("sft.py", "Qwen/Q", NodePath.join(dir, "nope.jsonl"), out).status).toBe(2)
    expect(NodeFs.existsSync(out)).toBe(false)
  })
})

/** A FAKE of o1coder's `/v1/reward` (the service itself is another issue's): records bodies, answers 0.75. */
const fakeRewardServer = (status = 200) =>
  new Promise<{ url: string; bodies: Array<any>; close: () => void }>((resolve) => {
    const bodies: Array<any> = []
    const server = NodeHttp.createServer((req, res) => {
      let text = ""
      req.on("data", (c) => (text += c))
      req.on("end", () => {
        bodies.push({ path: req.url, body: JSON.parse(text) })
        res.writeHead(status, { "content-type": "application/json" })
        const n = status === 200 ? JSON.parse(text).completions.length : 0
        res.end(JSON.stringify(status === 200 ? { results: Array.from({ length: n }, () => ({ reward: 0.75, compiled: true, passed: 3, total: 4 })) } : { error: "sandbox down" }))
      })
    })
    server.listen(0, "127.0.0.1", () => resolve({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, bodies, close: () => server.close() }))
  })

describe("verl GRPO recipe (against the verl 0.4.1 stand-in)", () => {
  it("grpo.sh runs main_ppo with the shipped config on the export and copies the last HF checkpoint to --output-dir", () => {
    const out = NodePath.join(dir, "out", "grpo")
    expect(exports["verl.parquet"]!.rows).toBeGreaterThan(0)
    const r = spawnSync("sh", [NodePath.join(RECIPES, "verl", "grpo.sh"), "--model", "Qwen/Qwen2.5-Coder-0.5B-Instruct", "--data", exports["verl.parquet"]!.path, "--output-dir", out, "trainer.n_gpus_per_node=1"], {
      encoding: "utf8",
      env: { ...process.env, PYTHONPATH: STANDINS, PYTHON },
      timeout: 120_000
    })
    expect(r.status, r.stderr).toBe(0)
    const run = standinRun(out)
    expect(run).toMatchObject({ trainer: "verl.main_ppo", verl: "0.4.1", adv_estimator: "grpo", group: 8, rows: exports["verl.parquet"]!.rows })
    expect(run.columns).toEqual(["ability", "data_source", "extra_info", "prompt", "reward_model"])
    expect(run.reward_function).toBe(NodePath.join(RECIPES, "verl", "o1coder_reward.py"))
    const bad = spawnSync("sh", [NodePath.join(RECIPES, "verl", "grpo.sh"), "--model", "Qwen/Q", "--data", exports["verl.parquet"]!.path, "--output-dir", out, "trainer.no_such_key=1"], {
      encoding: "utf8",
      env: { ...process.env, PYTHONPATH: STANDINS, PYTHON }
    })
    expect(bad.status).not.toBe(0)
    expect(bad.stderr).toContain("Could not override 'trainer.no_such_key'")
  })

  it("o1coder_reward.compute_score posts each exported row's completion and suite to /v1/reward", async () => {
    const buf = NodeFs.readFileSync(exports["verl.parquet"]!.path)
    const rows: Array<any> = await parquetReadObjects({ file: buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer })
    const calls = rows.slice(0, 3).map((r) => ({
      data_source: r.data_source,
      solution_str: "### Step 1 [A3]\n```python\ndef f():\n    return 1\n```",
      ground_truth: r.reward_model.ground_truth,
      extra_info: { ...r.extra_info, index: Number(r.extra_info.index) }
    }))
    const input = NodePath.join(dir, "reward-calls.json")
    NodeFs.writeFileSync(input, JSON.stringify(calls))
    const driver = `import json, sys\nsys.path.insert(0, ${JSON.stringify(NodePath.join(RECIPES, "verl"))})\nfrom o1coder_reward import compute_score\nfor c in json.load(open(sys.argv[1])):\n    print(compute_score(c["data_source"], c["solution_str"], c["ground_truth"], c["extra_info"]))\n`
    const fake = await fakeRewardServer()
    try {
      const r = await pythonAsync(["-c", driver, input], { O1CODER_REWARD_URL: fake.url, O1CODER_REWARD_RUN: "grpo-test" })
      expect(r.status, r.stderr).toBe(0)
      expect(r.stdout.trim().split("\n")).toEqual(calls.map(() => "0.75"))
      expect(fake.bodies.length).toBe(calls.length)
      fake.bodies.forEach(({ body, path }, i) => {
        expect(path).toBe("/v1/reward")
        expect(body.run).toBe("grpo-test")
        const [item] = body.completions
        const truth = JSON.parse(calls[i]!.ground_truth)
        expect(item).toEqual({ completion: calls[i]!.solution_str, problem: truth.problem, problem_id: truth.problem_id, suite_id: truth.suite_id })
        expect(item.problem.tests.length).toBeGreaterThan(0)
        expect(item.problem_id).toBe(calls[i]!.extra_info.problem_id)
        expect(item.suite_id).toBe(calls[i]!.extra_info.suite_id)
      })
    } finally {
      fake.close()
    }
    const down = await fakeRewardServer(500)
    try {
      const r = await pythonAsync(["-c", driver, input], { O1CODER_REWARD_URL: down.url })
      expect(r.status).not.toBe(0)
      expect(r.stderr).toContain(`o1coder reward service ${down.url}/v1/reward answered HTTP 500`)
    } finally {
      down.close()
    }
  })
})

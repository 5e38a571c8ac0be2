import { sharedDataFile } from "@o1coder/domain"
import { demoProblemsPath } from "@o1coder/problems/Demo"
import * as NodeFs from "node:fs"
import * as NodeOs from "node:os"
import * as NodePath from "node:path"
import { describe, expect, it } from "vitest"
import * as YAML from "yaml"
import { runCli, withPglite } from "./helpers.ts"

/**
 * A real model through every stage: every role (policy, test generator, PRM judge for PUCT) is
 * the in-process llama backend on the tiny stories260K GGUF (it writes children's stories, so
 * its code fails: the point is the path, not the score). Training is a local command that copies
 * the model file; round 2 searches with the copied file as its policy version.
 */
const model = sharedDataFile("models/stories260K.gguf")

describe("llama round", () => {
  it.skipIf(model.missing !== undefined)(
    `runs TCG, search, export, training and evaluation on the llama backend${model.missing ? ` (skipped: ${model.missing})` : ""}`,
    { timeout: 400_000 },
    async () => {
      const dir = NodeFs.mkdtempSync(NodePath.join(NodeOs.tmpdir(), "o1-llama-"))
      const spec = `llama:${model.path}`
      const copy = { command: 'base={base_model_spec}; mkdir -p {output_dir} && cp "${base#llama:}" {output_dir}/model.gguf', outputSpec: "llama:{output_dir}/model.gguf" }
      const config = {
        name: "llama-round",
        problems: { dataset: "demo", file: demoProblemsPath(), split: "test", limit: 3 },
        models: { policy: spec, tcg: spec, prm: spec },
        tests: { generator: "all", budget: 5, mutants: 0, llmSamples: 1 },
        search: { rollouts: 2, maxDepth: 2, width: 2, maxTokens: 48, selection: "puct", testSeconds: 2, programSeconds: 10 },
        training: { backend: "local", workDir: "work", pollSeconds: 0.5, stages: { sft: copy, prm: copy } },
        rounds: { count: 2, plan: [{ train: ["sft", "prm"] }, { train: [] }] },
        concurrency: { searches: 1, tcg: 1 }
      }
      const file = NodePath.join(dir, "llama.yaml")
      NodeFs.writeFileSync(file, YAML.stringify(config))
      const result = await runCli(["run", "--config", file], { cwd: dir, env: { O1CODER_DATA_DIR: NodePath.join(dir, "db"), O1CODER_LLAMA_THREADS: process.env.O1CODER_LLAMA_THREADS ?? "1" } })
      if (result.code !== 0) throw new Error(`run failed (${result.code}):\n${result.stdout}\n${result.stderr.slice(-4000)}`)
      const runId = result.stdout.match(/^run: (\S+)/m)![1]!

      const q = (text: string) => withPglite(NodePath.join(dir, "db"), (sql) => sql.unsafe<Record<string, any>>(text, [runId]))
      const calls = await q(`select role, model_version, count(*)::int as n from model_calls where run_id = $1 group by 1, 2 order by 1, 2`)
      console.log(`llama model calls: ${calls.map((c) => `${c.role} ${c.model_version} ${c.n}`).join("; ")}`)
      for (const role of ["policy", "tcg", "prm"]) {
        expect(calls.some((c) => c.role === role && String(c.model_version).startsWith("llama:")), `${role} made llama calls`).toBe(true)
      }
      const searches = await q(`select round::int as round, count(*)::int as n, sum((select count(*) from nodes n where n.search_id = s.id))::int as nodes
        from searches s where run_id = $1 and status = 'completed' group by 1 order by 1`)
      expect(searches.map((s) => [s.round, s.n])).toEqual([[1, 3], [2, 3]])
      expect(searches[0]!.nodes).toBeGreaterThan(3)
      const jobs = await q(`select stage, status from training_jobs where run_id = $1 order by stage`)
      expect(jobs).toEqual([{ stage: "policy-sft", status: "succeeded" }, { stage: "prm", status: "succeeded" }])
      const trained = await q(`select id, role, spec from model_versions where run_id = $1 and job_id is not null order by role`)
      expect(trained.map((v) => v.role)).toEqual(["policy", "prm"])
      for (const v of trained) {
        expect(v.spec).toMatch(/^llama:.*model\.gguf$/)
        expect(NodeFs.statSync(v.spec.slice("llama:".length)).size).toBe(NodeFs.statSync(model.path).size)
      }
      // The rollover: round 2 searched with the copied model, and its calls name that file.
      const rounds = await q(`select round::int as round, policy_version from rounds where run_id = $1 order by round`)
      expect(rounds[1]!.policy_version).toBe(trained.find((v) => v.role === "policy")!.id)
      expect(calls.some((c) => c.role === "policy" && c.model_version === "llama:model.gguf")).toBe(true)
      const evaluations = await q(`select round::int as round from evaluations where run_id = $1 order by round`)
      expect(evaluations.map((e) => e.round)).toEqual([1, 2])
      NodeFs.rmSync(dir, { recursive: true, force: true })
    }
  )
})

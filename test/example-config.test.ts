import { sharedDataFile } from "@o1coder/domain"
import { exampleYaml } from "@o1coder/selfplay/ExampleConfig"
import * as FakeRay from "@o1coder/training/testing/FakeRayServer"
import { Effect, Exit, Scope } from "effect"
import { execSync } from "node:child_process"
import * as NodeFs from "node:fs"
import * as NodeOs from "node:os"
import * as NodePath from "node:path"
import { describe, expect, it } from "vitest"
import * as YAML from "yaml"
import { runCli, withPglite } from "./helpers.ts"

/**
 * The shipped real-run example (packages/selfplay/examples/vllm-slurm.yaml, an `o1coder init`
 * output) run end to end with the SIMULATED policy: its structure, dataset (MBPP) and backend are
 * kept; what needs GPUs is swapped for what this machine has (the simulated policy and its
 * trainer command as `init --policy simulated` writes them, a small search, the local Slurm
 * partition; the vLLM LoRA serving is dropped since simulated versions are not served). Once on
 * the real Slurm and once on the fake Ray Jobs server.
 */
const EXAMPLE = new URL("../packages/selfplay/examples/vllm-slurm.yaml", import.meta.url)
const mbpp = sharedDataFile("mbpp/mbpp.jsonl")
const hasSlurm = (() => {
  try {
    return execSync("sinfo -h -o %P", { encoding: "utf8" }).trim().length > 0
  } catch {
    return false
  }
})()

const simulated = (backend: "slurm" | "ray", dir: string, extra: Record<string, unknown>) => {
  const config = YAML.parse(NodeFs.readFileSync(EXAMPLE, "utf8"))
  const offline = YAML.parse(exampleYaml({ dataset: "mbpp", backend, policy: "simulated", file: mbpp.path }))
  config.name = `example-${backend}-${process.pid}`
  config.problems = { ...config.problems, file: mbpp.path, limit: 4 }
  delete config.problems.evalSplit // scoring all 500 test problems is the real run's job, not this test's
  config.models = offline.models
  config.tests = { ...config.tests, budget: 10, mutants: 0 }
  config.search = { ...config.search, rollouts: 4, maxDepth: 4 }
  config.training = { ...config.training, backend, workDir: NodePath.join(dir, "runs"), pollSeconds: 1, stages: offline.training.stages, ...extra }
  config.rounds = { ...config.rounds, count: 2 }
  config.concurrency = { searches: 2, tcg: 2 }
  const file = NodePath.join(dir, `${backend}.yaml`)
  NodeFs.writeFileSync(file, YAML.stringify(config))
  return file
}

const runExample = async (backend: "slurm" | "ray", extra: Record<string, unknown>) => {
  const dir = NodeFs.mkdtempSync(NodePath.join(NodeOs.tmpdir(), `o1-example-${backend}-`))
  const db = NodePath.join(dir, "db")
  const result = await runCli(["run", "--config", simulated(backend, dir, extra)], { env: { O1CODER_DATA_DIR: db } })
  if (result.code !== 0) throw new Error(`run failed (${result.code}):\n${result.stdout}\n${result.stderr.slice(-4000)}`)
  const runId = result.stdout.match(/^run: (\S+)/m)![1]!
  const facts = await withPglite(db, (sql) =>
    sql.unsafe<Record<string, any>>(`
      select
        (select status from runs where id = $1) as status,
        (select count(*)::int from training_jobs where run_id = $1 and backend = $2 and status = 'succeeded') as jobs,
        (select count(*)::int from model_versions where run_id = $1 and job_id is not null and checkpoint like '%/output') as versions,
        (select policy_version from rounds where run_id = $1 and round = 2) as round2_policy,
        (select id from model_versions where run_id = $1 and round = 1 and role = 'policy') as sft_version
    `, [runId, backend])
  )
  NodeFs.rmSync(dir, { recursive: true, force: true })
  return facts[0]!
}

describe("the vllm-slurm example, end to end with the simulated policy", () => {
  it.skipIf(mbpp.missing !== undefined || !hasSlurm)("on the real Slurm", { timeout: 1_200_000 }, async () => {
    const partition = execSync("sinfo -h -o %P", { encoding: "utf8" }).trim().split("\n")[0]!.replace(/\*$/, "")
    const f = await runExample("slurm", { slurm: { partition, time: "00:20:00" } })
    expect(f.status).toBe("completed")
    expect(f.jobs).toBe(4) // round 1 sft + prm, round 2 prm + dpo, each an sbatch job
    expect(f.versions).toBe(4)
    expect(f.round2_policy).toBe(f.sft_version)
  })

  it.skipIf(mbpp.missing !== undefined)("on the fake Ray Jobs server", { timeout: 1_200_000 }, async () => {
    const scope = Effect.runSync(Scope.make())
    const ray = await Effect.runPromise(Scope.extend(FakeRay.makeOn(0), scope))
    try {
      const f = await runExample("ray", { ray: { address: ray.address } })
      expect(f.status).toBe("completed")
      expect(f.jobs).toBe(4)
      expect(f.round2_policy).toBe(f.sft_version)
      expect([...ray.jobs.values()].every((j) => j.status === "SUCCEEDED")).toBe(true)
    } finally {
      await Effect.runPromise(Scope.close(scope, Exit.void))
    }
  })
})

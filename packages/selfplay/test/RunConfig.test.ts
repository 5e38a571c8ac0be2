import { Either } from "effect"
import * as NodeFs from "node:fs"
import { describe, expect, it } from "vitest"
import { exampleYaml, KNOWN_DATASETS, VLLM_SLURM_EXAMPLE } from "../src/ExampleConfig.ts"
import * as Demo from "../src/Demo.ts"
import { decodeConfig, encodeConfig, parseConfigText, planFor, runIdFor } from "../src/RunConfig.ts"

const EXAMPLE = new URL("../examples/vllm-slurm.yaml", import.meta.url)

const minimal = {
  name: "t",
  problems: { dataset: "demo" },
  models: { policy: "simulated" },
  training: { backend: "local", stages: { sft: { command: "true" }, prm: { command: "true" }, dpo: { command: "true" } } }
}

const problemsOf = (value: unknown): ReadonlyArray<string> =>
  Either.match(decodeConfig(value), { onLeft: (e) => e.problems, onRight: () => [] })

describe("RunConfig", () => {
  it("fills the paper's defaults", () => {
    const config = Either.getOrThrow(decodeConfig(minimal))
    expect(config.search.rollouts).toBe(15)
    expect(config.search.maxDepth).toBe(5)
    expect(config.search.width).toBe(3)
    expect(config.search.exploration).toBe(2)
    expect(config.search.temperature).toBe(0.8)
    expect(config.reward.alpha).toBe(0)
    expect(planFor(config, 1)).toEqual(["sft", "prm"])
    expect(planFor(config, 2)).toEqual(["prm", "dpo"])
    expect(planFor(config, 7)).toEqual(["prm", "dpo"])
    // The worked examples are on unless turned off, and a config without the field keeps its run id.
    expect(config.search.examples).toBeUndefined()
    expect(Object.keys(encodeConfig(config).search ?? {})).not.toContain("examples")
    expect(Either.getOrThrow(decodeConfig({ ...minimal, search: { examples: false, maxTokens: 64 } })).search).toMatchObject({
      examples: false,
      maxTokens: 64
    })
  })

  it("rejects unknown placeholders and a first training without a checkpoint, naming the field", () => {
    const stages = (sft: Record<string, unknown>) => ({ ...minimal, training: { ...minimal.training, stages: { ...minimal.training.stages, sft } } })
    expect(problemsOf(stages({ command: "trl sft --model_name_or_path {base_model} --out {output_dir}" }))).toEqual([
      expect.stringMatching(/^training\.stages\.sft\.command: unknown placeholder \{base_model\}: use \{base_model_path\}/)
    ])
    expect(problemsOf(stages({ command: "true", outputSpec: "openai:http://h/v1#{checkpoint_dir}" }))[0]).toContain(
      "training.stages.sft.outputSpec: unknown placeholder {checkpoint_dir}"
    )
    expect(problemsOf(stages({ command: "python sft.py --model {base_model_path}" }))).toEqual([
      "training.stages.sft.command: uses {base_model_path} but models.checkpoints.policy is not set (the HF id or directory the first policy is trained from)"
    ])
    expect(problemsOf({ ...stages({ command: "python sft.py --model {base_model_path}" }), models: { policy: "simulated", checkpoints: { policy: "Qwen/Qwen2.5-0.5B" } } })).toEqual([])
    expect(problemsOf(stages({ command: "true", serve: { url: "http://h/v1" } }))).toEqual([
      "training.stages.sft.serve: set exactly one of command (start a server on the checkpoint) and lora: true (load it into the server at url)"
    ])
  })

  it("names the path of each kind of mistake", () => {
    const cases: ReadonlyArray<[unknown, string]> = [
      [{ ...minimal, search: { rollouts: -3 } }, "search.rollouts: expected a positive integer, got -3"],
      [{ ...minimal, search: { rollouts: "many" } }, 'search.rollouts: expected a positive integer, got "many"'],
      [{ ...minimal, search: { topP: 1.5 } }, "search.topP: expected a number between 0 and 1, got 1.5"],
      [{ ...minimal, search: { rolouts: 3 } }, "search.rolouts: unknown field"],
      [{ ...minimal, problems: {} }, "problems.dataset: required field is missing"],
      [{ ...minimal, name: "" }, 'name: expected a non-empty string, got ""'],
      [{ ...minimal, training: { backend: "kubernetes" } }, 'training.backend: expected one of "local", "slurm", "ray", got "kubernetes"'],
      [{ ...minimal, rounds: { plan: [{ train: ["sft", "ppo"] }] } }, 'rounds.plan[0].train[1]: expected one of'],
      [{ ...minimal, training: { backend: "local" } }, "training.stages.sft.command: required field is missing"],
      [{ ...minimal, tests: { generator: "llm" } }, "models.tcg: required when tests.generator is \"llm\""],
      [{ ...minimal, tests: { budget: 0 } }, "tests.budget: expected a positive integer, got 0"],
      [{ ...minimal, evaluation: { enabled: "yes" } }, 'evaluation.enabled: expected true or false, got "yes"'],
      [{ ...minimal, search: { examples: "off" } }, 'search.examples: expected true or false, got "off"']
    ]
    for (const [value, message] of cases) {
      const problems = problemsOf(value)
      expect(problems.length, JSON.stringify(value)).toBeGreaterThan(0)
      expect(problems.some((p) => p.startsWith(message)), `${problems.join("; ")} should include ${message}`).toBe(true)
    }
  })

  it("reports YAML syntax errors and non-mappings", () => {
    const bad = parseConfigText("name: [unclosed", "x.yaml")
    expect(Either.isLeft(bad) && bad.left.problems[0]).toMatch(/^cannot parse/)
    const list = parseConfigText("- 1\n- 2\n", "x.yaml")
    expect(Either.isLeft(list) && list.left.message).toContain("x.yaml")
  })

  it("the real-run example (vLLM policy, Slurm training) is what `o1coder init` writes for it", () => {
    const text = NodeFs.readFileSync(EXAMPLE, "utf8")
    expect(text).toBe(exampleYaml(VLLM_SLURM_EXAMPLE))
    const parsed = parseConfigText(text, "vllm-slurm.yaml")
    if (Either.isLeft(parsed)) throw new Error(parsed.left.message)
    expect(parsed.right.training.backend).toBe("slurm")
    expect(parsed.right.models.policy).toMatch(/^openai:http/)
    expect(parsed.right.models.checkpoints?.policy).toBe("Qwen/Qwen2.5-Coder-7B-Instruct")
    expect(parsed.right.training.stages.sft?.command).toContain("python /shared/o1coder/recipes/trl/sft.py --model {base_model_path}")
    expect(parsed.right.training.stages.sft?.serve).toMatchObject({ url: "http://gpu-node-1:8000/v1", lora: true })
    expect(parsed.right.problems).toMatchObject({ dataset: "mbpp", split: "train", evalSplit: "test" })
  })

  it("init writes a valid configuration for every known dataset and backend", () => {
    for (const dataset of Object.keys(KNOWN_DATASETS)) {
      for (const backend of ["local", "slurm", "ray"] as const) {
        for (const policy of [undefined, "simulated"]) {
          const options = { dataset, backend, policy, file: dataset === "demo" ? undefined : "/data/problems.jsonl" }
          const parsed = parseConfigText(exampleYaml(options), `${dataset}-${backend}.yaml`)
          if (Either.isLeft(parsed)) throw new Error(`${dataset} ${backend} ${policy}: ${parsed.left.message}`)
          expect(parsed.right.problems.dataset).toBe(dataset)
          expect(parsed.right.training.backend).toBe(backend)
          const command = parsed.right.training.stages.sft!.command!
          expect(command.startsWith("srun ")).toBe(backend === "slurm")
          if (parsed.right.models.policy === "simulated" && dataset !== "demo") expect(command).toContain(`--problems "/data/problems.jsonl" --format ${KNOWN_DATASETS[dataset]!.format} --dataset ${dataset}`)
        }
      }
    }
    expect(() => exampleYaml({ dataset: "mbpp", backend: "local", policy: "simulated" })).toThrow(/pass --file/)
  })

  it("accepts the tiny example (one round, no training)", () => {
    const parsed = parseConfigText(NodeFs.readFileSync(new URL("../examples/tiny.yaml", import.meta.url), "utf8"), "tiny.yaml")
    if (Either.isLeft(parsed)) throw new Error(parsed.left.message)
    expect(parsed.right.rounds.plan).toEqual([{ train: [] }])
  })

  it("accepts the example `o1coder init` writes and the demo's configuration", () => {
    const parsed = parseConfigText(exampleYaml({ dataset: "demo", backend: "local" }), "o1coder.yaml")
    if (Either.isLeft(parsed)) throw new Error(parsed.left.message)
    expect(parsed.right.training.backend).toBe("local")
    const demo = Demo.config("/tmp/o1-demo")
    expect(demo.rounds.count).toBe(2)
    // The same configuration names the same run; a change names another.
    expect(runIdFor(demo)).toBe(runIdFor(Demo.config("/tmp/o1-demo")))
    expect(runIdFor(demo)).not.toBe(runIdFor(Demo.config("/tmp/o1-demo", { rollouts: 3 })))
  })
})

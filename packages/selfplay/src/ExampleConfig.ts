import { REPO_ROOT } from "@o1coder/domain"
import { demoProblemsPath, DEMO_DATASET } from "@o1coder/problems/Demo"
import * as NodePath from "node:path"
import { TRAIN_SIMULATED_SCRIPT, tsxCommand } from "./Demo.ts"

/** A YAML double-quoted string (JSON's escaping is valid YAML). */
const q = (text: string) => JSON.stringify(text)

/** What `o1coder init` knows of a dataset: how to import it and which splits to search and score. */
interface DatasetFacts {
  readonly format: string
  readonly split: string
  readonly evalSplit?: string | undefined
  readonly limit?: number | undefined
  readonly example: string
}

export const KNOWN_DATASETS: Record<string, DatasetFacts> = {
  demo: { format: "jsonl", split: "test", example: "(bundled)" },
  mbpp: { format: "mbpp", split: "train", evalSplit: "test", limit: 374, example: "../shared/data/mbpp/mbpp.jsonl" },
  "mbpp-plus": { format: "mbpp-plus", split: "test", example: "../shared/data/mbpp-plus/MbppPlus.jsonl" },
  humaneval: { format: "humaneval", split: "test", example: "HumanEval.jsonl" },
  apps: { format: "apps", split: "train", example: "../shared/data/apps/..." }
}

export interface InitOptions {
  /** `problems.dataset`: a known benchmark (demo, mbpp, mbpp-plus, humaneval, apps) or any imported dataset name. */
  readonly dataset: string
  readonly backend: "local" | "slurm" | "ray"
  /** Policy model spec; default `simulated` for the demo, else a vLLM endpoint on this machine. */
  readonly policy?: string | undefined
  /** What the first policy is trained from (HF id or directory); default the model name of an `openai:` spec. */
  readonly checkpoint?: string | undefined
  /** A problems file imported before the run (`problems.file`); the simulated trainer reads it too. */
  readonly file?: string | undefined
  /** The recipes directory the training commands run (default: this checkout's `recipes/`). */
  readonly recipes?: string | undefined
  /** `training.workDir` (default `.o1coder/runs`). */
  readonly workDir?: string | undefined
}

export class InitError extends Error {}

const modelNameOf = (spec: string): string | undefined => (spec.startsWith("openai:") && spec.includes("#") ? spec.slice(spec.indexOf("#") + 1) : undefined)
const baseUrlOf = (spec: string): string => spec.slice("openai:".length, spec.includes("#") ? spec.indexOf("#") : undefined).split(",")[0]!

/** How each backend runs a training command: locally as is, under srun in an sbatch script, as a Ray entrypoint. */
const launcher = { local: "", slurm: "srun ", ray: "" } as const

const backendSection = (backend: InitOptions["backend"]): string =>
  backend === "slurm"
    ? `  slurm:                       # #SBATCH lines of every job (training and serving)
    partition: gpu
    gpus: 8
    time: "12:00:00"
`
    : backend === "ray"
      ? `  ray:
    address: "http://ray-head:8265"   # the Ray dashboard (Jobs REST API)
`
      : ""

const backendNote = {
  local: "    # local: each command runs as a detached process in its job directory (logs: train.log).",
  slurm: "    # slurm: each command is the body of an sbatch script (srun launches it on the allocation).",
  ray: "    # ray: each command is a Ray job entrypoint; the recipes path must exist on the cluster."
} as const

/** Training stages with the shipped TRL recipes (a real policy served by vLLM). */
const recipeStages = (o: InitOptions, policy: string): string => {
  const recipes = o.recipes ?? NodePath.join(REPO_ROOT, "recipes")
  const run = (script: string, extra = "") =>
    q(`${launcher[o.backend]}python ${recipes}/trl/${script} --model {base_model_path} --data {dataset} --output-dir {output_dir}${extra}`)
  const url = baseUrlOf(policy)
  const served = `      serve:                   # the policy server loads each new adapter by name; the next round samples it
        url: ${q(url)}
        lora: true
        model: "{job_id}"
`
  return `    sft:                       # policy SFT on D+ (TRL SFTTrainer, prompt-completion export)
      command: ${run("sft.py", " --lora-r 64")}
${served}    prm:                       # the PRM (TRL PRMTrainer on the trl-stepwise export)
      command: ${run("prm.py")}
    dpo:                       # policy RL by iterative DPO (TRL DPOTrainer on the preference export)
      command: ${run("dpo.py", " --lora-r 64")}
${served}      env:
        WANDB_PROJECT: o1coder
    # grpo:                    # online RL with verl (GRPO) rewarded by o1coder (recipes/verl, README)
    #   command: ${q(`${launcher[o.backend]}bash ${recipes}/verl/grpo.sh --model {base_model_path} --data {dataset} --output-dir {output_dir}`)}
    # tcg-sft / tcg-dpo: the same sft.py / dpo.py on the TCG exports
`
}

/** Training stages with the simulated policy's trainer (offline; no GPU, no model). */
const simulatedStages = (o: InitOptions, facts: DatasetFacts, file: string): string => {
  const train = `${launcher[o.backend]}${tsxCommand(TRAIN_SIMULATED_SCRIPT)} --data {dataset} --out {output_dir}`
  const policy = `${train} --base {base_model_spec} --problems ${q(file)} --format ${facts.format} --dataset ${o.dataset}`
  return `    sft:
      command: ${q(policy)}
      outputSpec: "simulated:{output_dir}/params.json"
    prm:
      command: ${q(train)}
      outputSpec: "simulated-prm:{output_dir}/prm.json"
    dpo:
      command: ${q(policy)}
      outputSpec: "simulated:{output_dir}/params.json"
`
}

/**
 * The commented configuration `o1coder init` writes for a dataset and a training backend. With
 * the simulated policy (default for the demo) it runs offline as is; with a real policy the
 * training commands are the shipped TRL recipes and each new policy is served before the next
 * round samples from it.
 */
export const exampleYaml = (o: InitOptions): string => {
  const facts: DatasetFacts = KNOWN_DATASETS[o.dataset] ?? { format: "jsonl", split: "train", example: "FILE.jsonl" }
  const policy = o.policy ?? (o.dataset === DEMO_DATASET ? "simulated" : "openai:http://127.0.0.1:8000/v1#Qwen/Qwen2.5-Coder-7B-Instruct")
  const simulated = policy === "simulated" || policy.startsWith("simulated:")
  const file = o.file ?? (o.dataset === DEMO_DATASET ? demoProblemsPath() : undefined)
  if (simulated && file === undefined) {
    throw new InitError(`the simulated policy's trainer reads the problems: pass --file (e.g. --file ${facts.example})`)
  }
  const checkpoint = o.checkpoint ?? modelNameOf(policy)
  if (!simulated && checkpoint === undefined) {
    throw new InitError(`--checkpoint is required: the HF id or directory the policy ${policy} is trained from`)
  }
  const importHint = file === undefined
    ? `#   npx o1coder problems import ${facts.example} --format ${facts.format}${o.dataset !== facts.format ? ` --dataset ${o.dataset}` : ""}\n`
    : ""
  const flags = [
    ["policy", o.policy],
    ["checkpoint", o.checkpoint],
    ["file", o.file],
    ["recipes", o.recipes],
    ["work-dir", o.workDir]
  ].flatMap(([k, v]) => (v === undefined ? [] : [` --${k} ${q(v)}`])).join("")
  return `# o1coder run configuration (JSON or YAML), written by:
#   npx o1coder init --dataset ${o.dataset} --backend ${o.backend}${flags}
# Validate and start with:
${importHint}#   npx o1coder run --config o1coder.yaml
# A run's id is its name plus a hash of this file's content: running the same file again
# continues the same run; \`o1coder resume RUN\` does too.
name: ${o.dataset}-${simulated ? "simulated" : "policy"}-${o.backend}
seed: 1                        # every sampling seed derives from this

problems:
  dataset: ${o.dataset}               # rows of the problems table with this dataset name
${file !== undefined ? `  file: ${q(file)}   # imported before the run\n` : ""}  split: ${facts.split}                  # searched every round (visible material only; held-out tests score)
${facts.limit !== undefined ? `  limit: ${facts.limit}                   # first N problems of the split\n` : "  # limit: 8                   # first N problems of the split\n"}${facts.evalSplit !== undefined ? `  evalSplit: ${facts.evalSplit}              # scored on held-out tests after each round\n` : "  # evalSplit: test            # scored on held-out tests after each round (default: split)\n"}
models:
  # Model specs: simulated (offline test double), llama:/path/model.gguf (in-process),
  # openai:http://host:8000/v1#model-name (vLLM, SGLang, llama.cpp server, Ollama, hosted APIs).
  policy: ${q(policy)}
${simulated ? "  tcg: simulated-tcg           # test generator (the llm generator)\n" : `  # tcg: "openai:http://127.0.0.1:8001/v1#o1coder/tcg"   # test generator (the llm generator)
  checkpoints:                 # what each role's first training loads ({base_model_path})
    policy: ${q(checkpoint!)}
    prm: "Qwen/Qwen2.5-Coder-1.5B-Instruct"
`}
tests:
  # dataset (visible tests) | mutation (inputs mutated by type, labelled by the reference) |
  # llm (models.tcg in the paper's template) | all (the three; llm only with models.tcg) | reduced.
  # Every suite is extended until no trivial program (a constant, an argument, None, ...) passes it.
  generator: all
  budget: ${simulated ? 20 : 60}                   # mutated inputs tried per problem
  mutants: ${simulated ? 0 : 20}                   # reference mutants for the suite's mutation score (0: skip)
  llmSamples: 2

search:                        # MCTS over pseudocode steps
  rollouts: 15
  maxDepth: 5
  width: 3                     # children per expansion, one request with n = 3
  exploration: 2.0             # UCT constant c
  temperature: 0.8
  topP: 0.95
  topK: 40
  maxTokens: ${simulated ? 512 : 768}               # per step (o1coder search --step-max-tokens)
  examples: true               # worked examples in the step prompt (false for a small context window)
  earlyStop: ${simulated ? "false" : "true"}             # stop a search at the first passing path
  testSeconds: 3               # sandbox deadline per test
  programSeconds: 20           # and per candidate program

reward:
  alpha: 0                     # terminal reward = alpha*compile + (1-alpha)*pass_ratio
  gamma: 0.9

training:
  backend: ${o.backend}               # local | slurm | ray
  workDir: ${q(o.workDir ?? ".o1coder/runs")}       # exports and job outputs (shared storage for slurm and ray)
  pollSeconds: ${o.backend === "local" ? 5 : 60}              # durable sleep between polls of a running job
${backendSection(o.backend)}  stages:
    # One entry per stage that rounds.plan trains. Placeholders (shell-quoted): {base_model_path}
    # (HF id or checkpoint directory of the parent version), {base_model_spec}, {parent_version},
    # {dataset}, {dataset_format}, {datasets_json}, {output_dir}, {job_id}, {stage}, {run_id}, {round}.
${backendNote[o.backend]}
${simulated ? simulatedStages(o, facts, file!) : recipeStages(o, policy)}
rounds:
  count: ${simulated ? 2 : 4}
  plan:                        # what round i trains (the last entry repeats)
    - train: [sft, prm]        # round 1 (the paper): SFT on D+, then the PRM
    - train: [prm, dpo]        # later rounds: PRM, then policy RL by iterative DPO

evaluation:
  enabled: true                # pass@1 of each round's answers on held-out tests
  samples: 1

concurrency:
  searches: ${simulated ? 2 : 32}             # concurrent searches${simulated ? "" : " (the vLLM fleet batches their requests)"}
  tcg: ${simulated ? 2 : 8}
`
}

/** The arguments `packages/selfplay/examples/vllm-slurm.yaml` is written with. */
export const VLLM_SLURM_EXAMPLE: InitOptions = {
  dataset: "mbpp",
  backend: "slurm",
  policy: "openai:http://gpu-node-1:8000/v1#Qwen/Qwen2.5-Coder-7B-Instruct",
  recipes: "/shared/o1coder/recipes",
  workDir: "/shared/o1coder/runs"
}

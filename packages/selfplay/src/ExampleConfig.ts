import { demoProblemsPath, DEMO_DATASET } from "@o1coder/problems/Demo"
import { TRAIN_SIMULATED_SCRIPT, tsxCommand } from "./Demo.ts"

/** A YAML double-quoted string (JSON's escaping is valid YAML). */
const q = (text: string) => JSON.stringify(text)

/**
 * The commented configuration `o1coder init` writes: a small offline run (the simulated policy,
 * the bundled demo problems, the local trainer) that works as is, with the real-run fields shown.
 */
export const exampleYaml = (): string => {
  const train = `${tsxCommand(TRAIN_SIMULATED_SCRIPT)} --data {dataset} --out {output_dir}`
  const policyTrain = `${train} --base {base_model_spec} --problems ${q(demoProblemsPath())} --dataset ${DEMO_DATASET}`
  return `# o1coder run configuration (JSON or YAML). Validate and start with:
#   npx o1coder run --config o1coder.yaml
# A run's id is its name plus a hash of this file's content: running the same file again
# continues the same run; \`o1coder resume RUN\` does too.
name: my-first-run
seed: 1                        # every sampling seed derives from this

problems:
  dataset: ${DEMO_DATASET}               # rows of the problems table with this dataset name
  file: ${q(demoProblemsPath())}   # imported before the run (generic JSONL); optional
  split: test                  # searched every round (visible material only; held-out tests score)
  # limit: 8                   # first N problems of the split
  # evalSplit: test            # scored on held-out tests after each round (default: split)

models:
  # Model specs: simulated (offline), llama:/path/model.gguf (in-process),
  # openai:http://host:8000/v1#model-name (vLLM, SGLang, llama.cpp server, Ollama, hosted APIs).
  policy: simulated
  # tcg: simulated-tcg         # test generator (needed by the llm generator)
  # prm: tree-values           # process reward model

tests:
  # dataset (visible tests) | mutation (inputs mutated by type, labelled by the reference) |
  # llm (models.tcg in the paper's template) | all (the three; llm only with models.tcg) | reduced
  generator: all
  budget: 20                   # mutated inputs tried per problem
  mutants: 0                   # reference mutants for the suite's mutation score (0: skip)
  llmSamples: 2

search:                        # MCTS over pseudocode steps (DESIGN.md section 3)
  rollouts: 15
  maxDepth: 5
  width: 3                     # children per expansion, one request with n = 3
  exploration: 2.0             # UCT constant c
  temperature: 0.8
  topP: 0.95
  topK: 40
  maxTokens: 512               # per step (o1coder search --step-max-tokens)
  examples: true               # worked examples in the step prompt (false for a small context window)
  earlyStop: false             # stop a search at the first passing path
  # tokenBudget: 200000
  # wallSeconds: 600
  testSeconds: 3               # sandbox deadline per test
  programSeconds: 20           # and per candidate program

reward:
  alpha: 0                     # terminal reward = alpha*compile + (1-alpha)*pass_ratio
  gamma: 0.9

training:
  backend: local               # local | slurm | ray
  workDir: .o1coder/runs       # exports and job outputs
  pollSeconds: 1               # durable sleep between polls of a running job
  stages:
    # One entry per stage that rounds.plan trains; placeholders {base_model_path} {base_model_spec} {dataset} {output_dir} {job_id} ...
    # A command runs in its job's own directory: use absolute paths.
    # outputSpec: the model spec of the produced version (default: {output_dir}).
    # The same command runs as a local process, in an sbatch script (+ training.slurm) or as a
    # Ray job entrypoint (+ training.ray.address).
    sft:
      command: ${q(policyTrain)}
      outputSpec: "simulated:{output_dir}/params.json"
    prm:
      command: ${q(train)}
      outputSpec: "simulated-prm:{output_dir}/prm.json"
    dpo:
      command: ${q(policyTrain)}
      outputSpec: "simulated:{output_dir}/params.json"
  # slurm: { partition: gpu, gpus: 8, time: "12:00:00" }
  # ray: { address: "http://ray-head:8265" }

rounds:
  count: 2
  plan:                        # what round i trains (the last entry repeats)
    - train: [sft, prm]        # round 1 (the paper): SFT on D+, then the PRM
    - train: [prm, dpo]        # later rounds: PRM, then policy RL by iterative DPO

evaluation:
  enabled: true                # pass@1 of each round's answers on held-out tests
  samples: 1

concurrency:
  searches: 2
  tcg: 2
`
}

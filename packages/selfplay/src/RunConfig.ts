import { hashOf } from "@o1coder/domain"
import { placeholdersIn, unknownPlaceholders } from "@o1coder/training/Placeholders"
import { Effect, Either, ParseResult, Schema } from "effect"
import * as NodeFs from "node:fs"
import * as YAML from "yaml"

/**
 * The run configuration: one JSON or YAML file. Every field is validated; a mistake is reported
 * with the path of the field (`search.rollouts: expected a positive integer, got -3`).
 */

const show = (u: unknown): string => (u === undefined ? "nothing" : JSON.stringify(u))
const expected = (what: string, override = true) => (issue: ParseResult.ParseIssue) => ({
  message: `expected ${what}, got ${show(issue.actual)}`,
  override
})

const PositiveInt = Schema.Number.pipe(Schema.int(), Schema.positive()).annotations({ message: expected("a positive integer") })
const NonNegativeInt = Schema.Number.pipe(Schema.int(), Schema.nonNegative()).annotations({
  message: expected("a non-negative integer")
})
const Int = Schema.Number.pipe(Schema.int()).annotations({ message: expected("an integer") })
const PositiveNumber = Schema.Number.pipe(Schema.positive()).annotations({ message: expected("a positive number") })
const NonNegativeNumber = Schema.Number.pipe(Schema.nonNegative()).annotations({ message: expected("a non-negative number") })
const Probability = Schema.Number.pipe(Schema.between(0, 1)).annotations({ message: expected("a number between 0 and 1") })
const Text = Schema.String.pipe(Schema.nonEmptyString()).annotations({ message: expected("a non-empty string") })
const Bool = Schema.Boolean.annotations({ message: expected("true or false") })
const oneOf = <const L extends ReadonlyArray<string>>(...literals: L) =>
  Schema.Literal(...literals).annotations({ message: expected(`one of ${literals.map((l) => JSON.stringify(l)).join(", ")}`) })
const Env = Schema.Record({ key: Schema.String, value: Schema.String }).annotations({
  message: expected("a map of names to strings")
})

/** A field's meaning, shown in docs/CONFIG.md (generated from this Schema by scripts/config-reference.ts). */
const d = <S extends Schema.Schema.AnyNoContext>(schema: S, description: string): S => schema.annotations({ description }) as S

const withDefault = <S extends Schema.Schema.AnyNoContext>(schema: S, value: () => Schema.Schema.Type<S>) =>
  Schema.optionalWith(schema, { default: value as any, exact: true }) as unknown as Schema.optionalWith<
    S,
    { default: () => Schema.Schema.Type<S>; exact: true }
  >

/** What a round trains. Each stage reads the export of the same name and yields a version of one role. */
export const TrainStage = oneOf("sft", "prm", "dpo", "grpo", "tcg-sft", "tcg-dpo")
export type TrainStage = typeof TrainStage.Type

export const stageRole = (stage: TrainStage): "policy" | "prm" | "tcg" =>
  stage === "prm" ? "prm" : stage === "tcg-sft" || stage === "tcg-dpo" ? "tcg" : "policy"

/** The export (datasets.kind) a training stage reads. */
export const stageDataset = (stage: TrainStage): string =>
  stage === "grpo" ? "verl" : stage === "prm" ? "prm" : stage

export const ProblemsConfig = Schema.Struct({
  dataset: d(Text, "Dataset name in the `problems` table (after `o1coder problems import`, or from `file`)"),
  file: Schema.optional(d(Text, "A problems file imported before the run (generic JSONL); not needed when the dataset is already imported")),
  split: withDefault(d(Text, "The split searched every round (visible material only: held-out tests only score)"), () => "train"),
  limit: Schema.optional(d(PositiveInt, "Only the first N problems of the split, in task order")),
  evalSplit: Schema.optional(d(Text, "The split whose held-out tests score each round; default: `split`"))
})

export const ModelsConfig = Schema.Struct({
  policy: d(Text, "Model spec of the policy: openai:<url>#<model>, llama:<file.gguf>, simulated[:params.json], replay:<run>"),
  tcg: Schema.optional(d(Text, "Model spec of the test generator (the llm generator needs it)")),
  prm: Schema.optional(d(Text, "Model spec of the process reward model; without it the search uses tree values")),
  /** What trainers load for each role's first version (`{base_model_path}`): an HF id or a checkpoint directory. */
  checkpoints: Schema.optional(
    d(
      Schema.Struct({
        policy: Schema.optional(d(Text, "The policy's first checkpoint")),
        tcg: Schema.optional(d(Text, "The test generator's first checkpoint")),
        prm: Schema.optional(d(Text, "The process reward model's first checkpoint"))
      }),
      "HF id or checkpoint directory each role's first version is trained from ({base_model_path} of its first training job); later versions use their own output"
    )
  )
})

export const TestsConfig = Schema.Struct({
  generator: withDefault(
    d(
      oneOf("dataset", "mutation", "llm", "all", "reduced"),
      "Where test cases come from: dataset (the visible tests), mutation (type-aware input mutation labelled by the reference), " +
        "llm (models.tcg in the paper's template), all (the three; llm only with models.tcg), reduced (all, reduced by mutant kills)"
    ),
    () => "all" as const
  ),
  budget: withDefault(d(PositiveInt, "Mutated inputs tried per problem (mutation generator)"), () => 60),
  mutants: withDefault(d(NonNegativeInt, "Reference mutants for each suite's mutation score (0 skips the metric)"), () => 20),
  llmSamples: withDefault(d(PositiveInt, "Completions asked of the test-generator model per problem (llm generator)"), () => 2)
})

export const SearchConfig = Schema.Struct({
  rollouts: withDefault(d(PositiveInt, "MCTS iterations per problem"), () => 15),
  maxDepth: withDefault(d(PositiveInt, "Steps on a path at most (the last one must be code)"), () => 5),
  width: withDefault(d(PositiveInt, "Children per expansion, sampled in one request with n = width"), () => 3),
  exploration: withDefault(d(NonNegativeNumber, "The UCT (or PUCT) exploration constant c"), () => 2.0),
  temperature: withDefault(d(NonNegativeNumber, "Sampling temperature of each step"), () => 0.8),
  topP: withDefault(d(Probability, "Nucleus sampling: top-p"), () => 0.95),
  topK: withDefault(d(NonNegativeInt, "Top-k sampling (0: off; sent to vLLM/SGLang/llama.cpp)"), () => 40),
  maxTokens: withDefault(d(PositiveInt, "Tokens of one step at most (`--step-max-tokens` of `o1coder search`)"), () => 512),
  // Optional without a default so that configs without it keep their run id.
  examples: Schema.optional(d(Bool, "The step prompt's worked examples (default true); false for a model with a small context window")),
  earlyStop: withDefault(d(Bool, "Stop a problem's search at its first path that passes every test of its suite"), () => false),
  selection: withDefault(d(oneOf("uct", "puct"), "Selection rule: uct, or puct with the PRM's scores as priors"), () => "uct" as const),
  tokenBudget: Schema.optional(d(PositiveInt, "Policy tokens per problem at most (default: no limit)")),
  wallSeconds: Schema.optional(d(PositiveNumber, "Wall-clock seconds per problem at most (default: no limit)")),
  testSeconds: withDefault(d(PositiveNumber, "Sandbox deadline per test, in seconds (wall clock)"), () => 3),
  programSeconds: withDefault(d(PositiveNumber, "Sandbox deadline per candidate program, all its tests, in seconds"), () => 20)
})

export const RewardConfig = Schema.Struct({
  alpha: withDefault(d(Probability, "Weight of compilation in the terminal reward α·compile + (1−α)·pass_ratio"), () => 0),
  gamma: withDefault(d(Probability, "Discount of the aggregated step reward along a path"), () => 0.9)
})

/**
 * How a trained checkpoint is served before the next round samples from it: a command run as a
 * job of the training backend (starts or reloads an OpenAI-compatible server on the checkpoint),
 * or an existing server that loads LoRA adapters by name. The round waits until `url`/models
 * lists `model`.
 */
export const ServeConfig = Schema.Struct({
  url: d(Text, "OpenAI-compatible base URL of the server, e.g. http://gpu-node-1:8000/v1"),
  command: Schema.optional(
    d(Text, "Starts (or reloads) the server on the checkpoint, run as a job of training.backend, e.g. vllm serve {output_dir} --port 8000")
  ),
  lora: withDefault(
    d(Bool, "The server at url loads LoRA adapters by name: POST url/load_lora_adapter {lora_name: model, lora_path: output_dir}"),
    () => false
  ),
  model: Schema.optional(
    d(
      Text,
      "The name the server lists the model under (placeholders allowed); default {output_dir} with command (vLLM's name for a served directory), {job_id} with lora"
    )
  ),
  timeoutSeconds: withDefault(d(PositiveNumber, "How long to wait for the model to be listed, in seconds"), () => 1800),
  pollSeconds: withDefault(d(PositiveNumber, "Seconds between GET url/models"), () => 5)
})
export type ServeConfig = typeof ServeConfig.Type

/** The model name a served checkpoint is listed under (a template). */
export const servedModel = (serve: ServeConfig): string => serve.model ?? (serve.lora ? "{job_id}" : "{output_dir}")

/** The spec of a served checkpoint's version (a template): the server's endpoint and the listed name. */
export const servedSpec = (serve: ServeConfig): string => `openai:${serve.url}#${servedModel(serve)}`

/** How one training stage runs: the command a local process, an sbatch script (slurm) or a Ray job entrypoint runs. */
export const StageJob = Schema.Struct({
  command: Schema.optional(
    d(
      Text,
      "Shell command template; placeholders (shell-quoted) {base_model_path} {base_model_spec} {parent_version} {dataset} " +
        "{dataset_format} {datasets_json} {output_dir} {job_id} {stage} {run_id} {round}; any other {name} is an error"
    )
  ),
  env: Schema.optional(d(Env, "Environment variables of the job")),
  outputSpec: Schema.optional(
    d(Text, "Model spec of the produced version (same placeholders); default openai:<serve.url>#<serve.model> when served, else the output directory")
  ),
  checkpoint: Schema.optional(
    d(Text, "Checkpoint (HF directory) of the produced version, the next training's {base_model_path} (same placeholders); default {output_dir}")
  ),
  serve: Schema.optional(d(ServeConfig, "How the new checkpoint is served before the next round samples from it"))
})
export type StageJob = typeof StageJob.Type

export const TrainingConfig = Schema.Struct({
  backend: d(oneOf("local", "slurm", "ray"), "Where training jobs run: local processes, sbatch on Slurm, or Ray Jobs"),
  workDir: withDefault(d(Text, "Where exports and job outputs go (shared storage for slurm and ray)"), () => ".o1coder/runs"),
  pollSeconds: withDefault(d(PositiveNumber, "Seconds between polls of a running job (a durable sleep)"), () => 30),
  stages: withDefault(
    d(
      Schema.partial(
        Schema.Struct({ sft: StageJob, prm: StageJob, dpo: StageJob, grpo: StageJob, "tcg-sft": StageJob, "tcg-dpo": StageJob })
      ),
      "How each training stage runs, by stage: sft, prm, dpo, grpo, tcg-sft, tcg-dpo"
    ),
    () => ({})
  ),
  slurm: Schema.optional(
    d(
      Schema.Struct({
        partition: Schema.optional(d(Text, "sbatch --partition")),
        account: Schema.optional(d(Text, "sbatch --account")),
        gpus: Schema.optional(d(PositiveInt, "GPUs per job (sbatch --gpus)")),
        time: Schema.optional(d(Text, "Time limit per job, e.g. 12:00:00 (sbatch --time)")),
        cpus: Schema.optional(d(PositiveInt, "CPUs per job (sbatch --cpus-per-task)"))
      }),
      "Slurm settings of every job (backend slurm)"
    )
  ),
  ray: Schema.optional(d(Schema.Struct({ address: d(Text, "The Ray dashboard's URL, e.g. http://ray-head:8265") }), "Ray settings (backend ray)"))
})

export const RoundPlan = Schema.Struct({
  train: d(Schema.Array(TrainStage), "The stages the round trains, in order: sft, prm, dpo, grpo, tcg-sft, tcg-dpo")
})

export const RoundsConfig = Schema.Struct({
  count: withDefault(d(PositiveInt, "Self-play rounds"), () => 2),
  plan: withDefault(
    d(
      Schema.Array(RoundPlan).pipe(Schema.minItems(1)).annotations({ message: expected("a non-empty list", false) }),
      "What round i trains (entry i, the last one repeats); default: round 1 as the paper (SFT on D+, then the PRM), later rounds the PRM and policy RL by iterative DPO"
    ),
    () => [
    { train: ["sft", "prm"] as const },
    { train: ["prm", "dpo"] as const }
  ])
})

export const EvaluationConfig = Schema.Struct({
  enabled: withDefault(d(Bool, "Score each round's answers on the held-out tests (pass@1, ASPR)"), () => true),
  samples: withDefault(d(PositiveInt, "Samples per problem for pass@k"), () => 1)
})

export const ConcurrencyConfig = Schema.Struct({
  searches: withDefault(d(PositiveInt, "Problems searched at once"), () => 2),
  tcg: withDefault(d(PositiveInt, "Problems whose test suites are generated at once"), () => 2)
})

export const RunConfig = Schema.Struct({
  name: d(Text, "The run's name; its id is the name plus a hash of the whole configuration"),
  seed: withDefault(d(Int, "Every sampling seed and random choice of the run derives from it"), () => 1),
  problems: ProblemsConfig,
  models: ModelsConfig,
  tests: withDefault(TestsConfig, () => Schema.decodeSync(TestsConfig)({})),
  search: withDefault(SearchConfig, () => Schema.decodeSync(SearchConfig)({})),
  reward: withDefault(RewardConfig, () => Schema.decodeSync(RewardConfig)({})),
  training: TrainingConfig,
  rounds: withDefault(RoundsConfig, () => Schema.decodeSync(RoundsConfig)({})),
  evaluation: withDefault(EvaluationConfig, () => Schema.decodeSync(EvaluationConfig)({})),
  concurrency: withDefault(ConcurrencyConfig, () => Schema.decodeSync(ConcurrencyConfig)({}))
})
export type RunConfig = typeof RunConfig.Type
export type RunConfigInput = typeof RunConfig.Encoded

export class ConfigError extends Schema.TaggedError<ConfigError>()("ConfigError", {
  file: Schema.String,
  problems: Schema.Array(Schema.String)
}) {
  override get message(): string {
    return `${this.file}: invalid run configuration\n${this.problems.map((p) => `  ${p}`).join("\n")}`
  }
}

const pathText = (path: ReadonlyArray<PropertyKey>): string =>
  path.reduce<string>(
    (acc, key) => (typeof key === "number" ? `${acc}[${key}]` : acc === "" ? String(key) : `${acc}.${String(key)}`),
    ""
  ) || "(top level)"

/** One line per bad field: the deepest issue of each path, without the union noise of defaults. */
export const formatIssues = (error: ParseResult.ParseError): ReadonlyArray<string> => {
  const issues = ParseResult.ArrayFormatter.formatErrorSync(error).filter((i) => !i.message.startsWith("Expected undefined"))
  const byPath = new Map<string, string>()
  for (const issue of issues) {
    const at = pathText(issue.path)
    if (byPath.has(at)) continue
    const message =
      issue._tag === "Missing"
        ? "required field is missing"
        : issue._tag === "Unexpected"
          ? `unknown field (${issue.message.replace(/^is unexpected, /, "")})`
          : issue.message
    byPath.set(at, message)
  }
  const paths = [...byPath.keys()]
  // A parent's message repeats its child's problem: keep the most precise.
  return paths
    .filter((p) => !paths.some((q) => q !== p && (q.startsWith(`${p}.`) || q.startsWith(`${p}[`))))
    .map((p) => `${p}: ${byPath.get(p)}`)
}

/** Validates an already parsed value (from JSON or YAML). */
export const decodeConfig = (value: unknown, file = "(config)"): Either.Either<RunConfig, ConfigError> =>
  Schema.decodeUnknownEither(RunConfig, { onExcessProperty: "error", errors: "all" })(value).pipe(
    Either.mapLeft((error) => new ConfigError({ file, problems: formatIssues(error) })),
    Either.flatMap((config) => {
      const problems: Array<string> = []
      const needs = new Set(config.rounds.plan.flatMap((p) => p.train))
      if (config.tests.generator === "llm" && config.models.tcg === undefined) {
        problems.push('models.tcg: required when tests.generator is "llm"')
      }
      for (const stage of needs) {
        if (config.training.stages[stage]?.command === undefined) {
          problems.push(`training.stages.${stage}.command: required field is missing (rounds.plan trains "${stage}")`)
        }
      }
      problems.push(...templateProblems(config))
      return problems.length === 0 ? Either.right(config) : Either.left(new ConfigError({ file, problems }))
    })
  )

const SERVE_TEMPLATES = ["url", "command", "model"] as const

/**
 * Placeholder problems of every stage's templates: unknown names, and a first training that uses
 * {base_model_path} / {base_model_spec} / {parent_version} when its role has no first checkpoint,
 * spec or version to give.
 */
const templateProblems = (config: RunConfig): ReadonlyArray<string> => {
  const problems: Array<string> = []
  const planned = new Set(config.rounds.plan.flatMap((p) => p.train))
  for (const [stage, job] of Object.entries(config.training.stages) as ReadonlyArray<[TrainStage, StageJob | undefined]>) {
    if (job === undefined) continue
    const at = `training.stages.${stage}`
    const templates: Array<readonly [string, string | undefined]> = [
      ["command", job.command],
      ["outputSpec", job.outputSpec],
      ["checkpoint", job.checkpoint],
      ...SERVE_TEMPLATES.map((k) => [`serve.${k}`, job.serve?.[k]] as const)
    ]
    for (const [field, template] of templates) {
      if (template === undefined) continue
      for (const p of unknownPlaceholders(template)) problems.push(`${at}.${field}: ${p}`)
    }
    if (job.serve !== undefined && (job.serve.command === undefined) === !job.serve.lora) {
      problems.push(`${at}.serve: set exactly one of command (start a server on the checkpoint) and lora: true (load it into the server at url)`)
    }
    if (!planned.has(stage) || job.command === undefined) continue
    const role = stageRole(stage)
    const used = new Set(placeholdersIn(job.command))
    if (used.has("base_model_path") && config.models.checkpoints?.[role] === undefined) {
      problems.push(`${at}.command: uses {base_model_path} but models.checkpoints.${role} is not set (the HF id or directory the first ${role} is trained from)`)
    }
    if ((used.has("base_model_spec") || used.has("parent_version")) && config.models[role] === undefined) {
      problems.push(`${at}.command: uses {${used.has("base_model_spec") ? "base_model_spec" : "parent_version"}} but models.${role} is not set (the ${role}'s first version)`)
    }
  }
  return problems
}

/** Parses JSON or YAML text (by extension, else by content) and validates it. */
export const parseConfigText = (text: string, file = "(config)"): Either.Either<RunConfig, ConfigError> => {
  let value: unknown
  try {
    value = /\.json$/i.test(file) ? JSON.parse(text) : YAML.parse(text, { prettyErrors: true })
  } catch (e) {
    return Either.left(new ConfigError({ file, problems: [`cannot parse: ${(e as Error).message.split("\n")[0]}`] }))
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    return Either.left(new ConfigError({ file, problems: ["(top level): expected a mapping of fields"] }))
  }
  return decodeConfig(value, file)
}

export const loadConfig = (file: string): Effect.Effect<RunConfig, ConfigError> =>
  Effect.suspend(() => {
    let text: string
    try {
      text = NodeFs.readFileSync(file, "utf8")
    } catch (e) {
      return Effect.fail(new ConfigError({ file, problems: [`cannot read: ${(e as Error).message}`] }))
    }
    return parseConfigText(text, file)
  })

/** The encoded (plain JSON) form, as stored in `runs.config`. */
export const encodeConfig = (config: RunConfig): RunConfigInput => Schema.encodeSync(RunConfig)(config)

/** A run's id: its name and a hash of its full configuration, so the same file continues the same run. */
export const runIdFor = (config: RunConfig): string =>
  `${config.name.replace(/[^A-Za-z0-9_.-]+/g, "-")}-${hashOf(encodeConfig(config)).slice(0, 10)}`

/** What round `round` (1-based) trains. */
export const planFor = (config: RunConfig, round: number): ReadonlyArray<TrainStage> => {
  const plan = config.rounds.plan
  return plan[Math.min(round, plan.length) - 1]!.train
}

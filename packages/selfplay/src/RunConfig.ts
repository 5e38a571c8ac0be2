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
  /** Dataset name in the `problems` table (after import). */
  dataset: Text,
  /** A file to import before the run (generic JSONL); optional when the dataset is already imported. */
  file: Schema.optional(Text),
  split: withDefault(Text, () => "train"),
  limit: Schema.optional(PositiveInt),
  /** Split whose held-out tests score each round (defaults to `split`: held-out tests are never searched). */
  evalSplit: Schema.optional(Text)
})

export const ModelsConfig = Schema.Struct({
  policy: Text,
  tcg: Schema.optional(Text),
  prm: Schema.optional(Text),
  /** What trainers load for each role's first version (`{base_model_path}`): an HF id or a checkpoint directory. */
  checkpoints: Schema.optional(
    Schema.Struct({ policy: Schema.optional(Text), tcg: Schema.optional(Text), prm: Schema.optional(Text) })
  ).annotations({
    description:
      "HF id or checkpoint directory each role's first version is trained from ({base_model_path} of its first training job); later versions use their own output"
  })
})

export const TestsConfig = Schema.Struct({
  /**
   * Where test cases come from (DESIGN.md section 1 step 2): "dataset" (visible tests), "mutation"
   * (type-aware input mutation labelled by the reference), "llm" (models.tcg in the paper's
   * template), "all" (the three; llm only with models.tcg), "reduced" (all, reduced by mutant kills).
   */
  generator: withDefault(oneOf("dataset", "mutation", "llm", "all", "reduced"), () => "all" as const),
  /** Mutated inputs tried per problem (mutation generator). */
  budget: withDefault(PositiveInt, () => 60),
  /** Reference mutants for the suite's mutation score (0 skips the metric). */
  mutants: withDefault(NonNegativeInt, () => 20),
  /** Completions asked of the test-generator model per problem (llm generator). */
  llmSamples: withDefault(PositiveInt, () => 2)
})

export const SearchConfig = Schema.Struct({
  rollouts: withDefault(PositiveInt, () => 15),
  maxDepth: withDefault(PositiveInt, () => 5),
  width: withDefault(PositiveInt, () => 3),
  exploration: withDefault(NonNegativeNumber, () => 2.0),
  temperature: withDefault(NonNegativeNumber, () => 0.8),
  topP: withDefault(Probability, () => 0.95),
  topK: withDefault(NonNegativeInt, () => 40),
  /** Tokens of one step at most (`--step-max-tokens` of `o1coder search`). */
  maxTokens: withDefault(PositiveInt, () => 512),
  /**
   * The step prompt's worked examples (`--examples`; default true). Off for a model with a small
   * context window. Optional without a default so that configs without it keep their run id.
   */
  examples: Schema.optional(Bool),
  earlyStop: withDefault(Bool, () => false),
  selection: withDefault(oneOf("uct", "puct"), () => "uct" as const),
  tokenBudget: Schema.optional(PositiveInt),
  wallSeconds: Schema.optional(PositiveNumber),
  /** Sandbox deadline per test and per candidate program (seconds). */
  testSeconds: withDefault(PositiveNumber, () => 3),
  programSeconds: withDefault(PositiveNumber, () => 20)
})

export const RewardConfig = Schema.Struct({
  /** Weight of compilation in the terminal reward `α·compile + (1−α)·pass_ratio`. */
  alpha: withDefault(Probability, () => 0),
  gamma: withDefault(Probability, () => 0.9)
})

/**
 * How a trained checkpoint is served before the next round samples from it: a command run as a
 * job of the training backend (starts or reloads an OpenAI-compatible server on the checkpoint),
 * or an existing server that loads LoRA adapters by name. The round waits until `url`/models
 * lists `model`.
 */
export const ServeConfig = Schema.Struct({
  url: Text.annotations({ description: "OpenAI-compatible base URL of the server, e.g. http://gpu-node-1:8000/v1" }),
  command: Schema.optional(Text).annotations({
    description: "Starts (or reloads) the server on the checkpoint, run as a job of training.backend, e.g. vllm serve {output_dir} --port 8000"
  }),
  lora: withDefault(Bool, () => false).annotations({
    description: "The server at url loads LoRA adapters by name: POST url/load_lora_adapter {lora_name: model, lora_path: output_dir}"
  }),
  model: Schema.optional(Text).annotations({
    description: "The name the server lists the model under (placeholders allowed); default {output_dir} with command (vLLM's name for a served directory), {job_id} with lora"
  }),
  timeoutSeconds: withDefault(PositiveNumber, () => 1800).annotations({ description: "How long to wait for the model to be listed" }),
  pollSeconds: withDefault(PositiveNumber, () => 5).annotations({ description: "Seconds between GET url/models" })
})
export type ServeConfig = typeof ServeConfig.Type

/** The model name a served checkpoint is listed under (a template). */
export const servedModel = (serve: ServeConfig): string => serve.model ?? (serve.lora ? "{job_id}" : "{output_dir}")

/** The spec of a served checkpoint's version (a template): the server's endpoint and the listed name. */
export const servedSpec = (serve: ServeConfig): string => `openai:${serve.url}#${servedModel(serve)}`

/** How one training stage runs: the command a local process, an sbatch script (slurm) or a Ray job entrypoint runs. */
export const StageJob = Schema.Struct({
  /**
   * Shell command template; placeholders (shell-quoted) {base_model_path} {base_model_spec}
   * {parent_version} {dataset} {dataset_format} {datasets_json} {output_dir} {job_id} {stage}
   * {run_id} {round} (see @o1coder/training Placeholders). Any other {name} is an error.
   */
  command: Schema.optional(Text),
  env: Schema.optional(Env),
  /** Model spec of the produced version (same placeholders); default: openai:<serve.url>#<serve.model> when served, else the output directory. */
  outputSpec: Schema.optional(Text),
  /** Checkpoint of the produced version, the next job's {base_model_path} (same placeholders); default {output_dir}. */
  checkpoint: Schema.optional(Text).annotations({
    description: "Checkpoint (HF directory) of the produced version, the next training's {base_model_path}; default {output_dir}"
  }),
  serve: Schema.optional(ServeConfig).annotations({ description: "How the new checkpoint is served before the next round samples from it" })
})
export type StageJob = typeof StageJob.Type

export const TrainingConfig = Schema.Struct({
  backend: oneOf("local", "slurm", "ray"),
  /** Where exports and job outputs go. */
  workDir: withDefault(Text, () => ".o1coder/runs"),
  /** Seconds between polls of a running job (a durable sleep). */
  pollSeconds: withDefault(PositiveNumber, () => 30),
  stages: withDefault(
    Schema.partial(
      Schema.Struct({
        sft: StageJob,
        prm: StageJob,
        dpo: StageJob,
        grpo: StageJob,
        "tcg-sft": StageJob,
        "tcg-dpo": StageJob
      })
    ),
    () => ({})
  ),
  slurm: Schema.optional(
    Schema.Struct({
      partition: Schema.optional(Text),
      account: Schema.optional(Text),
      gpus: Schema.optional(PositiveInt),
      time: Schema.optional(Text),
      cpus: Schema.optional(PositiveInt)
    })
  ),
  ray: Schema.optional(Schema.Struct({ address: Text }))
})

export const RoundPlan = Schema.Struct({
  train: Schema.Array(TrainStage)
})

export const RoundsConfig = Schema.Struct({
  count: withDefault(PositiveInt, () => 2),
  /**
   * What round i (1-based, index i-1) trains; the last entry repeats. Default: round 1 follows the
   * paper (SFT on D+, PRM), later rounds PRM and policy RL by iterative DPO.
   */
  plan: withDefault(Schema.Array(RoundPlan).pipe(Schema.minItems(1)).annotations({ message: expected("a non-empty list", false) }), () => [
    { train: ["sft", "prm"] as const },
    { train: ["prm", "dpo"] as const }
  ])
})

export const EvaluationConfig = Schema.Struct({
  enabled: withDefault(Bool, () => true),
  /** Samples per problem for pass@k. */
  samples: withDefault(PositiveInt, () => 1)
})

export const ConcurrencyConfig = Schema.Struct({
  searches: withDefault(PositiveInt, () => 2),
  tcg: withDefault(PositiveInt, () => 2)
})

export const RunConfig = Schema.Struct({
  name: Text,
  seed: withDefault(Int, () => 1),
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

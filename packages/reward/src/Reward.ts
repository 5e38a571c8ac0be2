import type { Execution } from "@o1coder/domain"
import { Config, ConfigError, Context, Effect, Either, Layer, Schema } from "effect"

/**
 * Settings of the O1-Coder paper's reward formulas. Defaults follow the official
 * code: terminal reward = pass ratio (α = 0); RL aggregate with α(t) = max(0.1, 1 − 0.01·t), γ = 0.9.
 */
export class RewardConfig extends Schema.Class<RewardConfig>("RewardConfig")({
  /** Weight of "it compiled" in the terminal reward `α·compile + (1−α)·pass_ratio`. */
  compileWeight: Schema.optionalWith(Schema.Number, { default: () => 0 }),
  /** α(t) = max(alphaFloor, alphaStart − alphaDecay·t). */
  alphaStart: Schema.optionalWith(Schema.Number, { default: () => 1 }),
  alphaDecay: Schema.optionalWith(Schema.Number, { default: () => 0.01 }),
  alphaFloor: Schema.optionalWith(Schema.Number, { default: () => 0.1 }),
  /** Discount of the process rewards r_j by step index j. */
  gamma: Schema.optionalWith(Schema.Number, { default: () => 0.9 })
}) {
  static readonly default = new RewardConfig({})
}

/** A number setting; unset or empty means the default, anything that is not a finite number is an error. */
const numberSetting = (name: string, fallback: number): Config.Config<number> =>
  Config.string(name).pipe(
    Config.withDefault(""),
    Config.mapOrFail((text) => {
      if (text.trim() === "") return Either.right(fallback)
      const value = Number(text)
      return Number.isFinite(value) ? Either.right(value) : Either.left(ConfigError.InvalidData([name], `expected a number, got ${JSON.stringify(text)}`))
    })
  )

/** `O1CODER_REWARD_COMPILE_WEIGHT` (α of the terminal reward) and `O1CODER_REWARD_GAMMA`, over the defaults. */
export const rewardConfigFromConfig: Config.Config<RewardConfig> = Config.all({
  compileWeight: numberSetting("O1CODER_REWARD_COMPILE_WEIGHT", RewardConfig.default.compileWeight),
  gamma: numberSetting("O1CODER_REWARD_GAMMA", RewardConfig.default.gamma)
}).pipe(Config.map((fields) => new RewardConfig(fields)))

/** The outcome of a terminal step, as the search stores it on the node. */
export interface TerminalReward {
  readonly reward: number
  readonly compiled: boolean
  readonly passed: number
  readonly total: number
}

/** `α·compile + (1−α)·pass_ratio`; timeouts and crashes are failed tests, an empty suite scores 0. */
export const terminalReward = (config: RewardConfig, execution: Pick<Execution, "compiled" | "passed" | "total">): TerminalReward => {
  const ratio = execution.total === 0 ? 0 : execution.passed / execution.total
  const alpha = config.compileWeight
  return {
    reward: alpha * (execution.compiled ? 1 : 0) + (1 - alpha) * ratio,
    compiled: execution.compiled,
    passed: execution.passed,
    total: execution.total
  }
}

/** α(t) = max(floor, start − decay·t), the weight of the outcome reward at training step t. */
export const rlAlpha = (config: RewardConfig, t: number): number =>
  Math.max(config.alphaFloor, config.alphaStart - config.alphaDecay * t)

/**
 * The RL aggregate `φ = α(t)·R + (1−α(t))·(1/m)·Σ_j γ^j·r_j` of an outcome reward R and the
 * process rewards r_0..r_{m−1} of a path's steps (j counts from 0). With no process rewards φ = R.
 */
export const aggregate = (config: RewardConfig, outcome: number, processRewards: ReadonlyArray<number>, t: number): number => {
  const m = processRewards.length
  if (m === 0) return outcome
  const alpha = rlAlpha(config, t)
  const discounted = processRewards.reduce((sum, r, j) => sum + Math.pow(config.gamma, j) * r, 0) / m
  return alpha * outcome + (1 - alpha) * discounted
}

export interface RewardService {
  readonly config: RewardConfig
  /** Terminal reward of a step's code from its execution on the problem's generated suite. */
  readonly terminal: (execution: Pick<Execution, "compiled" | "passed" | "total">) => TerminalReward
  /** The RL aggregate φ at training step t. */
  readonly aggregate: (outcome: number, processRewards: ReadonlyArray<number>, t: number) => number
}

export const makeReward = (config: RewardConfig = RewardConfig.default): RewardService => ({
  config,
  terminal: (execution) => terminalReward(config, execution),
  aggregate: (outcome, processRewards, t) => aggregate(config, outcome, processRewards, t)
})

/** The paper's reward formulas as a service; `Reward.layer(config)` or `Reward.Default`. */
export class Reward extends Context.Tag("o1coder/Reward")<Reward, RewardService>() {
  static readonly layer = (config: RewardConfig = RewardConfig.default): Layer.Layer<Reward> =>
    Layer.succeed(Reward, makeReward(config))
  static readonly Default: Layer.Layer<Reward> = Reward.layer()
  /** The settings of `rewardConfigFromConfig` (`O1CODER_REWARD_*`); an invalid value fails the layer. */
  static readonly layerFromConfig: Layer.Layer<Reward, ConfigError.ConfigError> = Layer.effect(
    Reward,
    Effect.map(rewardConfigFromConfig, makeReward)
  )
}


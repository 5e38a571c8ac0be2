/**
 * Rewards of o1coder (the O1-Coder paper's process and outcome rewards).
 *
 * - `Reward` (tag; `Reward.Default`, `Reward.layer(config)`): `terminal(execution)` gives
 *   `α·compile + (1−α)·pass_ratio` (α = `compileWeight`, 0 by default) with passed/total;
 *   `aggregate(R, [r_0..r_{m−1}], t)` gives the RL reward φ = α(t)·R + (1−α(t))·(1/m)·Σ γ^j·r_j.
 * - `ProcessReward` (tag) / `ProcessRewardService`: scores step prefixes in [0, 1].
 *   Implementations: `TreeValuePrm` (Q/N of stored trees), `HttpPrm` (vLLM `/pooling`), and
 *   `LlmJudgePrm` in `@o1coder/search` (needs a language model).
 */
export * from "./Reward.ts"
export * from "./ProcessReward.ts"
export * from "./TreeValuePrm.ts"
export * from "./HttpPrm.ts"

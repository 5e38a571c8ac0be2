import type { Step } from "@o1coder/domain"
import { Context, Schema } from "effect"
import type { Effect } from "effect"

/** A step prefix to score: the problem and the steps so far (the last one is the step judged). */
export interface PrmInput {
  readonly problemId: string
  readonly statement: string
  readonly steps: ReadonlyArray<Step>
}

export class ProcessRewardError extends Schema.TaggedError<ProcessRewardError>()("ProcessRewardError", {
  scorer: Schema.String,
  reason: Schema.String
}) {
  override get message() {
    return `${this.scorer}: ${this.reason}`
  }
}

/**
 * Scores step prefixes in [0, 1] (how likely the path leads to a correct program). Used by the
 * search as PUCT priors, by answer selection to break ties, and by RL as the process rewards r_j.
 * Implementations: tree-value statistics (`TreeValuePrm`), an LLM judge (`LlmJudgePrm` in the
 * search package, it needs a model), and a served PRM over HTTP (`HttpPrm`).
 */
export interface ProcessRewardService {
  /** Names the scorer (and its version) in stored priors and reports. */
  readonly name: string
  /** One score per input, in order. */
  readonly score: (inputs: ReadonlyArray<PrmInput>) => Effect.Effect<ReadonlyArray<number>, ProcessRewardError>
}

export class ProcessReward extends Context.Tag("o1coder/ProcessReward")<ProcessReward, ProcessRewardService>() {}

/** Clamps a parsed score into [0, 1]; NaN becomes the neutral 0.5. */
export const clampScore = (x: number): number => (Number.isNaN(x) ? 0.5 : Math.min(1, Math.max(0, x)))

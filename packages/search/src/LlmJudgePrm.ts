import { renderPath } from "@o1coder/domain"
import type { LanguageModelService } from "@o1coder/models/LanguageModel"
import { SamplingOptions } from "@o1coder/models/LanguageModel"
import type { PrmInput, ProcessRewardService } from "@o1coder/reward/ProcessReward"
import { clampScore, ProcessRewardError } from "@o1coder/reward/ProcessReward"
import { Effect } from "effect"

/** The judge's prompt: the problem, the partial solution, and a request for a 0-10 score. */
export const judgePrompt = (input: PrmInput): string =>
  `You review partial solutions to programming problems. Rate how likely the steps below lead to a
correct program, from 0 (certainly wrong) to 10 (certainly right). Answer with one integer.

## Problem
${input.statement.trim()}
## Steps
${renderPath(input.steps)}
Score (0-10):`

/** Reads the first number of the judge's answer on the 0-10 scale; undefined when there is none. */
export const parseJudgeScore = (text: string): number | undefined => {
  const m = text.match(/-?\d+(?:\.\d+)?/)
  if (m === null) return undefined
  return clampScore(Number(m[0]) / 10)
}

/**
 * An LLM judge as a process reward: asks `model` (greedy, a few tokens) to rate each step prefix.
 * An answer without a number scores `fallback` (0.5). Wrap the model in record/replay to make
 * the scores reproducible on resume.
 */
export const makeLlmJudgePrm = (model: LanguageModelService, options: { readonly fallback?: number } = {}): ProcessRewardService => ({
  name: `llm-judge:${model.modelVersion}`,
  score: (inputs) =>
    Effect.forEach(inputs, (input) =>
      model.complete(judgePrompt(input), new SamplingOptions({ n: 1, temperature: 0, maxTokens: 8, stop: ["\n"] })).pipe(
        Effect.map((cs) => parseJudgeScore(cs[0]?.text ?? "") ?? options.fallback ?? 0.5),
        Effect.mapError((e) => new ProcessRewardError({ scorer: `llm-judge:${model.modelVersion}`, reason: e.message }))
      )
    )
})

import { describe, expect, it } from "@effect/vitest"
import { Step } from "@o1coder/domain"
import type { LanguageModelService } from "@o1coder/models/LanguageModel"
import { Completion } from "@o1coder/models/LanguageModel"
import { Effect } from "effect"
import { judgePrompt, makeLlmJudgePrm, parseJudgeScore } from "../src/LlmJudgePrm.ts"

const judge = (answers: ReadonlyArray<string>, seen: Array<{ prompt: string; temperature: number; n: number }>): LanguageModelService => {
  let i = 0
  return {
    modelVersion: "judge-fake",
    complete: (prompt, o) =>
      Effect.sync(() => {
        seen.push({ prompt, temperature: o.temperature, n: o.n })
        return [new Completion({ text: answers[i++ % answers.length]!, finishReason: "stop", promptTokens: 1, completionTokens: 1 })]
      }),
    chat: () => Effect.die("unused")
  }
}

describe("LLM judge process reward", () => {
  it("parses a 0-10 score into [0, 1]", () => {
    expect(parseJudgeScore(" 7")).toBe(0.7)
    expect(parseJudgeScore("10/10")).toBe(1)
    expect(parseJudgeScore("score: 12")).toBe(1)
    expect(parseJudgeScore("8.5 because")).toBe(0.85)
    expect(parseJudgeScore("no idea")).toBeUndefined()
  })

  it.effect("asks the model once per prefix, greedily, and falls back to 0.5 without a number", () =>
    Effect.gen(function* () {
      const seen: Array<{ prompt: string; temperature: number; n: number }> = []
      const prm = makeLlmJudgePrm(judge(["9", "hmm", "3"], seen))
      const steps = [new Step({ action: "A1", body: "loop over the list" }), new Step({ action: "A3", body: "```python\nx\n```", code: "x" })]
      const inputs = [1, 2, 2].map((k) => ({ problemId: "p", statement: "Sum a list.", steps: steps.slice(0, k) }))
      const scores = yield* prm.score(inputs)
      expect(scores).toEqual([0.9, 0.5, 0.3])
      expect(seen.map((s) => s.prompt)).toEqual(inputs.map(judgePrompt))
      expect(seen.every((s) => s.temperature === 0 && s.n === 1)).toBe(true)
      expect(seen[1]!.prompt).toContain("### Step 2 [A3]")
      expect(prm.name).toBe("llm-judge:judge-fake")
    })
  )
})

import { CallTest, hashOf, Problem, ProblemId } from "@o1coder/domain"
import type { LanguageModelService } from "@o1coder/models/LanguageModel"
import { Completion } from "@o1coder/models/LanguageModel"
import { CachedSandbox } from "@o1coder/sandbox"
import { Sandbox } from "@o1coder/sandbox/Sandbox"
import { ExecutionsRepo } from "@o1coder/store/ExecutionsRepo"
import { Effect, Layer } from "effect"
import { Execution, Verdict } from "@o1coder/domain"

/**
 * Test doubles of the search's collaborators (fakes, not the real services):
 * - `scriptedPolicy`: a deterministic fake policy writing the project's step format; each sample
 *   is a function of (prompt, seed, sample index). Code steps are `CORRECT`, `PARTIAL` or `WRONG`.
 * - `fakeSandbox`: judges code by those markers (all, half, none of the tests pass), under the real
 *   execution cache.
 */
export const problem = (n: number) =>
  new Problem({
    id: ProblemId.make(`fake/${n}`),
    dataset: "fake",
    taskId: String(n),
    split: "test",
    kind: "function",
    statement: `Write a function f${n}(x) that returns x + ${n}.`,
    entryPoint: `f${n}`,
    visibleTests: [0, 1, 2, 3].map((x) => new CallTest({ args: String(x), expected: String(x + n) })),
    heldOutTests: []
  })

const unit = (...parts: ReadonlyArray<unknown>) => parseInt(hashOf(parts).slice(0, 8), 16) / 0x100000000

export const scriptedStep = (prompt: string, seed: number | undefined, i: number): string => {
  const depth = Number(prompt.match(/### Step (\d+) \[$/)?.[1] ?? 1)
  const u = unit(prompt, seed ?? null, i)
  if (depth === 1) return `A1]\noutline variant ${Math.floor(u * 4)}\n`
  if (u < 0.45) {
    const kind = u < 0.15 ? "CORRECT" : u < 0.3 ? "PARTIAL" : "WRONG"
    return `A3]\n\`\`\`python\ndef f(x):\n    return x  # ${kind} ${Math.floor(u * 1000)}\n\`\`\`\n`
  }
  return `A2]\nrefine part ${Math.floor(u * 10)}\n`
}

export const scriptedPolicy = (counter: { calls: number } = { calls: 0 }, modelVersion = "scripted-v1"): LanguageModelService => ({
  modelVersion,
  complete: (prompt, options) =>
    Effect.sync(() => {
      counter.calls++
      return Array.from({ length: options.n }, (_, i) => {
        const text = scriptedStep(prompt, options.seed, i)
        return new Completion({ text, finishReason: "stop", promptTokens: Math.ceil(prompt.length / 4), completionTokens: Math.ceil(text.length / 4) })
      })
    }),
  chat: () => Effect.die("scripted policy has no chat")
})

const judge = (code: string, total: number): Execution => {
  const passed = code.includes("CORRECT") ? total : code.includes("PARTIAL") ? Math.floor(total / 2) : 0
  const verdicts = Array.from({ length: total }, (_, i) => new Verdict({ status: i < passed ? "passed" : "failed", ms: 0 }))
  return new Execution({ compiled: true, verdicts, passed, total, ms: 0 })
}

/**
 * The fake judge under the real execution cache (`CachedSandbox` over `executions` and
 * `execution_log`); `counter.runs` counts the executions actually judged (cache misses).
 */
export const fakeSandbox = (counter: { runs: number } = { runs: 0 }) =>
  CachedSandbox.layer.pipe(
    Layer.provide(
      Layer.succeed(Sandbox, {
        info: { interpreter: "fake", level: "none", details: ["fake sandbox for tests"], workers: 1 },
        call: () => Effect.die("fake sandbox: call is not supported"),
        run: (request) =>
          Effect.sync(() => {
            counter.runs++
            return judge(request.code, request.tests.length)
          })
      })
    ),
    Layer.provide(Layer.fresh(ExecutionsRepo.Default))
  )

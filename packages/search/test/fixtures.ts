import * as SqlClient from "@effect/sql/SqlClient"
import { CallTest, hashOf, Problem, ProblemId } from "@o1coder/domain"
import type { LanguageModelService } from "@o1coder/models/LanguageModel"
import { Completion } from "@o1coder/models/LanguageModel"
import { Sandbox } from "@o1coder/sandbox/Sandbox"
import { Effect, Layer } from "effect"
import { Execution, Verdict } from "@o1coder/domain"

/**
 * Test doubles of the search's collaborators (fakes, not the real services):
 * - `scriptedPolicy`: a deterministic fake policy writing the project's step format; each sample
 *   is a function of (prompt, seed, sample index). Code steps are `CORRECT`, `PARTIAL` or `WRONG`.
 * - `fakeSandbox`: judges code by those markers (all, half, none of the tests pass), with a cache in
 *   the store's `executions` table and a row in `execution_log` per request, like the real cache.
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

/** Counts the executions actually judged (cache misses). */
export const fakeSandbox = (counter: { runs: number } = { runs: 0 }) =>
  Layer.effect(
    Sandbox,
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      return {
        info: { interpreter: "fake", level: "none", details: ["fake sandbox for tests"], workers: 1 },
        call: () => Effect.die("fake sandbox: call is not supported"),
        run: (request) =>
          Effect.gen(function* () {
            const codeHash = hashOf(request.code)
            const suiteHash = hashOf(request.tests)
            const key = hashOf({ codeHash, suiteHash })
            const hit = yield* sql<{ passed: number; total: number }>`select passed, total from executions where key = ${key}`
            yield* sql`insert into execution_log ${sql.insert({
              execution_key: key, purpose: request.purpose ?? "other", search_id: request.context?.searchId ?? null,
              problem_id: request.context?.problemId ?? null, cached: hit.length > 0
            })}`
            if (hit.length > 0) return judge(request.code, request.tests.length)
            counter.runs++
            const execution = judge(request.code, request.tests.length)
            yield* sql`insert into executions ${sql.insert({
              key, code_hash: codeHash, suite_hash: suiteHash, compiled: true, passed: execution.passed, total: execution.total,
              result: JSON.stringify({ passed: execution.passed }), ms: 0
            })} on conflict do nothing`
            return execution
          }).pipe(Effect.orDie)
      }
    })
  )

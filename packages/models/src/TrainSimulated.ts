import type { Problem } from "@o1coder/domain"
import { extractCode } from "@o1coder/domain"
import { problemLookup } from "./Simulated.ts"
import type { SimulatedPolicyParams } from "./SimulatedPolicy.ts"
import { decodeParams, encodeParams, pCorrectFor } from "./SimulatedPolicy.ts"

/**
 * "Training" of the simulated policy: from preference pairs (TRL `{prompt, chosen, rejected}`
 * JSONL), raise pCorrect for each problem that has a pair whose chosen completion holds the
 * reference code: p' = p + rate·(1 − p). The result is a new parameter file (version + 1), hence a
 * new model version. A pair names its problem by a `problem_id` / `problemId` field, or by the
 * problem whose statement appears in its prompt (needs `problems`).
 */

export interface TrainSimulatedOptions {
  readonly problems?: ReadonlyArray<Problem> | undefined
  /** Share of the remaining gap to 1 closed per training (default 0.5). */
  readonly rate?: number | undefined
}

const normaliseCode = (code: string): string =>
  code.replace(/\r\n/g, "\n").split("\n").map((l) => l.trimEnd()).filter((l) => l.trim() !== "").join("\n")

export const trainSimulatedPolicy = (
  paramsIn: SimulatedPolicyParams | unknown,
  preferencePairsJsonl: string,
  options: TrainSimulatedOptions = {}
): SimulatedPolicyParams => {
  const params = decodeParams(encodeIfClass(paramsIn))
  const rate = options.rate ?? 0.5
  const problems = options.problems ?? []
  const lookup = problemLookup(problems)
  const byId = new Map(problems.map((p) => [p.id as string, p]))
  const improved = new Set<string>()
  for (const line of preferencePairsJsonl.split("\n")) {
    if (line.trim() === "") continue
    const pair = JSON.parse(line) as Record<string, unknown>
    const explicitId = [pair.problem_id, pair.problemId, (pair.meta as any)?.problem_id].find((x) => typeof x === "string") as string | undefined
    const problem = explicitId !== undefined ? byId.get(explicitId) : lookup(String(pair.prompt ?? ""))
    const id = explicitId ?? problem?.id
    if (id === undefined) continue
    const chosenCode = extractCode(String(pair.chosen ?? ""))
    if (chosenCode === undefined) continue
    // With the reference at hand, only a chosen completion holding it counts as correct; without, trust the pair.
    if (problem?.reference !== undefined && normaliseCode(chosenCode) !== normaliseCode(problem.reference)) continue
    improved.add(id)
  }
  const perProblem: Record<string, number> = { ...params.perProblem }
  for (const id of improved) {
    const p = pCorrectFor(params, id)
    perProblem[id] = Math.min(1, p + rate * (1 - p))
  }
  return decodeParams({ ...(encodeParams(params) as object), version: params.version + 1, perProblem })
}

const encodeIfClass = (params: unknown): unknown =>
  params !== null && typeof params === "object" && params.constructor?.name === "SimulatedPolicyParams"
    ? encodeParams(params as SimulatedPolicyParams)
    : params

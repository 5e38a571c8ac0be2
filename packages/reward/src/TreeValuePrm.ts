import { renderPath, Step } from "@o1coder/domain"
import type { NodeRow } from "@o1coder/store/SearchRepo"
import { SearchRepo } from "@o1coder/store/SearchRepo"
import { Effect } from "effect"
import type { PrmInput, ProcessRewardService } from "./ProcessReward.ts"
import { ProcessRewardError } from "./ProcessReward.ts"

interface Stat {
  visits: number
  valueSum: number
}

/** Q/N statistics per rendered step prefix, pooled over every stored search of a problem. */
export const prefixStats = (nodes: ReadonlyArray<NodeRow>): Map<string, Stat> => {
  const byId = new Map(nodes.map((n) => [n.id, n]))
  const pathText = new Map<string, string>()
  const textOf = (n: NodeRow): string => {
    const cached = pathText.get(n.id)
    if (cached !== undefined) return cached
    const steps: Array<Step> = []
    for (let c: NodeRow | undefined = n; c !== undefined && c.parentId !== null; c = byId.get(c.parentId)) {
      steps.push(new Step({ action: c.action ?? "A2", body: c.body, ...(c.code !== null ? { code: c.code } : {}) }))
    }
    const text = renderPath(steps.reverse())
    pathText.set(n.id, text)
    return text
  }
  const stats = new Map<string, Stat>()
  for (const n of nodes) {
    if (n.parentId === null || n.visits === 0) continue
    const key = textOf(n)
    const s = stats.get(key) ?? { visits: 0, valueSum: 0 }
    s.visits += n.visits
    s.valueSum += n.valueSum
    stats.set(key, s)
  }
  return stats
}

/**
 * Process rewards from the trees already stored (no model): the score of a step prefix is the
 * pooled Q/N of the nodes with exactly that path in the problem's searches; for a prefix never
 * visited, the value of its longest visited ancestor prefix; `fallback` (0.5) when none. Trees are
 * read once per problem per instance (make a new instance to see newer searches).
 */
export const makeTreeValuePrm = (options: { readonly fallback?: number } = {}) =>
  Effect.gen(function* () {
    const repo = yield* SearchRepo
    const fallback = options.fallback ?? 0.5
    const cache = new Map<string, Map<string, Stat>>()
    const statsFor = (problemId: string) =>
      cache.has(problemId)
        ? Effect.succeed(cache.get(problemId)!)
        : repo.nodesOfProblem(problemId).pipe(
            Effect.map(prefixStats),
            Effect.tap((s) => Effect.sync(() => cache.set(problemId, s))),
            Effect.mapError((e) => new ProcessRewardError({ scorer: "tree-value", reason: e.message }))
          )
    const scoreOne = (stats: Map<string, Stat>, input: PrmInput) => {
      for (let k = input.steps.length; k > 0; k--) {
        const s = stats.get(renderPath(input.steps.slice(0, k)))
        if (s !== undefined && s.visits > 0) return s.valueSum / s.visits
      }
      return fallback
    }
    const service: ProcessRewardService = {
      name: "tree-value",
      score: (inputs) =>
        Effect.forEach(inputs, (input) => Effect.map(statsFor(input.problemId), (stats) => scoreOne(stats, input)))
    }
    return service
  })

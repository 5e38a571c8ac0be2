import type { NodeRow } from "@o1coder/store/SearchRepo"

export type AnswerCandidate = Pick<NodeRow, "id" | "seq" | "depth" | "terminal" | "code" | "visits" | "valueSum" | "reward" | "prior">

/** A terminal's value: Q/N once visited, else its own reward (a terminal's Q/N always equals its reward). */
export const terminalValue = (n: AnswerCandidate): number => (n.visits > 0 ? n.valueSum / n.visits : n.reward ?? 0)

/**
 * The answer of a search: among terminals that hold code, the highest value; ties broken by the
 * PRM score (`prmScores` by node id, else the stored prior), then the shorter path, then the
 * shorter code, then creation order. Uses only what the search saw (the generated suite), never
 * held-out tests.
 */
export const selectAnswer = <N extends AnswerCandidate>(
  nodes: ReadonlyArray<N>,
  prmScores?: ReadonlyMap<string, number>
): N | undefined => {
  const prm = (n: N) => prmScores?.get(n.id) ?? n.prior ?? 0
  let best: N | undefined
  for (const n of nodes) {
    if (!n.terminal || n.code === null) continue
    if (best === undefined) {
      best = n
      continue
    }
    const dv = terminalValue(n) - terminalValue(best)
    const better =
      dv !== 0 ? dv > 0
      : prm(n) !== prm(best) ? prm(n) > prm(best)
      : n.depth !== best.depth ? n.depth < best.depth
      : n.code.length !== best.code!.length ? n.code.length < best.code!.length
      : n.seq < best.seq
    if (better) best = n
  }
  return best
}

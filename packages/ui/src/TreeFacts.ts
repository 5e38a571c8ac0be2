import type { NodeRow } from "@o1coder/store/SearchRepo"
import type { StageState } from "./Api.ts"

/** The first line worth showing of a step or a statement (code fences skipped), at most 100 characters. */
export const titleOf = (text: string): string => {
  const line = text.split("\n").find((l) => l.trim() !== "" && !l.trim().startsWith("```"))?.trim() ?? ""
  return line.length > 100 ? `${line.slice(0, 99)}…` : line
}

/** A terminal whose code passed every test of a non-empty suite: the end of a D+ path. */
export const isPassing = (n: Pick<NodeRow, "terminal" | "passed" | "total">): boolean =>
  n.terminal && n.total !== null && n.total > 0 && n.passed === n.total

/** Every node on a path from the root to a passing terminal, in creation order. */
export const positivePath = (nodes: ReadonlyArray<NodeRow>): Array<string> => {
  const byId = new Map(nodes.map((n) => [n.id, n]))
  const on = new Set<string>()
  for (const n of nodes) {
    if (!isPassing(n)) continue
    for (let cur: NodeRow | undefined = n; cur !== undefined && !on.has(cur.id); cur = cur.parentId === null ? undefined : byId.get(cur.parentId)) {
      on.add(cur.id)
    }
  }
  return nodes.filter((n) => on.has(n.id)).map((n) => n.id)
}

/** The stages of a self-play round, in the order the workflow runs them. */
export const ROUND_STAGES = ["tcg", "search", "export", "train", "evaluate"] as const

/** What a round left behind, to tell a stage that ran from one the round's plan skipped. */
export interface RoundOutputs {
  readonly jobs: number
  readonly evaluated: boolean
}

/** Each stage's state from the round's recorded stage, the run's status and what the round produced. */
export const stagesOf = (
  stage: string,
  runStatus: string,
  outputs: RoundOutputs
): Array<{ readonly name: string; readonly state: typeof StageState.Type }> => {
  const at = stage === "done" ? ROUND_STAGES.length : ROUND_STAGES.indexOf(stage as (typeof ROUND_STAGES)[number])
  const ran = (name: string) => (name === "train" ? outputs.jobs > 0 : name === "evaluate" ? outputs.evaluated : true)
  return ROUND_STAGES.map((name, i) => ({
    name,
    state:
      i < at ? (ran(name) ? "done" : "skipped")
      : i === at ? (runStatus === "running" ? "current" : "stopped")
      : "pending"
  }))
}

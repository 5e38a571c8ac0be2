/**
 * ASPR (average sampling pass rate, our reading of the O1-Coder paper): over the nodes on correct paths (the
 * ancestors of a terminal that passes every test the search ran) whose children include code
 * steps, the share of those code children that pass; averaged per problem (search), then over
 * problems. The same definition as the `aspr_by_search` view, computed from a tree in memory.
 */
export interface AsprNode {
  readonly id: string
  readonly parentId: string | null
  readonly code: string | null
  readonly terminal: boolean
  readonly passed: number | null
  readonly total: number | null
}

const passes = (n: AsprNode) => n.total !== null && n.total > 0 && n.passed === n.total

/** ASPR of one tree, or undefined when no node on a correct path has code children. */
export const asprOfTree = (nodes: ReadonlyArray<AsprNode>): number | undefined => {
  const byId = new Map(nodes.map((n) => [n.id, n]))
  const correct = new Set<string>()
  for (const n of nodes) {
    if (!n.terminal || !passes(n)) continue
    for (let cur: AsprNode | undefined = n; cur !== undefined && !correct.has(cur.id); cur = cur.parentId === null ? undefined : byId.get(cur.parentId)) {
      correct.add(cur.id)
    }
  }
  const codeChildren = new Map<string, { code: number; passing: number }>()
  for (const k of nodes) {
    if (k.parentId === null || !correct.has(k.parentId) || k.code === null) continue
    const s = codeChildren.get(k.parentId) ?? { code: 0, passing: 0 }
    s.code += 1
    if (passes(k)) s.passing += 1
    codeChildren.set(k.parentId, s)
  }
  if (codeChildren.size === 0) return undefined
  let sum = 0
  for (const s of codeChildren.values()) sum += s.passing / s.code
  return sum / codeChildren.size
}

/** Mean of the per-problem ASPRs that are defined; undefined when none is. */
export const meanAspr = (perProblem: ReadonlyArray<number | undefined>): number | undefined => {
  const defined = perProblem.filter((x): x is number => x !== undefined)
  return defined.length === 0 ? undefined : defined.reduce((a, b) => a + b, 0) / defined.length
}

import { Step } from "@o1coder/domain"
import type { Action } from "@o1coder/domain"
import type { NodeRow } from "@o1coder/store/SearchRepo"
import type { Rng } from "./Rng.ts"

/** A node of the in-memory tree (mutable: visits and values change as the search runs). */
export interface TreeNode {
  readonly id: string
  readonly seq: number
  readonly depth: number
  readonly parent: TreeNode | undefined
  readonly action: Action | null
  readonly body: string
  readonly code: string | null
  /** Set later too: a node whose prompt no longer fits the model's context becomes a terminal with reward 0. */
  terminal: boolean
  reward: number | null
  readonly passed: number | null
  readonly total: number | null
  readonly prior: number | null
  readonly children: Array<TreeNode>
  visits: number
  valueSum: number
}

export const nodeValue = (node: Pick<TreeNode, "visits" | "valueSum">): number =>
  node.visits === 0 ? 0 : node.valueSum / node.visits

export const nodeId = (searchId: string, seq: number): string => `${searchId}:${seq}`

export const makeNode = (fields: Omit<TreeNode, "children" | "visits" | "valueSum"> & { visits?: number; valueSum?: number }): TreeNode => {
  const node: TreeNode = { ...fields, children: [], visits: fields.visits ?? 0, valueSum: fields.valueSum ?? 0 }
  fields.parent?.children.push(node)
  return node
}

/** The steps from the root to this node (the root itself holds no step). */
export const pathSteps = (node: TreeNode): Array<Step> => {
  const steps: Array<Step> = []
  for (let n: TreeNode | undefined = node; n !== undefined && n.parent !== undefined; n = n.parent) {
    steps.push(new Step({ action: n.action ?? "A2", body: n.body, ...(n.code !== null ? { code: n.code } : {}) }))
  }
  return steps.reverse()
}

export const pathNodes = (node: TreeNode): Array<TreeNode> => {
  const nodes: Array<TreeNode> = []
  for (let n: TreeNode | undefined = node; n !== undefined; n = n.parent) nodes.push(n)
  return nodes.reverse()
}

/** UCT score `Q/N + c·sqrt(ln N_parent / N)`; infinite for an unvisited child. */
export const uct = (child: Pick<TreeNode, "visits" | "valueSum">, parentVisits: number, c: number): number =>
  child.visits === 0 ? Infinity : child.valueSum / child.visits + c * Math.sqrt(Math.log(Math.max(1, parentVisits)) / child.visits)

/** PUCT score `Q/N + c·P·sqrt(N_parent)/(1 + N)` with the child's prior P (uniform when absent). */
export const puct = (child: Pick<TreeNode, "visits" | "valueSum">, prior: number, parentVisits: number, c: number): number =>
  nodeValue(child) + (c * prior * Math.sqrt(parentVisits)) / (1 + child.visits)

/**
 * Picks the child to descend into. UCT: an unvisited child first (drawn at random among the
 * unvisited), else the highest UCT score (the first on ties). PUCT: the highest PUCT score, priors
 * normalised over the siblings.
 */
export const selectChild = (node: TreeNode, c: number, rng: Rng, mode: "uct" | "puct" = "uct"): TreeNode => {
  const children = node.children
  if (mode === "puct") {
    const priors = children.map((ch) => ch.prior ?? 1)
    const sum = priors.reduce((a, b) => a + b, 0)
    let best = 0
    let bestScore = -Infinity
    children.forEach((ch, i) => {
      const score = puct(ch, sum > 0 ? priors[i]! / sum : 1 / children.length, node.visits, c)
      if (score > bestScore) {
        bestScore = score
        best = i
      }
    })
    return children[best]!
  }
  const unvisited = children.filter((ch) => ch.visits === 0)
  if (unvisited.length > 0) return unvisited[rng.int(unvisited.length)]!
  let best = children[0]!
  let bestScore = -Infinity
  for (const ch of children) {
    const score = uct(ch, node.visits, c)
    if (score > bestScore) {
      bestScore = score
      best = ch
    }
  }
  return best
}

/** Descends from the root while the node has children and is not terminal. */
export const selectLeaf = (root: TreeNode, c: number, rng: Rng, mode: "uct" | "puct" = "uct"): TreeNode => {
  let node = root
  while (!node.terminal && node.children.length > 0) node = selectChild(node, c, rng, mode)
  return node
}

/** N += 1 and Q += reward on every node from the leaf up to the root; returns the nodes touched. */
export const backup = (leaf: TreeNode, reward: number): Array<TreeNode> => {
  const touched: Array<TreeNode> = []
  for (let n: TreeNode | undefined = leaf; n !== undefined; n = n.parent) {
    n.visits += 1
    n.valueSum += reward
    touched.push(n)
  }
  return touched
}

/** A terminal that passed every test of the (non-empty) suite. */
export const solvesSuite = (n: Pick<TreeNode, "terminal" | "passed" | "total">): boolean =>
  n.terminal && n.total !== null && n.total > 0 && n.passed === n.total

/** A step is terminal when it holds code or sits at the depth limit. */
export const isTerminal = (step: Pick<Step, "code">, depth: number, maxDepth: number): boolean =>
  step.code !== undefined || depth >= maxDepth

export const toRow = (searchId: string, node: TreeNode): NodeRow => ({
  id: node.id,
  searchId,
  parentId: node.parent?.id ?? null,
  seq: node.seq,
  depth: node.depth,
  action: node.action,
  body: node.body,
  code: node.code,
  terminal: node.terminal,
  visits: node.visits,
  valueSum: node.valueSum,
  reward: node.reward,
  passed: node.passed,
  total: node.total,
  prior: node.prior
})

/** Rebuilds the tree from stored rows (in seq order, so a parent precedes its children). */
export const fromRows = (rows: ReadonlyArray<NodeRow>): { root: TreeNode; all: Array<TreeNode> } => {
  const byId = new Map<string, TreeNode>()
  const all: Array<TreeNode> = []
  let root: TreeNode | undefined
  for (const r of rows) {
    const parent = r.parentId === null ? undefined : byId.get(r.parentId)
    if (r.parentId !== null && parent === undefined) throw new Error(`node ${r.id}: parent ${r.parentId} not loaded before it`)
    const node = makeNode({
      id: r.id, seq: r.seq, depth: r.depth, parent, action: r.action, body: r.body, code: r.code, terminal: r.terminal,
      reward: r.reward, passed: r.passed, total: r.total, prior: r.prior, visits: r.visits, valueSum: r.valueSum
    })
    if (parent === undefined) root = node
    byId.set(r.id, node)
    all.push(node)
  }
  if (root === undefined) throw new Error("tree without a root")
  return { root, all }
}

import { renderStep, Step } from "@o1coder/domain"
import type { TreeNodeRow } from "@o1coder/store/DatasetsRepo"
import type { O1CoderPrm, Preference, SftPromptCompletion, TrlStepwise } from "./Records.ts"

/**
 * Pure functions from one stored search tree to training records. Every walk is in node `seq`
 * order, so the same tree always yields the same records in the same order.
 */
export interface Tree {
  readonly root: TreeNodeRow
  readonly byId: ReadonlyMap<string, TreeNodeRow>
  readonly children: ReadonlyMap<string, ReadonlyArray<TreeNodeRow>>
  /** Non-root nodes in seq order. */
  readonly nodes: ReadonlyArray<TreeNodeRow>
}

export const buildTree = (rows: ReadonlyArray<TreeNodeRow>): Tree | undefined => {
  const sorted = [...rows].sort((a, b) => a.seq - b.seq)
  const root = sorted.find((n) => n.parentId === null)
  if (root === undefined) return undefined
  const byId = new Map(sorted.map((n) => [n.id, n] as const))
  const children = new Map<string, Array<TreeNodeRow>>()
  for (const n of sorted) {
    if (n.parentId === null) continue
    const list = children.get(n.parentId) ?? []
    list.push(n)
    children.set(n.parentId, list)
  }
  return { root, byId, children, nodes: sorted.filter((n) => n !== root && n.action !== null) }
}

export const nodeValue = (n: Pick<TreeNodeRow, "visits" | "valueSum">): number => (n.visits === 0 ? 0 : n.valueSum / n.visits)
export const passRate = (n: TreeNodeRow): number => (n.total !== null && n.total > 0 ? (n.passed ?? 0) / n.total : 0)
/** D+ membership: a terminal whose code passed every test of a non-empty suite. */
export const passesAll = (n: TreeNodeRow): boolean => n.terminal && n.total !== null && n.total > 0 && n.passed === n.total
const executed = (n: TreeNodeRow): boolean => n.terminal && n.total !== null && n.total > 0

const childrenOf = (tree: Tree, n: TreeNodeRow) => tree.children.get(n.id) ?? []

/** The nodes from the root's first child down to `n` (the root itself is not a step). */
export const pathTo = (tree: Tree, n: TreeNodeRow): Array<TreeNodeRow> => {
  const path: Array<TreeNodeRow> = []
  for (let cur: TreeNodeRow | undefined = n; cur !== undefined && cur.parentId !== null; cur = tree.byId.get(cur.parentId)) {
    path.push(cur)
  }
  return path.reverse()
}

export const toStep = (n: TreeNodeRow): Step =>
  new Step({ action: n.action ?? "A2", body: n.body, ...(n.code !== null ? { code: n.code } : {}) })

/** Steps numbered from `first` (a step's number is its depth). */
export const renderSteps = (nodes: ReadonlyArray<TreeNodeRow>, first = 1): string =>
  nodes.map((n, i) => renderStep(first + i, toStep(n))).join("")

const byDepthThenSeq = (a: TreeNodeRow, b: TreeNodeRow) => a.depth - b.depth || a.seq - b.seq

/** Policy SFT on D+: one record per distinct passing path, shortest first. */
export const sftRecords = (tree: Tree, prompt: string): Array<SftPromptCompletion> => {
  const seen = new Set<string>()
  const out: Array<SftPromptCompletion> = []
  for (const n of tree.nodes.filter(passesAll).sort(byDepthThenSeq)) {
    const completion = renderSteps(pathTo(tree, n))
    if (seen.has(completion)) continue
    seen.add(completion)
    out.push({ prompt, completion })
  }
  return out
}

export interface PrmOptions {
  /** A step is labelled positive when its value Q/N is at least this (default 0.5). */
  readonly threshold: number
  /** Only nodes visited at least this often carry a value (default 1). */
  readonly minVisits: number
}

const visited = (tree: Tree, o: PrmOptions) => tree.nodes.filter((n) => n.visits >= o.minVisits)

/**
 * TRL stepwise supervision: one record per visited leaf path. Each completion is one step's text
 * without its trailing newline, so TRL's default step separator "\n" rebuilds the rendered path.
 */
export const trlStepwiseRecords = (tree: Tree, prompt: string, o: PrmOptions): Array<TrlStepwise> =>
  visited(tree, o)
    .filter((n) => !childrenOf(tree, n).some((c) => c.visits >= o.minVisits))
    .map((leaf) => {
      const path = pathTo(tree, leaf)
      return {
        prompt,
        completions: path.map((p, i) => renderStep(i + 1, toStep(p)).replace(/\n$/, "")),
        labels: path.map((p) => nodeValue(p) >= o.threshold)
      }
    })

/** O1-CODER's point-wise PRM records: one per visited step prefix, hard or soft label. */
export const o1coderPrmRecords = (tree: Tree, prompt: string, o: PrmOptions & { readonly soft: boolean }): Array<O1CoderPrm> =>
  visited(tree, o).map((n) => {
    const v = Math.min(1, Math.max(0, nodeValue(n)))
    return {
      prompt,
      response: renderSteps(pathTo(tree, n)),
      has_final_step: n.terminal,
      label: o.soft ? v : v >= o.threshold ? "positive" : "negative"
    }
  })

/** PRM pair-wise: sibling steps of one prefix whose values differ by at least `margin`. */
export const prmPairRecords = (tree: Tree, prompt: string, o: { readonly margin: number; readonly minVisits: number }): Array<Preference> => {
  const out: Array<Preference> = []
  for (const parent of [tree.root, ...tree.nodes]) {
    const kids = childrenOf(tree, parent).filter((c) => c.visits >= o.minVisits && c.action !== null)
    if (kids.length < 2) continue
    const prefix = prompt + renderSteps(pathTo(tree, parent))
    for (let i = 0; i < kids.length; i++) {
      for (let j = i + 1; j < kids.length; j++) {
        const [a, b] = [kids[i]!, kids[j]!]
        const gap = nodeValue(a) - nodeValue(b)
        if (Math.abs(gap) < o.margin || gap === 0) continue
        const [hi, lo] = gap > 0 ? [a, b] : [b, a]
        const chosen = renderStep(hi.depth, toStep(hi))
        const rejected = renderStep(lo.depth, toStep(lo))
        if (chosen !== rejected) out.push({ prompt: prefix, chosen, rejected })
      }
    }
  }
  return out
}

export interface DpoOptions {
  /** A chosen completion passes at least this share of the suite (default 1: every test). */
  readonly chosenMinPassRate: number
  /** The rejected completion's pass rate is at least this much lower (AceCoder-style gap, default 0.4). */
  readonly minPassRateGap: number
  /** The rejected completion passes at least this share (default 0; AceCoder uses > 0 to avoid trivial negatives). */
  readonly rejectedMinPassRate: number
}

/**
 * Policy preference pairs: at each branching prefix, the best passing completion against the
 * worst failing one reached through a different child, so each pair's shared prefix is exact.
 */
export const dpoRecords = (tree: Tree, prompt: string, o: DpoOptions): Array<Preference> => {
  const terminalsUnder = (n: TreeNodeRow): Array<TreeNodeRow> => {
    const out: Array<TreeNodeRow> = []
    const stack = [n]
    while (stack.length > 0) {
      const cur = stack.pop()!
      if (executed(cur)) out.push(cur)
      stack.push(...childrenOf(tree, cur))
    }
    return out
  }
  const out: Array<Preference> = []
  for (const prefixNode of [tree.root, ...tree.nodes]) {
    const branches = childrenOf(tree, prefixNode).map((c) => ({ child: c, terminals: terminalsUnder(c) }))
    if (branches.length < 2) continue
    const all = branches.flatMap((b) => b.terminals.map((t) => ({ t, branch: b.child.id })))
    const chosen = all
      .filter(({ t }) => passRate(t) >= o.chosenMinPassRate)
      .sort((x, y) => passRate(y.t) - passRate(x.t) || x.t.depth - y.t.depth || x.t.seq - y.t.seq)[0]
    if (chosen === undefined) continue
    const rejected = all
      .filter(({ t, branch }) => branch !== chosen.branch && passRate(t) >= o.rejectedMinPassRate && passRate(chosen.t) - passRate(t) >= o.minPassRateGap)
      .sort((x, y) => passRate(x.t) - passRate(y.t) || x.t.seq - y.t.seq)[0]
    if (rejected === undefined) continue
    const prefixPath = pathTo(tree, prefixNode)
    const completion = (t: TreeNodeRow) => renderSteps(pathTo(tree, t).slice(prefixPath.length), prefixPath.length + 1)
    const [c, r] = [completion(chosen.t), completion(rejected.t)]
    if (c !== r) out.push({ prompt: prompt + renderSteps(prefixPath), chosen: c, rejected: r })
  }
  return out
}

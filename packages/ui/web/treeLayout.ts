import type { TreeNode } from "./api.ts"

/**
 * The tree laid out by depth, top to bottom: a row per depth, leaves side by side in creation
 * order (each as wide as its circle), a parent centred over its children. A collapsed node is a
 * leaf that hides its descendants. Linear in the number of nodes.
 */
export interface Placed {
  readonly node: TreeNode
  readonly x: number
  readonly y: number
  readonly r: number
  /** Descendants hidden under this node when it is collapsed (0 otherwise). */
  readonly hidden: number
  readonly children: ReadonlyArray<string>
}

export interface Layout {
  readonly placed: ReadonlyArray<Placed>
  readonly byId: ReadonlyMap<string, Placed>
  readonly width: number
  readonly height: number
  /** Every node's children in creation order (collapsed or not). */
  readonly children: ReadonlyMap<string, ReadonlyArray<TreeNode>>
}

export const ROW = 96
const GAP = 6

/** Radius from visits: 4 for an unvisited node up to 16 for the most visited one. */
export const radius = (visits: number, maxVisits: number) => 4 + 12 * Math.sqrt(maxVisits > 0 ? visits / maxVisits : 0)

export const childrenOf = (nodes: ReadonlyArray<TreeNode>) => {
  const children = new Map<string, Array<TreeNode>>()
  for (const n of nodes) {
    if (n.parentId === null) continue
    const list = children.get(n.parentId)
    if (list === undefined) children.set(n.parentId, [n])
    else list.push(n)
  }
  for (const list of children.values()) list.sort((a, b) => a.seq - b.seq)
  return children
}

export const descendants = (id: string, children: ReadonlyMap<string, ReadonlyArray<TreeNode>>): number => {
  let count = 0
  const stack = [...(children.get(id) ?? [])]
  while (stack.length > 0) {
    const n = stack.pop()!
    count++
    for (const k of children.get(n.id) ?? []) stack.push(k)
  }
  return count
}

/** `minWidth`: the least room a leaf takes (room for its label under it in small trees). */
export const layout = (nodes: ReadonlyArray<TreeNode>, collapsed: ReadonlySet<string>, minWidth = 0): Layout => {
  const children = childrenOf(nodes)
  const root = nodes.find((n) => n.parentId === null)
  const placed: Array<Placed> = []
  const byId = new Map<string, Placed>()
  if (root === undefined) return { placed, byId, width: 0, height: 0, children }
  const maxVisits = Math.max(1, ...nodes.map((n) => n.visits))
  let cursor = 0
  let maxDepth = 0
  // Iterative post-order: a node is placed once all its shown children are.
  const stack: Array<{ node: TreeNode; next: number; xs: Array<number> }> = [{ node: root, next: 0, xs: [] }]
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!
    const r = radius(top.node.visits, maxVisits)
    const shown = collapsed.has(top.node.id) ? [] : children.get(top.node.id) ?? []
    if (top.next < shown.length) {
      stack.push({ node: shown[top.next++]!, next: 0, xs: [] })
      continue
    }
    stack.pop()
    let x: number
    if (top.xs.length === 0) {
      const w = Math.max(2 * r, minWidth)
      x = cursor + w / 2
      cursor += w + GAP
    } else {
      x = (top.xs[0]! + top.xs[top.xs.length - 1]!) / 2
    }
    const p: Placed = {
      node: top.node,
      x,
      y: top.node.depth * ROW,
      r,
      hidden: collapsed.has(top.node.id) ? descendants(top.node.id, children) : 0,
      children: shown.map((k) => k.id)
    }
    placed.push(p)
    byId.set(p.node.id, p)
    maxDepth = Math.max(maxDepth, top.node.depth)
    stack[stack.length - 1]?.xs.push(x)
  }
  return { placed, byId, width: Math.max(cursor - GAP, 1), height: maxDepth * ROW, children }
}

/**
 * A value in [0, 1] as a red–yellow–green colour: Q/N, or for a terminal never visited its own
 * reward (what Q/N becomes on its first visit); grey for other unvisited nodes.
 */
const STOPS: ReadonlyArray<readonly [number, number, number]> = [
  [215, 48, 39],
  [252, 141, 89],
  [254, 224, 139],
  [145, 207, 96],
  [26, 152, 80]
]
export const nodeColour = (n: Pick<TreeNode, "value" | "visits" | "reward">) => {
  const value = n.visits > 0 ? n.value : n.reward
  if (value === null) return "#cbd5e1"
  const t = Math.min(1, Math.max(0, value)) * (STOPS.length - 1)
  const i = Math.min(STOPS.length - 2, Math.floor(t))
  const f = t - i
  const [a, b] = [STOPS[i]!, STOPS[i + 1]!]
  const c = a.map((v, k) => Math.round(v + (b[k]! - v) * f))
  return `rgb(${c[0]},${c[1]},${c[2]})`
}

import { Step } from "@o1coder/domain"
import { describe, expect, it } from "vitest"
import { selectAnswer, terminalValue } from "../src/Answer.ts"
import { makeRng } from "../src/Rng.ts"
import type { TreeNode } from "../src/Tree.ts"
import { backup, fromRows, isTerminal, makeNode, nodeValue, pathSteps, puct, selectChild, selectLeaf, toRow, uct } from "../src/Tree.ts"

let seq = 0
const node = (parent: TreeNode | undefined, fields: Partial<TreeNode> = {}): TreeNode =>
  makeNode({
    id: `t:${seq}`, seq: seq++, depth: parent ? parent.depth + 1 : 0, parent, action: parent ? "A1" : null, body: `b${seq}`,
    code: null, terminal: false, reward: null, passed: null, total: null, prior: null, ...fields
  })

describe("UCT arithmetic", () => {
  it("is Q/N + c·sqrt(ln N_parent / N), infinite when unvisited", () => {
    expect(uct({ visits: 2, valueSum: 1 }, 10, 2)).toBeCloseTo(0.5 + 2 * Math.sqrt(Math.log(10) / 2), 12)
    expect(uct({ visits: 4, valueSum: 4 }, 8, 0)).toBe(1)
    expect(uct({ visits: 0, valueSum: 0 }, 8, 2)).toBe(Infinity)
  })

  it("PUCT is Q/N + c·P·sqrt(N_parent)/(1+N)", () => {
    expect(puct({ visits: 3, valueSum: 1.5 }, 0.25, 16, 2)).toBeCloseTo(0.5 + (2 * 0.25 * 4) / 4, 12)
  })

  it("selects an unvisited child first, then the highest UCT", () => {
    const root = node(undefined, { visits: 3, valueSum: 1 })
    const a = node(root, { visits: 2, valueSum: 1 })
    const b = node(root, { visits: 1, valueSum: 0 })
    const c = node(root)
    expect(selectChild(root, 2, makeRng(1))).toBe(c)
    c.visits = 1
    c.valueSum = 1
    root.visits = 4
    // a: 0.5 + 2·sqrt(ln4/2) = 2.165; b: 0 + 2·sqrt(ln4) = 2.355; c: 1 + 2.355 = 3.355
    expect(selectChild(root, 2, makeRng(1))).toBe(c)
    c.valueSum = 0
    expect(selectChild(root, 2, makeRng(1))).toBe(b) // b ties c: the first wins
    expect(selectChild(root, 0, makeRng(1))).toBe(a) // exploitation only
  })

  it("PUCT selection follows normalised priors when nothing is visited", () => {
    const root = node(undefined, { visits: 1 })
    node(root, { prior: 0.1 })
    const b = node(root, { prior: 0.7 })
    node(root, { prior: 0.2 })
    expect(selectChild(root, 2, makeRng(1), "puct")).toBe(b)
  })

  it("draws among unvisited children from the iteration's generator, reproducibly", () => {
    const root = node(undefined)
    const kids = [node(root), node(root), node(root)]
    const picks = Array.from({ length: 30 }, (_, i) => selectChild(root, 2, makeRng(7, "s", i)))
    const again = Array.from({ length: 30 }, (_, i) => selectChild(root, 2, makeRng(7, "s", i)))
    expect(picks).toEqual(again)
    for (const k of kids) expect(picks).toContain(k)
  })

  it("descends to a leaf and stops at terminals", () => {
    const root = node(undefined, { visits: 5, valueSum: 4 })
    const a = node(root, { visits: 4, valueSum: 4, terminal: true, code: "x", reward: 1 })
    const b = node(root, { visits: 1, valueSum: 0 })
    const b1 = node(b)
    expect(selectLeaf(root, 0, makeRng(0))).toBe(a)
    expect(selectLeaf(root, 100, makeRng(0))).toBe(b1)
  })
})

describe("backup", () => {
  it("adds 1 to N and the reward to Q on the whole path, values are Q/N", () => {
    const root = node(undefined)
    const a = node(root)
    const a1 = node(a, { terminal: true, code: "c", reward: 0.5 })
    const b = node(root)
    const touched = backup(a1, 0.5)
    backup(a1, 0.5)
    backup(b, 0)
    expect(touched).toEqual([a1, a, root])
    expect([root.visits, root.valueSum, a.visits, a.valueSum, a1.visits, b.visits]).toEqual([3, 1, 2, 1, 2, 1])
    expect(nodeValue(root)).toBeCloseTo(1 / 3, 12)
    expect(nodeValue(a)).toBe(0.5)
    expect(nodeValue(node(undefined))).toBe(0)
  })
})

describe("terminal detection and paths", () => {
  it("a step is terminal when it holds code or reaches the depth limit", () => {
    expect(isTerminal(new Step({ action: "A3", body: "```python\nx=1\n```", code: "x=1" }), 2, 5)).toBe(true)
    expect(isTerminal(new Step({ action: "A2", body: "refine" }), 4, 5)).toBe(false)
    expect(isTerminal(new Step({ action: "A2", body: "refine" }), 5, 5)).toBe(true)
  })

  it("path steps and stored rows round-trip", () => {
    const root = node(undefined)
    const a = node(root, { action: "A1", body: "outline" })
    const a1 = node(a, { action: "A3", body: "```python\nf=1\n```", code: "f=1", terminal: true, reward: 1 })
    backup(a1, 1)
    expect(pathSteps(a1).map((s) => s.action)).toEqual(["A1", "A3"])
    expect(pathSteps(a1)[1]!.code).toBe("f=1")
    const rows = [root, a, a1].map((n) => toRow("s", n))
    const rebuilt = fromRows(rows)
    expect(rebuilt.all.map((n) => toRow("s", n))).toEqual(rows)
    expect(rebuilt.root.children[0]!.children[0]!.code).toBe("f=1")
  })
})

describe("answer selection", () => {
  const row = (id: number, o: { value: number; prior?: number; depth?: number; code?: string | null; terminal?: boolean; visits?: number }) => ({
    id: `n${id}`, seq: id, depth: o.depth ?? 2, terminal: o.terminal ?? true, code: o.code === undefined ? "x = 1" : o.code,
    visits: o.visits ?? 1, valueSum: o.value * (o.visits ?? 1), reward: o.value, prior: o.prior ?? null
  })

  it("takes the highest-value terminal with code", () => {
    expect(selectAnswer([row(1, { value: 0.5 }), row(2, { value: 0.9 }), row(3, { value: 1, code: null }), row(4, { value: 1, terminal: false })])?.id).toBe("n2")
  })
  it("breaks ties by PRM score, then by the shorter path and code", () => {
    expect(selectAnswer([row(1, { value: 1, prior: 0.2 }), row(2, { value: 1, prior: 0.8 })])?.id).toBe("n2")
    expect(selectAnswer([row(1, { value: 1 }), row(2, { value: 1 })], new Map([["n1", 0.9], ["n2", 0.1]]))?.id).toBe("n1")
    expect(selectAnswer([row(1, { value: 1, depth: 4 }), row(2, { value: 1, depth: 2 })])?.id).toBe("n2")
    expect(selectAnswer([row(1, { value: 1, code: "long code" }), row(2, { value: 1, code: "short" })])?.id).toBe("n2")
    expect(selectAnswer([row(1, { value: 1 }), row(2, { value: 1 })])?.id).toBe("n1")
  })
  it("values an unvisited terminal by its reward", () => {
    expect(terminalValue(row(1, { value: 0.75, visits: 0 }))).toBe(0.75)
    expect(selectAnswer([])).toBeUndefined()
  })
})

import { describe, expect, it } from "@effect/vitest"
import { CallTest, Problem, ProblemId, Step } from "@o1coder/domain"
import { ProblemsRepo } from "@o1coder/store/ProblemsRepo"
import { SearchRepo } from "@o1coder/store/SearchRepo"
import type { NodeRow } from "@o1coder/store/SearchRepo"
import * as TestDatabase from "@o1coder/store/TestDatabase"
import { Effect, Layer } from "effect"
import * as Http from "node:http"
import { makeHttpPrm, prmInputText, scoreFromPooling } from "../src/HttpPrm.ts"
import { makeTreeValuePrm, prefixStats } from "../src/TreeValuePrm.ts"

const node = (seq: number, parent: number | null, body: string, visits: number, valueSum: number, code: string | null = null): NodeRow => ({
  id: `s:${seq}`, searchId: "s", parentId: parent === null ? null : `s:${parent}`, seq, depth: 0, action: parent === null ? null : code ? "A3" : "A1",
  body, code, terminal: code !== null, visits, valueSum, reward: null, passed: null, total: null, prior: null
})
const tree = [node(0, null, "", 4, 2), node(1, 0, "plan a", 3, 2), node(2, 0, "plan b", 1, 0), node(3, 1, "```python\nx\n```", 2, 2, "x"), node(4, 1, "dead end", 0, 0)]
const step = (n: NodeRow) => new Step({ action: n.action!, body: n.body, ...(n.code ? { code: n.code } : {}) })

describe("tree-value process reward", () => {
  it("pools Q/N per rendered prefix", () => {
    const stats = prefixStats(tree)
    expect(stats.size).toBe(3)
  })

  it.layer(Layer.mergeAll(Layer.fresh(SearchRepo.Default), Layer.fresh(ProblemsRepo.Default)).pipe(Layer.provideMerge(TestDatabase.pglite)))((it) => {
    it.effect("scores a prefix by its stored value, else its longest visited ancestor, else 0.5", () =>
      Effect.gen(function* () {
        const repo = yield* SearchRepo
        yield* (yield* ProblemsRepo).upsert(
          new Problem({ id: ProblemId.make("t/1"), dataset: "t", taskId: "1", split: "test", kind: "function", statement: "s", entryPoint: "f", visibleTests: [new CallTest({ args: "1", expected: "1" })], heldOutTests: [] })
        )
        yield* repo.create({ id: "s", problemId: "t/1", runId: null, round: null, suiteId: null, policyVersion: "v", config: {}, seed: 0, root: tree[0]! })
        yield* repo.checkpoint({ searchId: "s", newNodes: tree.slice(1), updated: [], progress: { rolloutsDone: 4, tokens: 0, modelCalls: 0, executions: 0, elapsedMs: 0, bestNodeId: null } })
        const prm = yield* makeTreeValuePrm()
        const scores = yield* prm.score([
          { problemId: "t/1", statement: "s", steps: [step(tree[1]!)] },
          { problemId: "t/1", statement: "s", steps: [step(tree[1]!), step(tree[3]!)] },
          { problemId: "t/1", statement: "s", steps: [step(tree[2]!)] },
          { problemId: "t/1", statement: "s", steps: [step(tree[1]!), step(tree[4]!)] },
          { problemId: "t/1", statement: "s", steps: [new Step({ action: "A1", body: "never seen" })] }
        ])
        expect(scores).toEqual([2 / 3, 1, 0, 2 / 3, 0.5])
      })
    )
  })
})

describe("served PRM over vLLM's /pooling", () => {
  it("reads the positive probability at the last step tag", () => {
    expect(scoreFromPooling({ data: [{ index: 0, object: "pooling", data: [[0.9, 0.1], [0.2, 0.8]] }] }, 1)).toBe(0.8)
    expect(scoreFromPooling({ data: [{ data: [0.3, 0.6] }] }, 1)).toBe(0.6)
    expect(scoreFromPooling({ error: "x" }, 1)).toBeUndefined()
  })

  it.live("posts the prefix with step tags and parses the reply", () =>
    Effect.gen(function* () {
      const bodies: Array<any> = []
      const server = yield* Effect.acquireRelease(
        Effect.async<Http.Server>((resume) => {
          const s = Http.createServer((req, res) => {
            let text = ""
            req.on("data", (c) => (text += c))
            req.on("end", () => {
              bodies.push({ url: req.url, body: JSON.parse(text) })
              const tags = (JSON.parse(text).input as string).split("<extra_0>").length - 1
              res.setHeader("content-type", "application/json")
              res.end(JSON.stringify({ data: [{ index: 0, object: "pooling", data: Array.from({ length: tags }, (_, i) => [0.5 - i * 0.1, 0.5 + i * 0.1]) }] }))
            })
          })
          s.listen(0, "127.0.0.1", () => resume(Effect.succeed(s)))
        }),
        (s) => Effect.sync(() => s.close())
      )
      const port = (server.address() as { port: number }).port
      const prm = makeHttpPrm({ baseUrl: `http://127.0.0.1:${port}/v1`, model: "prm" })
      const steps = [new Step({ action: "A1", body: "outline" }), new Step({ action: "A2", body: "refine" })]
      const scores = yield* prm.score([{ problemId: "p", statement: "Add.", steps }, { problemId: "p", statement: "Add.", steps: steps.slice(0, 1) }])
      expect(scores[0]).toBeCloseTo(0.6, 12)
      expect(scores[1]).toBeCloseTo(0.5, 12)
      expect(bodies[0].url).toBe("/pooling")
      expect(bodies.map((b) => b.body.input)).toContain(prmInputText({ problemId: "p", statement: "Add.", steps }, "<extra_0>"))
      expect(bodies[0].body.model).toBe("prm")
    }).pipe(Effect.scoped)
  )
})

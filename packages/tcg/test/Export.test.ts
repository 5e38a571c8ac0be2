import { describe, expect, it } from "@effect/vitest"
import { CallTest, Problem, ProblemId, StdioTest, TestCase } from "@o1coder/domain"
import { TestDatabase } from "@o1coder/store"
import { DatasetsRepo } from "@o1coder/store/DatasetsRepo"
import { ProblemsRepo } from "@o1coder/store/ProblemsRepo"
import { SuitesRepo } from "@o1coder/store/SuitesRepo"
import { Effect, Layer } from "effect"
import * as NodeFs from "node:fs"
import * as NodeOs from "node:os"
import * as NodePath from "node:path"
import { exportTcg, shuffledOutputs, tcgRecords } from "../src/Export.ts"
import { parseTcgOutput, TCG_CASES_HEADER } from "../src/TcgFormat.ts"

const call = (args: string, expected: string) => new CallTest({ args, expected })

const problem = Problem.make({
  id: ProblemId.make("toy/2"),
  dataset: "toy",
  taskId: "2",
  split: "train",
  kind: "function",
  statement: "Double a number.",
  entryPoint: "double",
  reference: "def double(x):\n    return 2 * x\n",
  visibleTests: [call("1", "2")],
  heldOutTests: [],
  heldOutInputs: []
})

describe("DPO negatives", () => {
  it("keep the inputs and rotate the outputs among the cases", () => {
    const tests = [call("1", "2"), call("2", "4"), call("3", "6")]
    const neg = shuffledOutputs(tests)!
    expect(neg.map((t) => (t as CallTest).args)).toEqual(["1", "2", "3"])
    expect(neg.map((t) => (t as CallTest).expected)).toEqual(["4", "6", "2"])
    expect(shuffledOutputs(tests)).toEqual(neg)
    const io = shuffledOutputs([new StdioTest({ input: "a\n", output: "1\n" }), new StdioTest({ input: "b\n", output: "2\n" })])!
    expect(io.map((t) => (t as StdioTest).output)).toEqual(["2\n", "1\n"])
  })

  it("are absent when shuffling changes nothing", () => {
    expect(shuffledOutputs([call("1", "0"), call("2", "0")])).toBeUndefined()
    expect(shuffledOutputs([call("1", "2")])).toBeUndefined()
  })

  it("make SFT and DPO records in the template, parseable back", () => {
    const cases = [call("1", "2"), call("2", "4"), call("3", "6"), call("0", "0"), call("5", "10")].map((test) => new TestCase({ test, origin: "mutation" }))
    const r = tcgRecords(problem, cases, { casesPerRecord: 3 })
    expect(r.sft.length).toBe(2)
    expect(r.dpo.length).toBe(2)
    const first = r.dpo[0]!
    expect(first.prompt.endsWith(TCG_CASES_HEADER)).toBe(true)
    expect(first.prompt).toContain("return 2 * x")
    expect(r.sft[0]!.completion).toBe(first.chosen)
    const chosen = parseTcgOutput(first.chosen, problem).tests as ReadonlyArray<CallTest>
    const rejected = parseTcgOutput(first.rejected, problem).tests as ReadonlyArray<CallTest>
    expect(rejected.map((t) => t.args)).toEqual(chosen.map((t) => t.args))
    expect(rejected.map((t) => t.expected).sort()).toEqual(chosen.map((t) => t.expected).sort())
    expect(rejected.map((t) => t.expected)).not.toEqual(chosen.map((t) => t.expected))
  })
})

const layer = Layer.mergeAll(Layer.fresh(SuitesRepo.Default), Layer.fresh(ProblemsRepo.Default), Layer.fresh(DatasetsRepo.Default)).pipe(
  Layer.provideMerge(TestDatabase.pglite)
)

describe("exportTcg", () => {
  it.layer(layer, { timeout: 120_000 })((it) => {
    it.effect("writes TRL JSONL and records the dataset", () =>
      Effect.gen(function* () {
        yield* (yield* ProblemsRepo).upsert(problem)
        yield* (yield* SuitesRepo).save({
          id: "s-export",
          problemId: problem.id,
          generator: "mutation",
          configHash: "h",
          stats: {},
          cases: [call("1", "2"), call("2", "4"), call("3", "6")].map((test) => new TestCase({ test, origin: "mutation" }))
        })
        const dir = NodeFs.mkdtempSync(NodePath.join(NodeOs.tmpdir(), "tcg-export-"))
        const dpo = yield* exportTcg({ format: "dpo", out: NodePath.join(dir, "dpo.jsonl"), filters: { dataset: "toy" } })
        expect(dpo.rows).toBe(1)
        const line = JSON.parse(NodeFs.readFileSync(dpo.path, "utf8").trim())
        expect(Object.keys(line).sort()).toEqual(["chosen", "prompt", "rejected"])
        const sft = yield* exportTcg({ format: "sft", out: NodePath.join(dir, "sft.jsonl") })
        expect(sft.rows).toBe(1)
        const again = yield* exportTcg({ format: "sft", out: NodePath.join(dir, "sft.jsonl") })
        expect(again.sha256).toBe(sft.sha256)
        expect(again.datasetId).toBe(sft.datasetId)
        const recorded = yield* (yield* DatasetsRepo).list()
        expect(recorded.map((d) => d.kind).sort()).toEqual(["tcg-dpo", "tcg-sft"])
        const none = yield* exportTcg({ format: "sft", out: NodePath.join(dir, "none.jsonl"), filters: { generator: "llm" } })
        expect(none.rows).toBe(0)
      })
    )
  })
})

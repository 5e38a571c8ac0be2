import * as SqlClient from "@effect/sql/SqlClient"
import { describe, expect, it } from "@effect/vitest"
import { DatasetsRepo } from "@o1coder/store/DatasetsRepo"
import { TestDatabase } from "@o1coder/store"
import { sha256 } from "@o1coder/domain"
import { Effect, Layer } from "effect"
import { parquetReadObjects } from "hyparquet"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { Exporter, groundTruth } from "../src/Exporter.ts"
import { defaultRenderPrompt } from "../src/Prompt.ts"
import { FAIL_CODE, HALF_CODE, HELD_OUT, HELD_OUT_SECRET, PASS_CODE, seedGolden } from "./fixtures.ts"

const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "o1coder-export-"))
const out = (name: string) => Path.join(dir, name)
const lines = (path: string) => Fs.readFileSync(path, "utf8").split("\n").filter((l) => l !== "").map((l) => JSON.parse(l))

const PROMPT = defaultRenderPrompt({
  id: "mbpp/1", dataset: "mbpp", taskId: "1", split: "train", kind: "function",
  statement: "Write a function that adds two numbers.", entryPoint: "add", signature: "def add(a, b):", setup: null, visibleTests: []
})
const step = (n: number, action: string, body: string) => `### Step ${n} [${action}]\n${body}\n`
const code = (c: string) => "```python\n" + c + "\n```"
const S1A = step(1, "A1", "outline a")
const S1B = step(1, "A1", "outline b")
const S2PASS = step(2, "A3", code(PASS_CODE))
const S2FAIL = step(2, "A3", code(FAIL_CODE))
const S2HALF = step(2, "A3", code(HALF_CODE))

for (const backend of TestDatabase.backends) {
// Fresh services per backend: a shared memo map would otherwise reuse the first backend's.
const layer = Layer.mergeAll(Layer.fresh(Exporter.Default), Layer.fresh(DatasetsRepo.Default)).pipe(Layer.provideMerge(backend.layer))

describe(`Exporter on a golden tree (${backend.name})`, () => {
  it.layer(layer, { timeout: 120_000 })((it) => {
    it.effect("seeds the trees", () => seedGolden)

    it.effect("policy SFT on D+: prompt-completion and messages, byte-exact", () =>
      Effect.gen(function* () {
        const exporter = yield* Exporter
        const pc = yield* exporter.export("sft", { runId: "R", round: 0, split: "train", out: out(`${backend.name}-` + "sft-pc.jsonl"), format: "prompt-completion" })
        expect(pc.rows).toBe(1)
        expect(Fs.readFileSync(pc.path, "utf8")).toBe(JSON.stringify({ prompt: PROMPT, completion: S1A + S2PASS }) + "\n")
        const msgs = yield* exporter.export("sft", { runId: "R", round: 0, split: "train", out: out(`${backend.name}-` + "sft-msg.jsonl") })
        expect(msgs.format).toBe("messages")
        const [record] = lines(msgs.path)
        expect(Object.keys(record)).toEqual(["messages"])
        expect(record.messages).toEqual([
          { role: "user", content: PROMPT },
          { role: "assistant", content: S1A + S2PASS }
        ])
        // Without the split filter both problems (train and test) contribute.
        const both = yield* exporter.export("sft", { runId: "R", round: 0, out: out(`${backend.name}-` + "sft-all.jsonl") })
        expect(both.rows).toBe(2)
      })
    )

    it.effect("PRM TRL stepwise: one record per visited leaf, hard labels at the threshold", () =>
      Effect.gen(function* () {
        const exporter = yield* Exporter
        const r = yield* exporter.export("prm", { runId: "R", split: "train", out: out(`${backend.name}-` + "prm-trl.jsonl") })
        const recs = lines(r.path)
        expect(recs.map((x) => Object.keys(x))).toEqual([["prompt", "completions", "labels"], ["prompt", "completions", "labels"], ["prompt", "completions", "labels"]])
        expect(recs.every((x) => x.prompt === PROMPT)).toBe(true)
        expect(recs.map((x) => x.completions)).toEqual([
          [S1A.trimEnd(), S2PASS.trimEnd()],
          [S1A.trimEnd(), S2FAIL.trimEnd()],
          [S1B.trimEnd(), S2HALF.trimEnd()]
        ])
        expect(recs.map((x) => x.labels)).toEqual([[true, true], [true, false], [false, false]])
        // TRL joins completions with "\n": that rebuilds the rendered path.
        expect(recs[0].completions.join("\n") + "\n").toBe(S1A + S2PASS)
        const strict = yield* exporter.export("prm", { runId: "R", split: "train", threshold: 0.9, out: out(`${backend.name}-` + "prm-trl-strict.jsonl") })
        expect(lines(strict.path).map((x) => x.labels)).toEqual([[false, true], [false, false], [false, false]])
      })
    )

    it.effect("PRM O1-CODER point-wise: hard and soft labels per step prefix", () =>
      Effect.gen(function* () {
        const exporter = yield* Exporter
        const hard = lines((yield* exporter.export("prm", { runId: "R", split: "train", format: "o1coder-hard", out: out(`${backend.name}-` + "prm-hard.jsonl") })).path)
        expect(hard).toEqual([
          { prompt: PROMPT, response: S1A, has_final_step: false, label: "positive" },
          { prompt: PROMPT, response: S1B, has_final_step: false, label: "negative" },
          { prompt: PROMPT, response: S1A + S2PASS, has_final_step: true, label: "positive" },
          { prompt: PROMPT, response: S1A + S2FAIL, has_final_step: true, label: "negative" },
          { prompt: PROMPT, response: S1B + S2HALF, has_final_step: true, label: "negative" }
        ])
        const soft = lines((yield* exporter.export("prm", { runId: "R", split: "train", format: "o1coder-soft", out: out(`${backend.name}-` + "prm-soft.jsonl") })).path)
        expect(soft.map((x) => x.label)).toEqual([2 / 3, 0.25, 1, 0, 0.25])
        expect(soft.map((x) => Object.keys(x))).toEqual(Array(5).fill(["prompt", "response", "has_final_step", "label"]))
      })
    )

    it.effect("PRM pairs: siblings with a value gap of at least the margin", () =>
      Effect.gen(function* () {
        const exporter = yield* Exporter
        const recs = lines((yield* exporter.export("prm-pairs", { runId: "R", split: "train", out: out(`${backend.name}-` + "pairs.jsonl") })).path)
        expect(recs).toEqual([
          { prompt: PROMPT, chosen: S1A, rejected: S1B },
          { prompt: PROMPT + S1A, chosen: S2PASS, rejected: S2FAIL }
        ])
        const wide = yield* exporter.export("prm-pairs", { runId: "R", split: "train", margin: 0.5, out: out(`${backend.name}-` + "pairs-wide.jsonl") })
        expect(lines(wide.path)).toEqual([{ prompt: PROMPT + S1A, chosen: S2PASS, rejected: S2FAIL }])
      })
    )

    it.effect("policy preference pairs: passing vs failing completion of the same prefix", () =>
      Effect.gen(function* () {
        const exporter = yield* Exporter
        const recs = lines((yield* exporter.export("dpo", { runId: "R", split: "train", out: out(`${backend.name}-` + "dpo.jsonl") })).path)
        expect(recs).toEqual([
          { prompt: PROMPT, chosen: S1A + S2PASS, rejected: S1B + S2HALF },
          { prompt: PROMPT + S1A, chosen: S2PASS, rejected: S2FAIL }
        ])
        // AceCoder-style: rejected must pass something; then only the root pair (0.25 > 0) remains.
        const nonTrivial = lines((yield* exporter.export("dpo", { runId: "R", split: "train", rejectedMinPassRate: 0.1, out: out(`${backend.name}-` + "dpo2.jsonl") })).path)
        expect(nonTrivial).toEqual([{ prompt: PROMPT, chosen: S1A + S2PASS, rejected: S1B + S2HALF }])
        const capped = yield* exporter.export("dpo", { runId: "R", maxPerProblem: 1, out: out(`${backend.name}-` + "dpo3.jsonl") })
        expect(capped.rows).toBe(2) // one per problem, two problems
      })
    )

    it.effect("verl parquet reads back, with the generated suite as ground truth and no held-out test", () =>
      Effect.gen(function* () {
        const exporter = yield* Exporter
        const r = yield* exporter.export("verl", { runId: "R", round: 0, out: out(`${backend.name}-` + "rl.parquet") })
        expect(r.rows).toBe(2)
        const buf = Fs.readFileSync(r.path)
        const rows: Array<any> = yield* Effect.promise(() =>
          parquetReadObjects({ file: buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer })
        )
        expect(rows.length).toBe(2)
        expect(rows[0].data_source).toBe("mbpp")
        expect(rows[0].prompt).toEqual([{ role: "user", content: PROMPT }])
        expect(rows[0].ability).toBe("code")
        expect(rows[0].reward_model.style).toBe("rule")
        const truth = JSON.parse(rows[0].reward_model.ground_truth)
        expect(truth.problem_id).toBe("mbpp/1")
        expect(truth.suite_id).toBe(rows[0].extra_info.suite_id)
        expect(truth.problem.entry_point).toBe("add")
        expect(truth.problem.tests).toEqual([{ _tag: "call", args: "(2, 3)", expected: "5" }, { _tag: "call", args: "(0, 0)", expected: "0" }])
        expect(Number(rows[0].extra_info.index)).toBe(0)
        expect(rows[0].extra_info.problem_id).toBe("mbpp/1")
        expect(rows[1].extra_info.problem_id).toBe("mbpp/2")
        expect(rows[1].extra_info.split).toBe("test")
        const text = buf.toString("latin1")
        expect(text.includes(HELD_OUT_SECRET.args)).toBe(false)
        expect(text.includes(HELD_OUT.args)).toBe(false)
      })
    )

    it.effect("verl leaves out a problem whose suite a trivial baseline passes (not reward-safe)", () =>
      Effect.gen(function* () {
        const sql = yield* SqlClient.SqlClient
        const setSafe = (safe: boolean) =>
          sql`update test_suites set stats = jsonb_set(stats, '{integrity,rewardSafe}', ${safe ? "true" : "false"}::jsonb) where id = 'suite-2'`
        yield* setSafe(false)
        const r = yield* (yield* Exporter).export("verl", { runId: "R", round: 0, out: out(`${backend.name}-` + "rl-safe.parquet") })
        yield* setSafe(true)
        expect(r.rows).toBe(1)
        expect(r.excludedUnsafe).toEqual(["mbpp/2"])
      })
    )

    it.effect("never exports held-out tests in any file", () =>
      Effect.sync(() => {
        for (const f of Fs.readdirSync(dir)) {
          const text = Fs.readFileSync(Path.join(dir, f), "latin1")
          expect(text.includes("(40, 2)"), f).toBe(false)
          expect(text.includes("(1, 2)"), f).toBe(false)
        }
      })
    )

    it.effect("is deterministic and records each export in datasets", () =>
      Effect.gen(function* () {
        const exporter = yield* Exporter
        const repo = yield* DatasetsRepo
        for (const kind of ["sft", "prm", "prm-pairs", "dpo", "verl"] as const) {
          const a = yield* exporter.export(kind, { runId: "R", out: out(`${backend.name}-` + `det-a-${kind}`) })
          const b = yield* exporter.export(kind, { runId: "R", out: out(`${backend.name}-` + `det-b-${kind}`) })
          expect(Fs.readFileSync(a.path).equals(Fs.readFileSync(b.path)), kind).toBe(true)
          expect(a.sha256).toBe(sha256(Fs.readFileSync(a.path)))
          expect(a.sha256).toBe(b.sha256)
          expect(a.datasetId).toBe(b.datasetId)
          const row = yield* repo.get(a.datasetId)
          expect(row?.rows).toBe(a.rows)
          expect(row?.sha256).toBe(a.sha256)
          expect(row?.kind).toBe(kind)
          expect(row?.runId).toBe("R")
        }
      })
    )

    it.effect("run and status filters: other runs and unfinished searches stay out unless asked", () =>
      Effect.gen(function* () {
        const exporter = yield* Exporter
        expect((yield* exporter.export("sft", { runId: "other", out: out(`${backend.name}-` + "o.jsonl") })).rows).toBe(1)
        expect((yield* exporter.export("sft", { runId: "nope", out: out(`${backend.name}-` + "n.jsonl") })).rows).toBe(0)
        expect((yield* exporter.export("sft", { runId: "R", round: 1, out: out(`${backend.name}-` + "r1.jsonl") })).rows).toBe(0)
        expect((yield* exporter.export("sft", { runId: "R", includeIncomplete: true, out: out(`${backend.name}-` + "inc.jsonl") })).rows).toBe(3)
        expect((yield* exporter.export("sft", { runId: "R", includeIncomplete: true, maxPerProblem: 1, out: out(`${backend.name}-` + "inc1.jsonl") })).rows).toBe(2)
        const bad = yield* Effect.flip(exporter.export("sft", { runId: "R", format: "nope", out: out(`${backend.name}-` + "x.jsonl") }))
        expect(bad._tag).toBe("ExportError")
      })
    )
  })
})
}

describe("verl ground truth", () => {
  it("is canonical JSON of a /v1/reward item without its completion; stdio suites also carry TACO-style inputs/outputs", () => {
    const stdio = [{ _tag: "stdio", input: "1 2\n", output: "3\n" }, { _tag: "stdio", input: "0 0\n", output: "0\n" }]
    expect(JSON.parse(groundTruth({ id: "apps/1", kind: "stdio", entryPoint: null, setup: null }, "S1", stdio))).toEqual({
      problem_id: "apps/1",
      suite_id: "S1",
      problem: { entry_point: null, kind: "stdio", setup: null, tests: stdio },
      inputs: ["1 2\n", "0 0\n"],
      outputs: ["3\n", "0\n"]
    })
    const call = [{ _tag: "call", args: "(1, 2)", expected: "3" }]
    const text = groundTruth({ id: "mbpp/1", kind: "function", entryPoint: "add", setup: null }, "S2", call)
    expect(text).toBe('{"problem":{"entry_point":"add","kind":"function","setup":null,"tests":[{"_tag":"call","args":"(1, 2)","expected":"3"}]},"problem_id":"mbpp/1","suite_id":"S2"}')
  })
})

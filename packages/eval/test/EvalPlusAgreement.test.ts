import { describe, expect, it } from "@effect/vitest"
import { sharedDataFile } from "@o1coder/domain"
import { SimulatedPolicy, SimulatedPolicyParams } from "@o1coder/models"
import { readMbppPlus } from "@o1coder/problems"
import { sandboxLayer } from "@o1coder/sandbox"
import { EvaluationsRepo } from "@o1coder/store/EvaluationsRepo"
import * as TestDatabase from "@o1coder/store/TestDatabase"
import { Effect, Layer } from "effect"
import { spawnSync } from "node:child_process"
import { fileURLToPath } from "node:url"
import * as Evaluate from "../src/Evaluate.ts"
import type { SampleRecord } from "../src/Samples.ts"

/**
 * Agreement with EvalPlus's rules as a plain-Python grader applies them (fixtures/evalplus_grader.py, run by
 * /usr/bin/python3, no sandbox, numpy's allclose written out): the CodeMutator mutants of the canonical
 * solutions of a fixed set of MBPP+ tasks (the special-oracle tasks among them) get the same base and plus
 * verdict from both, sample by sample.
 */
const plus = sharedDataFile("mbpp-plus/MbppPlus.jsonl")
const GRADER = fileURLToPath(new URL("./fixtures/evalplus_grader.py", import.meta.url))
const TASKS = new Set([
  2, 3, 4, 6, 7, 8, 9, 11, 12, 14, 16, 17, 18, 19, 20, 56, 57, 58, 59, 61, 62, 63, 64, 65, 66, 67, 68, 69, 70, 71,
  111, 140, 164, 232, 249, 267, 287, 295, 558, 579, 581, 606, 737, 769, 794
].map(String))
const layer = Layer.mergeAll(EvaluationsRepo.Default, sandboxLayer({ workers: 2 })).pipe(Layer.provideMerge(TestDatabase.pglite))

describe("agreement with a plain-Python EvalPlus grader", () => {
  it.layer(layer, { timeout: 300_000 })((it) => {
    it.effect.skipIf(plus.missing)("CodeMutator mutants of MBPP+ canonical solutions: 100% per-sample agreement", () =>
      Effect.gen(function* () {
        const problems = (yield* readMbppPlus(plus.path)).problems.map((r) => r.problem).filter((p) => TASKS.has(p.taskId))
        expect(problems.length).toBe(TASKS.size)
        const policy = yield* SimulatedPolicy.make({ problems, params: new SimulatedPolicyParams({ pCorrect: 0 }), mutantsPerProblem: 12 })
        let line = 0
        const records: Array<SampleRecord> = problems.flatMap((p) =>
          policy.candidates(p.id).slice(1).map((text) => ({ line: ++line, taskId: `Mbpp/${p.taskId}`, field: "solution" as const, text }))
        )
        expect(records.length).toBeGreaterThanOrEqual(200)
        const ours = new Map<number, [boolean, boolean]>()
        yield* Evaluate.run({
          problems,
          dataset: "mbpp-plus",
          split: "all",
          mode: "direct",
          policy: { _tag: "samples", file: "mutants", records, issues: [] },
          onSample: (r) => Effect.sync(() => void ours.set(r.line!, [r.basePassed, r.passed]))
        })
        const job = {
          tasks: problems.map((p) => ({
            task: p.taskId,
            entry: p.entryPoint,
            code: `${p.setup ?? ""}\n${p.reference}`,
            base: p.heldOutBaseInputs,
            plus: p.heldOutInputs,
            atol: p.atol ?? 0
          })),
          samples: records.map((r) => ({ line: r.line, task: taskOf(r), code: r.text }))
        }
        const run = spawnSync("/usr/bin/python3", [GRADER], { input: JSON.stringify(job), encoding: "utf8", maxBuffer: 64 * 1024 ** 2, timeout: 240_000 })
        expect(run.status, run.stderr).toBe(0)
        const theirs = JSON.parse(run.stdout) as Record<string, [boolean, boolean]>
        const disagree = records.filter((r) => JSON.stringify(ours.get(r.line)) !== JSON.stringify(theirs[String(r.line)]))
        const passing = records.filter((r) => theirs[String(r.line)]?.[1]).length
        console.log(`agreement: ${records.length - disagree.length}/${records.length} mutants of ${problems.length} tasks (${passing} pass base + plus)`)
        expect(disagree.map((r) => ({ task: r.taskId, line: r.line, ours: ours.get(r.line), evalplus: theirs[String(r.line)], code: r.text }))).toEqual([])
      })
    )
  })
})

const taskOf = (r: SampleRecord) => r.taskId.replace(/^Mbpp\//, "")

import { describe, expect, it } from "@effect/vitest"
import { readHumanEval, readHumanEvalPlus } from "@o1coder/problems"
import { sandboxLayer } from "@o1coder/sandbox"
import { EvaluationsRepo } from "@o1coder/store/EvaluationsRepo"
import * as TestDatabase from "@o1coder/store/TestDatabase"
import { Effect, Layer } from "effect"
import { fileURLToPath } from "node:url"
import * as Evaluate from "../src/Evaluate.ts"
import type { SampleRecord } from "../src/Samples.ts"

/**
 * HumanEval+ in its own format, written for the test (fixtures/humaneval-plus-heavy.jsonl; the public files are
 * not on these machines): outputs of more than 20,000 characters (14, 15) and of more than 1M elements (100),
 * a canonical solution that takes seconds (96: count_up_to(20000)), and find_zero's special oracle (32).
 * Nothing is dropped: every base and plus input is scored.
 */
const FIXTURE = fileURLToPath(new URL("./fixtures/humaneval-plus-heavy.jsonl", import.meta.url))
const layer = Layer.mergeAll(EvaluationsRepo.Default, sandboxLayer({ workers: 2 })).pipe(Layer.provideMerge(TestDatabase.pglite))

const CASES: ReadonlyArray<readonly [string, string, boolean]> = [
  ["HumanEval/14", "def all_prefixes(string):\n    return [string[:i] for i in range(1, len(string) + 1)]\n", true],
  ["HumanEval/14", "def all_prefixes(string):\n    r = [string[:i] for i in range(1, len(string) + 1)]\n    return r if len(string) < 100 else r[:-1] + ['?']\n", false],
  ["HumanEval/15", "def string_sequence(n):\n    return ' '.join(map(str, range(n + 1)))\n", true],
  ["HumanEval/15", "def string_sequence(n):\n    return ' '.join(map(str, range(n + 1))) + (' ' if n > 5000 else '')\n", false],
  ["HumanEval/100", "def make_a_pile(n):\n    return list(range(n, 3 * n, 2))\n", true],
  ["HumanEval/100", "def make_a_pile(n):\n    r = list(range(n, 3 * n, 2))\n    r[-1] += 1 if n > 10 else 0\n    return r\n", false],
  ["HumanEval/96", "def count_up_to(n):\n    s = [True] * max(n, 2)\n    out = []\n    for i in range(2, n):\n        if s[i]:\n            out.append(i)\n            for j in range(i * i, n, i):\n                s[j] = False\n    return out\n", true],
  ["HumanEval/96", "def count_up_to(n):\n    return [i for i in range(2, n) if all(i % j for j in range(2, i))][:-1]\n", false],
  // another root than the canonical's: EvalPlus checks |poly(xs, out)| <= atol, not equality
  ["HumanEval/32", "def poly(xs, x):\n    return sum(c * x ** i for i, c in enumerate(xs))\n\ndef find_zero(xs):\n    x = 10.0\n    for _ in range(200):\n        d = sum(i * c * x ** (i - 1) for i, c in enumerate(xs) if i > 0)\n        x = x - poly(xs, x) / d\n    return x\n", true],
  ["HumanEval/32", "def find_zero(xs):\n    return 0.5\n", false]
]

describe("HumanEval+ (fixtures): EvalPlus grading, nothing dropped", () => {
  it.layer(layer, { timeout: 240_000 })((it) => {
    it.effect("the reference scores 100% with every input scored; right and wrong solutions are told apart", () =>
      Effect.gen(function* () {
        const problems = (yield* readHumanEvalPlus(FIXTURE)).problems.map((r) => r.problem)
        expect(problems.length).toBe(5)
        const inputs = problems.reduce((a, p) => a + p.heldOutBaseInputs.length + p.heldOutInputs.length, 0)
        const reference = yield* Evaluate.run({ problems, dataset: "humaneval-plus", split: "test", mode: "direct", policy: { _tag: "reference" } })
        const m = reference.evaluation.metrics
        expect(reference.evaluation.details.filter((d) => d.passed < d.samples).map((d) => d.problemId)).toEqual([])
        expect(m["pass@1"]).toBe(1)
        expect([m.inputs_scored, m.inputs_unscored]).toEqual([inputs, 0])
        console.log(`HumanEval+ fixtures, reference: pass@1 ${m["pass@1"]}, ${m.inputs_scored} of ${inputs} inputs scored, ${m.seconds} s`)

        const records: Array<SampleRecord> = CASES.map(([taskId, text], i) => ({ line: i + 1, taskId, field: "solution", text }))
        const results: Array<Evaluate.SampleResult> = []
        yield* Evaluate.run({
          problems,
          dataset: "humaneval-plus",
          split: "test",
          mode: "direct",
          policy: { _tag: "samples", file: "heavy", records, issues: [] },
          onSample: (r) => Effect.sync(() => results.push(r))
        })
        const byLine = new Map(results.map((r) => [r.line, r]))
        expect(CASES.map(([task], i) => [task, byLine.get(i + 1)?.passed])).toEqual(CASES.map(([task, , passes]) => [task, passes]))
        // A heavy value that differs says what it can: here same kind and length, contents differ.
        expect(byLine.get(6)?.firstFailure?.error).toBe("compared by digest: same kind and length (1100000), contents differ")
        expect(byLine.get(6)?.firstFailure?.input).toBe("1100000")
      })
    )

    it.effect("HumanEval (original grading): the same reference passes its check() tests", () =>
      Effect.gen(function* () {
        const problems = (yield* readHumanEval(FIXTURE)).problems.map((r) => r.problem)
        const report = yield* Evaluate.run({ problems, dataset: "humaneval", split: "test", mode: "direct", policy: { _tag: "reference" } })
        expect(report.evaluation.metrics["pass@1"]).toBe(1)
        expect(report.protocolText).toContain("the dataset's own tests")
      })
    )
  })
})

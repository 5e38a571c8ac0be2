import { describe, expect, it } from "@effect/vitest"
import { readMbppPlus } from "@o1coder/problems"
import { sandboxLayer } from "@o1coder/sandbox"
import { EvaluationsRepo } from "@o1coder/store/EvaluationsRepo"
import * as TestDatabase from "@o1coder/store/TestDatabase"
import { Effect, Layer } from "effect"
import { fileURLToPath } from "node:url"
import * as Evaluate from "../src/Evaluate.ts"
import type { SampleRecord } from "../src/Samples.ts"

/**
 * EvalPlus's special oracles and float rules, each with a solution EvalPlus passes and one it fails, on
 * MBPP+ records written for the test (fixtures/mbpp-plus-oracles.jsonl, the real tasks' canonical solutions).
 */
const FIXTURE = fileURLToPath(new URL("./fixtures/mbpp-plus-oracles.jsonl", import.meta.url))
const layer = Layer.mergeAll(EvaluationsRepo.Default, sandboxLayer({ workers: 2 })).pipe(Layer.provideMerge(TestDatabase.pglite))

/** [task, solution, EvalPlus passes it?, why] */
const CASES: ReadonlyArray<readonly [number, string, boolean, string]> = [
  [2, "def similar_elements(a, b):\n    return tuple(sorted(set(a) & set(b)))\n", true, "set equality: any order"],
  [2, "def similar_elements(a, b):\n    return tuple(set(a) | set(b))\n", false, "set equality: other elements"],
  [2, "def similar_elements(a, b):\n    return [list(set(a) & set(b))]\n", false, "set equality: set() of a list of lists raises"],
  [164, "def are_equivalent(a, b):\n    return 'anything'\n", true, "164: any returned value passes"],
  [164, "def are_equivalent(a, b):\n    raise ValueError(a)\n", false, "164: an exception still fails"],
  [295, "def sum_div(n):\n    return 0\n", true, "295: exact or 0"],
  [295, "def sum_div(n):\n    return sum(i for i in range(1, n) if n % i == 0)\n", false, "295: proper divisors are neither"],
  [267, "def square_Sum(n):\n    return n * (4 * n * n - 1) / 3\n", true, "float expected: the same float"],
  [267, "def square_Sum(n):\n    return n * (4 * n * n - 1) // 3\n", false, "float expected, exact int that differs: type rule"],
  [737, "import re\ndef check_str(s):\n    return bool(re.match('[aeiouAEIOU]', s))\n", true, "not None: a bool is compared as is"],
  [737, "def check_str(s):\n    return 'yes'\n", false, "not None: a value where the reference gives None"],
  [558, "def digit_distance_nums(a, b):\n    x, y = str(a).zfill(9), str(b).zfill(9)\n    return sum(abs(int(p) - int(q)) for p, q in zip(x, y))\n", true, "558: the per-digit formula is accepted"],
  [558, "def digit_distance_nums(a, b):\n    return abs(a - b)\n", false, "558: neither formula"],
  [581, "import math\ndef surface_Area(b, h):\n    return round(b * b + 2 * b * math.sqrt((b / 2) ** 2 + h * h))\n", true, "581: slant height from the height"],
  [581, "def surface_Area(b, h):\n    return b * h\n", false, "581: neither formula"],
  [606, "import math\ndef radian_degree(d):\n    return d * (math.pi / 180)\n", true, "floats within np.allclose(atol=1e-6)"],
  [606, "def radian_degree(d):\n    return d * 3.14 / 180\n", false, "floats outside the tolerance"]
]

describe("EvalPlus grading on MBPP+ (special oracles, float and type rules)", () => {
  it.layer(layer, { timeout: 120_000 })((it) => {
    it.effect("each oracle passes the solution EvalPlus passes and fails the one it fails", () =>
      Effect.gen(function* () {
        const problems = (yield* readMbppPlus(FIXTURE)).problems.map((r) => r.problem)
        expect(problems.length).toBe(8)
        const records: Array<SampleRecord> = CASES.map(([task, text], i) => ({ line: i + 1, taskId: `Mbpp/${task}`, field: "solution", text }))
        const results: Array<Evaluate.SampleResult> = []
        const report = yield* Evaluate.run({
          problems,
          dataset: "mbpp-plus",
          split: "all",
          mode: "direct",
          policy: { _tag: "samples", file: "oracles", records, issues: [] },
          onSample: (r) => Effect.sync(() => results.push(r))
        })
        const byLine = new Map(results.map((r) => [r.line, r]))
        const verdicts = CASES.map(([task, , _expected, why], i) => [task, why, byLine.get(i + 1)?.passed])
        expect(verdicts).toEqual(CASES.map(([task, , expected, why]) => [task, why, expected]))
        expect(report.protocolText).toContain("EvalPlus")
        // The first failure names its input and the value seen.
        const wrong = byLine.get(9)!
        expect(wrong.firstFailure?.input).toBe("1000001")
        expect(wrong.firstFailure?.seen).toBe("1333337333337000001")

        // The original sandbox rule (relative 1e-6) would have accepted the int: the policy is what decides.
        const reference = yield* Evaluate.run({ problems, dataset: "mbpp-plus", split: "all", mode: "direct", policy: { _tag: "reference" } })
        expect(reference.evaluation.metrics["pass@1"]).toBe(1)
        expect(reference.evaluation.metrics.inputs_unscored).toBe(0)
      })
    )
  })
})

import { describe, expect, it } from "@effect/vitest"
import { CallTest, parsePyArgs } from "@o1coder/domain"
import * as CodeMutator from "@o1coder/models/CodeMutator"
import { SandboxLive } from "@o1coder/sandbox/SandboxLive"
import { Sandbox } from "@o1coder/sandbox/Sandbox"
import { Effect } from "effect"
import { fromCodeMutator } from "../src/Mutants.ts"
import { killMatrix, killedMutants, reduceSuite } from "../src/Quality.ts"
import { labelInputs, validateTests } from "../src/Validation.ts"
import { mutateInputs, Rng } from "../src/InputMutation.ts"
import { CallTest as CallTestClass, Problem, ProblemId } from "@o1coder/domain"
import * as SimulatedTestGenerator from "@o1coder/models/SimulatedTestGenerator"
import { SamplingOptions } from "@o1coder/models/LanguageModel"
import { parseTcgOutput, promptInputFor, renderTcgPrompt, TCG_STOP } from "../src/TcgFormat.ts"

// The reference: crashes on negative input, loops forever on 99, returns a random value on 7.
const reference = `
import random
def f(n, xs):
    if n < 0:
        raise ValueError("negative")
    if n == 99:
        while True:
            pass
    if n == 7:
        return random.random()
    return n + sum(xs)
`
const problem = { id: "live/1", kind: "function" as const, entryPoint: "f", setup: undefined }

describe("TCG on the real sandbox", () => {
  {
    it.live("validation verdicts: kept, wrong output, crash, timeout, non-deterministic", () =>
      Effect.gen(function* () {
        const sandbox = yield* Sandbox
        const tests = [
          new CallTest({ args: "1, [2, 3]", expected: "6" }),
          new CallTest({ args: "1, [2, 3]", expected: "7" }),
          new CallTest({ args: "-1, []", expected: "0" }),
          new CallTest({ args: "99, []", expected: "99" }),
          new CallTest({ args: "7, []", expected: "0.5" })
        ]
        const checks = yield* validateTests(sandbox, problem, reference, tests)
        expect(checks.map((c) => (c.keep ? "keep" : c.reason))).toEqual(["keep", "wrong_output", "crash", "timeout", "non_deterministic"])
        const labelled = yield* labelInputs(sandbox, problem, reference, [
          parsePyArgs("2, [1.5, 1]") as any,
          parsePyArgs("3, [{'a': 1}]") as any,
          parsePyArgs("7, []") as any
        ].map((x) => x))
        expect(labelled[0]!.check.keep).toBe(true)
        expect(labelled[0]!.expected).toBe("4.5")
        expect(labelled[1]!.check).toMatchObject({ keep: false, reason: "crash" })
        expect(labelled[2]!.check).toMatchObject({ keep: false, reason: "non_deterministic" })
      }).pipe(Effect.provide(SandboxLive)), 120_000
    )

    it.live("mutated inputs labelled by the reference kill AST mutants; reduction keeps the kills", () =>
      Effect.gen(function* () {
        const sandbox = yield* Sandbox
        const code = "def count_pos(xs, k):\n    n = 0\n    for x in xs:\n        if x > k:\n            n += 1\n    return n\n"
        const p = { id: "live/2", kind: "function" as const, entryPoint: "count_pos", setup: undefined }
        const seed = parsePyArgs("[1, 5, -2, 8], 2") as any
        const inputs = mutateInputs([seed], 30, new Rng("live:0"))
        const labelled = yield* labelInputs(sandbox, p, code, inputs)
        const tests = labelled.filter((l) => l.check.keep).map((l) => new CallTest({ args: l.argsSource!, expected: l.expected! }))
        expect(tests.length).toBeGreaterThan(20)
        const mutants = yield* fromCodeMutator(CodeMutator.mutate).mutants(code, { seed: 0, count: 8 })
        expect(mutants.length).toBeGreaterThan(2)
        const again = yield* fromCodeMutator(CodeMutator.mutate).mutants(code, { seed: 0, count: 8 })
        expect(again).toEqual(mutants)
        const matrix = yield* killMatrix(sandbox, p, mutants, tests)
        const killed = killedMutants(matrix)
        expect(killed).toBeGreaterThan(0)
        const chosen = reduceSuite(matrix, tests.length)
        expect(killedMutants(matrix, chosen)).toBe(killed)
        expect(chosen.length).toBeLessThan(tests.length)
      }).pipe(Effect.provide(SandboxLive)), 120_000
    )

    it.live("the simulated TCG model answers the template; validation keeps its right cases and drops its wrong ones", () =>
      Effect.gen(function* () {
        const sandbox = yield* Sandbox
        const toy = Problem.make({
          id: ProblemId.make("live/3"),
          dataset: "live",
          taskId: "3",
          split: "test",
          kind: "function",
          statement: "Write a function to square every number of a list.",
          entryPoint: "squares",
          reference: "def squares(xs):\n    return [x * x for x in xs]\n",
          visibleTests: [new CallTestClass({ args: "[1, 2, 3]", expected: "[1, 4, 9]" })],
          heldOutTests: [],
          heldOutInputs: []
        })
        const prompt = renderTcgPrompt(promptInputFor(toy, 4))
        const options = new SamplingOptions({ n: 1, stop: [TCG_STOP], seed: 0 })
        for (const [share, keep] of [[0, true], [1, false]] as const) {
          const model = yield* SimulatedTestGenerator.make({ problems: [toy], wrongShare: share })
          const [completion] = yield* model.complete(prompt, options)
          const parsed = parseTcgOutput(completion!.text, toy)
          expect(parsed.unparseable).toEqual([])
          expect(parsed.tests.length).toBe(4)
          const checks = yield* validateTests(sandbox, toy, toy.reference!, parsed.tests)
          expect(checks.every((c) => c.keep === keep)).toBe(true)
        }
      }).pipe(Effect.provide(SandboxLive)), 120_000
    )
  }
})

import { describe, expect, it } from "@effect/vitest"
import type { Step } from "@o1coder/domain"
import { parseStep, Problem, ProblemId, renderPath, STEP_STOP, StdioTest, stepHeaderPrefix } from "@o1coder/domain"
import { Effect } from "effect"
import * as ChildProcess from "node:child_process"
import * as NodeFs from "node:fs"
import * as NodeOs from "node:os"
import * as NodePath from "node:path"
import * as ModelSpecs from "../src/ModelSpecs.ts"
import { trustedPython } from "../src/CodeMutator.ts"
import { SamplingOptions } from "../src/LanguageModel.ts"
import * as SimulatedPolicy from "../src/SimulatedPolicy.ts"
import * as SimulatedTestGenerator from "../src/SimulatedTestGenerator.ts"
import { trainSimulatedPolicy } from "../src/TrainSimulated.ts"
import { mbppFile, readMbppRaw, toProblem } from "./mbppFixture.ts"

/** A step prompt in the search's shape: instructions, the problem, the path, the next header prefix. */
const stepPrompt = (problem: Problem, steps: ReadonlyArray<Step>) =>
  `Solve step by step.\n## Problem\n${problem.statement.trim()}\nThe tests call \`${problem.entryPoint}\`.\n## Steps\n${renderPath(steps)}${stepHeaderPrefix(steps.length + 1)}`

/** Runs each assert line against the reference with trusted Python: true when it holds. */
const runAsserts = (problem: Problem, asserts: ReadonlyArray<string>): ReadonlyArray<boolean> =>
  JSON.parse(
    ChildProcess.execFileSync(
      Effect.runSync(trustedPython),
      ["-c", "import json,sys\nreq=json.load(sys.stdin)\nns={}\nexec(req['code'],ns)\nout=[]\nfor a in req['asserts']:\n  try:\n    exec(a,ns); out.append(True)\n  except AssertionError:\n    out.append(False)\nprint(json.dumps(out))"],
      { input: JSON.stringify({ code: (problem.setup ?? "") + "\n" + problem.reference, asserts }) }
    ).toString()
  )

const options = (n: number, seed = 0) => new SamplingOptions({ n, stop: [STEP_STOP], seed })

/** Follows the first sample from the root until a terminal step (at most 6 steps). */
const rollout = (model: SimulatedPolicy.SimulatedPolicy, problem: Problem, seed: number) =>
  Effect.gen(function* () {
    const steps: Array<Step> = []
    while (steps.length < 6) {
      const [c] = yield* model.complete(stepPrompt(problem, steps), options(1, seed))
      const step = parseStep(c!.text, steps.length + 1)
      steps.push(step)
      if (step.terminal) break
    }
    return steps
  })

describe.skipIf(mbppFile.missing !== undefined)(`simulated models on MBPP ${mbppFile.missing ?? ""}`, () => {
  const problems = mbppFile.missing === undefined ? readMbppRaw(30).map(toProblem) : []

  it.effect("the simulated policy writes A1, then A2 steps, then A3 code that parseStep accepts, deterministically", () =>
    Effect.gen(function* () {
      const model = yield* SimulatedPolicy.make({ problems })
      expect(model.modelVersion).toMatch(/^simulated@/)
      let terminals = 0
      let correct = 0
      for (const problem of problems) {
        const root = yield* model.complete(stepPrompt(problem, []), options(3))
        expect(root).toHaveLength(3)
        for (const c of root) {
          expect(c.text.startsWith("A1]\n")).toBe(true)
          expect(c.text.includes(STEP_STOP)).toBe(false)
          expect(parseStep(c.text, 1).action).toBe("A1")
        }
        for (const seed of [0, 1, 2]) {
          const steps = yield* rollout(model, problem, seed)
          const last = steps[steps.length - 1]!
          expect(steps[0]!.action).toBe("A1")
          expect(steps.slice(1, -1).every((s) => s.action === "A2")).toBe(true)
          expect(last.action).toBe("A3")
          expect(model.candidates(problem.id)).toContain(last.code)
          terminals++
          if (last.code === problem.reference!.trimEnd()) correct++
        }
      }
      // pCorrect 0.35 by default: some but not all rollouts end with the reference.
      expect(terminals).toBe(90)
      expect(correct).toBeGreaterThan(10)
      expect(correct).toBeLessThan(60)
      const again = yield* model.complete(stepPrompt(problems[0]!, []), options(3))
      const first = yield* model.complete(stepPrompt(problems[0]!, []), options(3))
      expect(again.map((c) => c.text)).toEqual(first.map((c) => c.text))
      const unknown = yield* model.complete("### Step 1 [", options(1)).pipe(Effect.flip)
      expect(unknown.kind).toBe("bad_response")
    })
  )

  it.effect("pCorrect from the parameter file governs the code; training raises it for problems with chosen = correct", () =>
    Effect.gen(function* () {
      const subset = problems.slice(0, 8)
      const always = yield* SimulatedPolicy.make({ problems: subset, params: new SimulatedPolicy.SimulatedPolicyParams({ pCorrect: 1, pEarlyCode: 1 }) })
      const never = yield* SimulatedPolicy.make({ problems: subset, params: new SimulatedPolicy.SimulatedPolicyParams({ pCorrect: 0, pEarlyCode: 1 }) })
      expect(always.modelVersion).not.toBe(never.modelVersion)
      for (const problem of subset) {
        const a1 = parseStep((yield* always.complete(stepPrompt(problem, []), options(1)))[0]!.text, 1)
        const good = yield* always.complete(stepPrompt(problem, [a1]), options(4))
        const bad = yield* never.complete(stepPrompt(problem, [a1]), options(4))
        expect(good.every((c) => parseStep(c.text, 2).code === problem.reference!.trimEnd())).toBe(true)
        expect(bad.every((c) => parseStep(c.text, 2).code !== problem.reference!.trimEnd())).toBe(true)
      }

      const target = subset[0]!
      const a1 = parseStep((yield* always.complete(stepPrompt(target, []), options(1)))[0]!.text, 1)
      const chosen = (yield* always.complete(stepPrompt(target, [a1]), options(1)))[0]!.text
      const rejected = (yield* never.complete(stepPrompt(target, [a1]), options(1)))[0]!.text
      const pairs = [
        JSON.stringify({ prompt: stepPrompt(target, [a1]), chosen, rejected }),
        // Chosen is not the reference: does not count.
        JSON.stringify({ prompt: stepPrompt(subset[1]!, [a1]), chosen: rejected, rejected: chosen })
      ].join("\n")
      const paramsIn = SimulatedPolicy.defaultParams()
      const trained = trainSimulatedPolicy(paramsIn, pairs, { problems: subset })
      expect(trained.version).toBe(paramsIn.version + 1)
      expect(trained.perProblem[target.id]).toBeCloseTo(0.675)
      expect(trained.perProblem[subset[1]!.id]).toBeUndefined()
      expect(SimulatedPolicy.simulatedVersion(trained)).not.toBe(SimulatedPolicy.simulatedVersion(paramsIn))
      // A pair naming its problem explicitly needs no problem list.
      const explicit = trainSimulatedPolicy(SimulatedPolicy.encodeParams(paramsIn), JSON.stringify({ problem_id: "p9", prompt: "x", chosen, rejected }))
      expect(explicit.perProblem["p9"]).toBeCloseTo(0.675)
    })
  )

  it.effect("the simulated test generator writes N cases in the TCG format with the configured share of wrong outputs", () =>
    Effect.gen(function* () {
      const problem = problems.find((p) => p.visibleTests[0]?._tag === "call")!
      const prompt = `### Instruction\nRead the problem and its reference solution below, then write 5 test cases that check it.\n### Problem\n${problem.statement.trim()}\n### Code Part\n\`\`\`python\n${problem.reference}\n\`\`\`\n### Test Part\nWrite 5 test cases, one per line.\n### Test Cases\n`
      const right = yield* SimulatedTestGenerator.make({ problems, wrongShare: 0 })
      const wrong = yield* SimulatedTestGenerator.make({ problems, wrongShare: 1 })
      const [good] = yield* right.complete(prompt, options(1))
      const [bad] = yield* wrong.complete(prompt, options(1))
      const lines = (t: string) => t.split("\n").filter((l) => l.startsWith("assert "))
      expect(lines(good!.text)).toHaveLength(5)
      expect(good!.text.endsWith("### End\n")).toBe(true)
      expect(lines(good!.text).every((l) => l.startsWith(`assert ${problem.entryPoint}(`))).toBe(true)
      // The correct cases pass against the reference; every wrong one fails.
      expect(runAsserts(problem, lines(good!.text))).toEqual([true, true, true, true, true])
      expect(runAsserts(problem, lines(bad!.text))).toEqual([false, false, false, false, false])
      // Same inputs, every output changed.
      const args = (l: string) => l.slice(0, l.lastIndexOf(" == "))
      expect(lines(bad!.text).map(args)).toEqual(lines(good!.text).map(args))
      expect(lines(bad!.text).every((l, i) => l !== lines(good!.text)[i])).toBe(true)
      const again = yield* right.complete(prompt, options(2))
      expect(again[0]!.text).toBe(good!.text)
    })
  )

  it.scoped("simulated specs resolve through ModelSpecs, with a parameter file and a wrong share", () =>
    Effect.gen(function* () {
      const dir = NodeFs.mkdtempSync(NodePath.join(NodeOs.tmpdir(), "o1coder-sim-"))
      const file = NodePath.join(dir, "params.json")
      NodeFs.writeFileSync(file, JSON.stringify({ version: 3, pCorrect: 1, pEarlyCode: 1 }))
      const policy = yield* ModelSpecs.makeBackend(`simulated:${file}`, { problems })
      const problem = problems[1]!
      const [a1] = yield* policy.complete(stepPrompt(problem, []), options(1))
      const [code] = yield* policy.complete(stepPrompt(problem, [parseStep(a1!.text, 1)]), options(1))
      expect(parseStep(code!.text, 2).code).toBe(problem.reference!.trimEnd())
      const missing = yield* ModelSpecs.makeBackend(`simulated:${dir}/absent.json`, { problems }).pipe(Effect.flip)
      expect(missing.kind).toBe("load_failed")
      const tcg = yield* ModelSpecs.makeBackend("simulated-tcg:0.5", { problems })
      expect(tcg.modelVersion).toBe("simulated-tcg@0.5")
    })
  )
})

describe("the simulated test generator on a stdio problem", () => {
  it.effect("writes ### Input / ### Output blocks labelled by the reference", () =>
    Effect.gen(function* () {
      const problem = new Problem({
        id: ProblemId.make("demo/sum"),
        dataset: "demo",
        taskId: "sum",
        split: "test",
        kind: "stdio",
        statement: "Read two integers a and b on one line and print a + b.",
        reference: "a, b = map(int, input().split())\nprint(a + b)",
        visibleTests: [new StdioTest({ input: "1 2\n", output: "3\n" }), new StdioTest({ input: "10 -4\n", output: "6\n" })],
        heldOutTests: []
      })
      const prompt = `### Problem\n${problem.statement}\n### Test Part\nWrite 2 test cases, each as a block.\n### Test Cases\n`
      const right = yield* SimulatedTestGenerator.make({ problems: [problem], wrongShare: 0 })
      const wrong = yield* SimulatedTestGenerator.make({ problems: [problem], wrongShare: 1 })
      const [good] = yield* right.complete(prompt, options(1))
      const [bad] = yield* wrong.complete(prompt, options(1))
      const blocks = (t: string) => t.split("### Input\n").slice(1).map((b) => b.replace("### End\n", ""))
      expect(blocks(good!.text).sort()).toEqual(["1 2\n### Output\n3\n", "10 -4\n### Output\n6\n"])
      expect(blocks(bad!.text).sort()).toEqual(["1 2\n### Output\n4\n", "10 -4\n### Output\n7\n"])
    })
  )
})

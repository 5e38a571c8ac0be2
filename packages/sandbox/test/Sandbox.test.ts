import { describe, expect, it, layer } from "@effect/vitest"
import { AssertTest, CallTest, StdioTest } from "@o1coder/domain"
import { Effect, Exit, type Scope } from "effect"
import { Isolation, Limits, pyValueToSource, Sandbox, sandboxLayer, makeSandbox } from "../src/index.ts"

const limits = new Limits({ testTimeoutMs: 2_000, totalTimeoutMs: 10_000, memoryBytes: 1024 ** 3, outputBytes: 1024 ** 2 })

describe("sandbox", () => {
  layer(sandboxLayer({ workers: 2 }), { timeout: 60_000, excludeTestServices: true })((it) => {
    it.effect("judges call tests outside the sandbox: values, tolerance, list vs tuple, errors", () =>
      Effect.gen(function* () {
        const sandbox = yield* Sandbox
        const ex = yield* sandbox.run({
          code: "import math\ndef f(x):\n    if x == 'boom':\n        raise ValueError('bad input')\n    return x\n",
          kind: "function",
          entryPoint: "f",
          limits,
          tests: [
            new CallTest({ args: "[1, (2, 3), {'a': {4}}]", expected: "[1, (2, 3), {'a': {4}}]" }),
            new CallTest({ args: "0.1 + 0.2", expected: "0.3" }),
            new CallTest({ args: "math.pi", expected: "3.14", atol: 0.01 }),
            new CallTest({ args: "[1, 2]", expected: "(1, 2)" }),
            new CallTest({ args: "'boom'", expected: "None" }),
            new CallTest({ args: "x=5", expected: "5" }),
            new CallTest({ args: "1", expected: "undefined_name" }),
            new AssertTest({ source: "assert f(2) == 2" }),
            new AssertTest({ source: "assert f(2) == 3" }),
            new AssertTest({ source: "def check(candidate):\n    assert candidate(7) == 7\n    assert candidate('a') == 'a'\ncheck(f)" })
          ]
        })
        expect(ex.compiled).toBe(true)
        expect(ex.verdicts.map((v) => v.status)).toEqual([
          "passed",
          "passed",
          "passed",
          "failed",
          "runtime_error",
          "passed",
          "failed",
          "passed",
          "failed",
          "passed"
        ])
        expect(ex.verdicts[3]!.seen).toBe("[1, 2]")
        expect(ex.verdicts[4]!.error).toBe("ValueError: bad input")
        expect(ex.verdicts[6]!.error).toContain("NameError")
        expect(ex.passed).toBe(6)
        expect(ex.total).toBe(10)
      }))

    it.effect("fast scoring stops at the first test that raises, times out or fails its assert (the rest: not_run)", () =>
      Effect.gen(function* () {
        const sandbox = yield* Sandbox
        const code = "def f(x):\n    if x == 1:\n        while True: pass\n    if x == 2:\n        raise ValueError(x)\n    return x\n"
        const run = (args: ReadonlyArray<string>, stop: boolean) =>
          sandbox.run({ code, kind: "function", entryPoint: "f", limits, stopAtFirstFailure: stop, tests: args.map((a) => new CallTest({ args: a, expected: a })) })
        const statuses = (e: { verdicts: ReadonlyArray<{ status: string }> }) => e.verdicts.map((v) => v.status)
        expect(statuses(yield* run(["0", "1", "0", "0"], true))).toEqual(["passed", "timeout", "not_run", "not_run"])
        expect(statuses(yield* run(["0", "2", "0"], true))).toEqual(["passed", "runtime_error", "not_run"])
        expect(statuses(yield* run(["0", "2", "0"], false))).toEqual(["passed", "runtime_error", "passed"])
        const judged = yield* sandbox.run({
          code, kind: "function", entryPoint: "f", limits, stopAtFirstFailure: true,
          tests: [new AssertTest({ source: "assert f(3) == 4" }), new CallTest({ args: "0", expected: "0" })]
        })
        expect(statuses(judged)).toEqual(["failed", "not_run"])
      }))

    it.effect("the candidate runs as its own __main__ module (dataclasses, pickle)", () =>
      Effect.gen(function* () {
        const sandbox = yield* Sandbox
        const ex = yield* sandbox.run({
          code:
            "from __future__ import annotations\nfrom dataclasses import dataclass\nimport pickle, __main__\n@dataclass\nclass P:\n    x: int\n" +
            "def f(a):\n    return pickle.loads(pickle.dumps(P(a))).x + (1 if hasattr(__main__, 'f') else 100)\n",
          kind: "function",
          entryPoint: "f",
          limits,
          tests: [new CallTest({ args: "1", expected: "2" })]
        })
        expect(ex.verdicts.map((v) => v.status)).toEqual(["passed"])
      }))

    it.effect("large values (300,000 elements) cross the boundary", () =>
      Effect.gen(function* () {
        const sandbox = yield* Sandbox
        const ex = yield* sandbox.run({
          code: "def f(n):\n    return list(range(n))\n",
          kind: "function",
          entryPoint: "f",
          limits,
          tests: [new CallTest({ args: "300000", expected: "list(range(300000))" }), new CallTest({ args: "3", expected: "[0, 1, 3]" })]
        })
        expect(ex.verdicts.map((v) => v.status)).toEqual(["passed", "failed"])
      }))

    it.effect("reports compile errors for every test and compiled = false", () =>
      Effect.gen(function* () {
        const sandbox = yield* Sandbox
        const ex = yield* sandbox.run({ code: "def f(:\n", kind: "function", entryPoint: "f", limits, tests: [new CallTest({ args: "1", expected: "1" })] })
        expect(ex.compiled).toBe(false)
        expect(ex.verdicts[0]!.status).toBe("compile_error")
        expect(ex.verdicts[0]!.error).toContain("SyntaxError")
      }))

    it.effect("a timeout costs one test; the remaining tests still run", () =>
      Effect.gen(function* () {
        const sandbox = yield* Sandbox
        const ex = yield* sandbox.run({
          code: "def f(x):\n    while x == 2:\n        pass\n    return x\n",
          kind: "function",
          entryPoint: "f",
          limits: new Limits({ ...limits, testTimeoutMs: 800 }),
          tests: [1, 2, 3].map((i) => new CallTest({ args: String(i), expected: String(i) }))
        })
        expect(ex.verdicts.map((v) => v.status)).toEqual(["passed", "timeout", "passed"])
      }))

    it.effect("per-test deadlines (testLimitsMs): each test gets its own, not the largest of the run", () =>
      Effect.gen(function* () {
        const sandbox = yield* Sandbox
        // Every call sleeps 0.6 s: within test 0's and test 2's 5 s, beyond test 1's 0.2 s (the run's own limit is 5 s).
        const ex = yield* sandbox.run({
          code: "import time\ndef f(x):\n    time.sleep(0.6)\n    return x\n",
          kind: "function",
          entryPoint: "f",
          limits: new Limits({ ...limits, testTimeoutMs: 5_000, totalTimeoutMs: 20_000 }),
          testLimitsMs: [5_000, 200, 5_000],
          tests: [1, 2, 3].map((i) => new CallTest({ args: String(i), expected: String(i) }))
        })
        expect(ex.verdicts.map((v) => v.status)).toEqual(["passed", "timeout", "passed"])
        expect(ex.verdicts[1]!.error).toContain("0.2s")
        const wrong = yield* Effect.flip(sandbox.run({ code: "def f(x):\n    return x\n", kind: "function", entryPoint: "f", testLimitsMs: [1], tests: [] }))
        expect(wrong.reason).toContain("testLimitsMs has 1 entries for 0 tests")
      }))

    it.effect("runs stdio problems: stdin fed, stdout compared after trimming", () =>
      Effect.gen(function* () {
        const sandbox = yield* Sandbox
        const code = "import sys\nn = int(input())\nxs = list(map(int, sys.stdin.read().split()))\nprint(sum(xs[:n]), '  ')\nprint()\n"
        const ex = yield* sandbox.run({
          code,
          kind: "stdio",
          limits,
          tests: [
            new StdioTest({ input: "3\n1 2 3 4\n", output: "6" }),
            new StdioTest({ input: "2\n5 5\n", output: "10\n" }),
            new StdioTest({ input: "1\n7\n", output: "8" }),
            new StdioTest({ input: "x\n", output: "" })
          ]
        })
        expect(ex.verdicts.map((v) => v.status)).toEqual(["passed", "passed", "failed", "runtime_error"])
        expect(ex.verdicts[2]!.seen).toContain("7")
        const exit = yield* sandbox.run({ code: "print('bye')\nexit()\n", kind: "stdio", limits, tests: [new StdioTest({ input: "", output: "bye" })] })
        expect(exit.allPassed).toBe(true)
      }))

    it.effect("call labels inputs; pyValueToSource turns every labelled value back into a passing expected", () =>
      Effect.gen(function* () {
        const sandbox = yield* Sandbox
        const code =
          "from collections import Counter, OrderedDict\ndef g(k):\n    return [None, True, -3, 10**30, 1.5, float('inf'), 2j+1, 'é\\n\\'\"', b'\\x00\\xff', [1, (2,)], {3, 4}, frozenset([5]),\n" +
          "            {'a': [1], (1, 2): None}, Counter('aab'), OrderedDict(x=1), (), bytearray(b'z'), 1e-300][k]\n"
        const args = Array.from({ length: 18 }, (_, i) => String(i))
        const outcomes = yield* sandbox.call({ code, entryPoint: "g", argsList: args, limits })
        const expected = outcomes.map((o) => {
          if (o._tag !== "value") throw new Error(JSON.stringify(o))
          return pyValueToSource(o.value)
        })
        const ex = yield* sandbox.run({ code, kind: "function", entryPoint: "g", limits, tests: args.map((a, i) => new CallTest({ args: a, expected: expected[i]! })) })
        expect(ex.verdicts.map((v) => v.status)).toEqual(args.map(() => "passed"))
        const errors = yield* sandbox.call({ code: "def h(x):\n    return 1 // x\n", entryPoint: "h", argsList: ["0", "'a'", "1"], limits })
        expect(errors).toMatchObject([
          { _tag: "error", status: "runtime_error", error: "ZeroDivisionError: integer division or modulo by zero" },
          { _tag: "error", status: "runtime_error" },
          { _tag: "value", value: { t: "int", v: "1" } }
        ])
      }))

    it.effect("set-up code runs after the candidate and before its tests; expected values never see the candidate", () =>
      Effect.gen(function* () {
        const sandbox = yield* Sandbox
        const ex = yield* sandbox.run({
          code: "class Node:\n    def __init__(self, v):\n        self.v = v\ndef val(n):\n    return n.v\nSECRET = 41\n",
          setup: "root = Node(41)",
          kind: "function",
          entryPoint: "val",
          limits,
          tests: [new CallTest({ args: "root", expected: "41" }), new CallTest({ args: "root", expected: "SECRET" }), new CallTest({ args: "root", expected: "math.floor(41.5)" })]
        })
        // `SECRET` is the candidate's name: the trusted expected-value fork cannot see it.
        expect(ex.verdicts.map((v) => v.status)).toEqual(["passed", "failed", "passed"])
      }))
  })
})

describe("isolation detection", () => {
  const run = <A, E>(eff: Effect.Effect<A, E, Scope.Scope>) => Effect.runPromiseExit(Effect.scoped(eff))

  it("refuses without bubblewrap unless unsafe is opted in, and says why", async () => {
    const refused = await run(makeSandbox({ bwrap: "/nonexistent/bwrap" }))
    expect(Exit.isFailure(refused)).toBe(true)
    expect(JSON.stringify(refused)).toContain("refusing to run untrusted code")
    const plan = await Effect.runPromise(Isolation.detect({ bwrap: "/nonexistent/bwrap", unsafe: true }))
    expect(plan.level).toBe("none")
    expect(plan.details.join("\n")).toContain("UNSAFE")
    // Explicitly unsafe: runs (benign code only here), without namespaces.
    const ex = await Effect.runPromise(
      Effect.scoped(
        Effect.flatMap(makeSandbox({ bwrap: "/nonexistent/bwrap", unsafe: true, workers: 1 }), (sb) =>
          sb.run({ code: "def f(x):\n    return x\n", kind: "function", entryPoint: "f", limits, tests: [new CallTest({ args: "3", expected: "3" })] })
        )
      )
    )
    expect(ex.allPassed).toBe(true)
  })

  it("refuses an interpreter that is not an absolute executable path", async () => {
    const exit = await run(makeSandbox({ interpreter: "python3" }))
    expect(JSON.stringify(exit)).toContain("no Python interpreter")
  })
})

import { describe, expect, layer } from "@effect/vitest"
import { AssertTest, CallTest, type Test, type VerdictStatus } from "@o1coder/domain"
import { Effect } from "effect"
import { Limits, Sandbox, sandboxLayer } from "../src/index.ts"
import { forgeAllPassed, SCAN_MEMORY, secret } from "./attacks.ts"

/**
 * Reward hacks against the verdict: no verdict is decided in a process that holds candidate objects, and no
 * candidate finds another job's data (a reference's labels, a sibling's outputs, its own expected values) in
 * its memory. Each attack is a wrong program that would pass if it worked.
 */

const limits = new Limits({ testTimeoutMs: 3_000, totalTimeoutMs: 15_000, memoryBytes: 1024 ** 3, outputBytes: 1024 ** 2 })

/** Suites a correct `f(x) = 2 * x` passes, in the three assert shapes that are not call tests. */
const suites: ReadonlyArray<{ readonly name: string; readonly tests: ReadonlyArray<Test> }> = [
  { name: "assert statements", tests: [new AssertTest({ source: "assert f(1) == 2" }), new AssertTest({ source: "assert f(2) == 4" })] },
  {
    name: "HumanEval check(candidate)",
    tests: [new AssertTest({ source: "def check(candidate):\n    assert candidate(1) == 2\n    for x in range(3):\n        assert candidate(x) == 2 * x\n\ncheck(f)" })]
  },
  { name: "an and-chain", tests: [new AssertTest({ source: "assert f(1) == 2 and f(2) == 4 and f(3) == 6" })] }
]

/** Verdicts a wrong program may get: killed when it forged a frame, failed when its forgery found nothing to use. */
const attacks: ReadonlyArray<{ readonly name: string; readonly code: string; readonly status: ReadonlyArray<VerdictStatus> }> = [
  { name: "a frame walker calling the runner's send", code: forgeAllPassed(false), status: ["killed", "failed"] },
  { name: "the sender found through gc.get_objects() by its nonce", code: forgeAllPassed(true), status: ["killed", "failed"] },
  { name: "an object whose __eq__ is always True", code: "class A:\n    def __eq__(self, o):\n        return True\n    __hash__ = None\ndef f(x):\n    return A()\n", status: ["failed"] },
  { name: "an int subclass equal to everything", code: "class I(int):\n    def __eq__(self, o):\n        return True\n    __hash__ = int.__hash__\ndef f(x):\n    return I(0)\n", status: ["failed"] }
]

const statuses = (ex: { readonly verdicts: ReadonlyArray<{ readonly status: VerdictStatus }> }) => ex.verdicts.map((v) => v.status)

describe("forged verdicts", () => {
  layer(sandboxLayer({ workers: 2 }), { timeout: 120_000, excludeTestServices: true })((it) => {
    for (const suite of suites) {
      it.effect(`${suite.name}: a correct program passes`, () =>
        Effect.gen(function* () {
          const sandbox = yield* Sandbox
          const ex = yield* sandbox.run({ code: "def f(x):\n    return 2 * x\n", kind: "function", entryPoint: "f", tests: suite.tests, limits })
          expect(statuses(ex)).toEqual(suite.tests.map(() => "passed"))
        }))
      for (const attack of attacks) {
        it.effect(`${suite.name}: ${attack.name} is ${attack.status.join(" or ")}`, () =>
          Effect.gen(function* () {
            const sandbox = yield* Sandbox
            const ex = yield* sandbox.run({ code: attack.code, kind: "function", entryPoint: "f", tests: suite.tests, limits })
            for (const s of statuses(ex)) expect(attack.status, JSON.stringify(ex.verdicts)).toContain(s)
          }))
      }
    }
    it.effect("call tests: the frame walker is killed, the always-equal object fails", () =>
      Effect.gen(function* () {
        const sandbox = yield* Sandbox
        const tests = [new CallTest({ args: "1", expected: "2" }), new CallTest({ args: "2", expected: "4" })]
        for (const attack of attacks) {
          const ex = yield* sandbox.run({ code: attack.code, kind: "function", entryPoint: "f", tests, limits })
          expect(statuses(ex).some((s) => s === "passed"), `${attack.name}: ${JSON.stringify(ex.verdicts)}`).toBe(false)
        }
      }))
  })
})

/** One worker, so that every run below forks from the same server: nothing of an earlier job may be found. */
describe("copycats (one warm worker)", () => {
  layer(sandboxLayer({ workers: 1 }), { timeout: 120_000, excludeTestServices: true })((it) => {
    it.effect("a candidate does not find the reference's previous labelling reply in its memory", () =>
      Effect.gen(function* () {
        const sandbox = yield* Sandbox
        const s = secret()
        const labels = yield* sandbox.call({ code: `def g(x):\n    return 'REF-${s}-' + str(x)\n`, entryPoint: "g", argsList: ["7", "8"], limits })
        expect(labels.map((o) => o._tag)).toEqual(["value", "value"])
        const copycat = `${SCAN_MEMORY}\ndef g(x):\n    return _o1c_scan(r"REF-[0-9a-f]{32}-" + str(x))\n`
        const ex = yield* sandbox.run({
          code: copycat,
          kind: "function",
          entryPoint: "g",
          tests: [new CallTest({ args: "7", expected: `'REF-${s}-7'` }), new CallTest({ args: "8", expected: `'REF-${s}-8'` })],
          limits
        })
        expect(statuses(ex), JSON.stringify(ex.verdicts)).toEqual(["failed", "failed"])
        expect(ex.verdicts[0]!.seen).toBe("None")
      }))

    it.effect("a candidate does not find a sibling's correct outputs in its memory", () =>
      Effect.gen(function* () {
        const sandbox = yield* Sandbox
        const s = secret()
        const tests = [new CallTest({ args: "1", expected: `'SIB-${s}-1'` }), new CallTest({ args: "2", expected: `'SIB-${s}-2'` })]
        const honest = yield* sandbox.run({ code: `def h(x):\n    return 'SIB-${s}-' + str(x)\n`, kind: "function", entryPoint: "h", tests, limits })
        expect(statuses(honest)).toEqual(["passed", "passed"])
        const copycat = yield* sandbox.run({ code: `${SCAN_MEMORY}\ndef h(x):\n    return _o1c_scan(r"SIB-[0-9a-f]{32}-" + str(x))\n`, kind: "function", entryPoint: "h", tests, limits })
        expect(statuses(copycat), JSON.stringify(copycat.verdicts)).toEqual(["failed", "failed"])
      }))

    it.effect("a heap scanner does not find its own job's evaluated expected values", () =>
      Effect.gen(function* () {
        const sandbox = yield* Sandbox
        const s = secret()
        // Not a literal: evaluated by Python apart from the candidate, and then never in the candidate's process.
        const tests = [new CallTest({ args: "1", expected: `'EXP-' + '${s}'` }), new CallTest({ args: "2", expected: `'EXP-' + '${s}'` })]
        const ex = yield* sandbox.run({ code: `${SCAN_MEMORY}\ndef e(x):\n    return _o1c_scan(r"EXP-[0-9a-f]{32}")\n`, kind: "function", entryPoint: "e", tests, limits })
        expect(statuses(ex), JSON.stringify(ex.verdicts)).toEqual(["failed", "failed"])
        const honest = yield* sandbox.run({ code: `def e(x):\n    return 'EXP-${s}'\n`, kind: "function", entryPoint: "e", tests, limits })
        expect(statuses(honest)).toEqual(["passed", "passed"])
      }))

    it.effect("assert tests: the candidate's process never holds the assert's source (the expected value in it)", () =>
      Effect.gen(function* () {
        const sandbox = yield* Sandbox
        const s = secret()
        const tests = [new AssertTest({ source: `assert a(1) == 'AST-${s}'` })]
        const ex = yield* sandbox.run({ code: `${SCAN_MEMORY}\ndef a(x):\n    return _o1c_scan(r"AST-[0-9a-f]{32}")\n`, kind: "function", entryPoint: "a", tests, limits })
        expect(statuses(ex), JSON.stringify(ex.verdicts)).toEqual(["failed"])
      }))
  })
})

import { CallTest } from "@o1coder/domain"
import type { PyValue } from "@o1coder/domain"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { labelInputs, validateTests } from "../src/Validation.ts"
import { functionSandbox, int, pyInt } from "./FunctionSandbox.ts"

// The reference: add(a, b) = a + b, crashes on a negative first argument, loops when a == 99;
// "flaky" returns a different value on every call.
let counter = 0
const sandbox = functionSandbox({
  REF: (args) => {
    const a = int(args[0]!)
    if (a < 0n) return "crash"
    if (a === 99n) return "timeout"
    if (a === 7n) return pyInt(counter++)
    return pyInt(a + int(args[1]!))
  }
})
const problem = { id: "p/1", kind: "function" as const, entryPoint: "add", setup: undefined }

describe("validation of generated cases on the reference", () => {
  it.effect("keeps passes and drops wrong, crash, timeout and non-deterministic cases", () =>
    Effect.gen(function* () {
      const tests = [
        new CallTest({ args: "1, 2", expected: "3" }),
        new CallTest({ args: "1, 2", expected: "4" }),
        new CallTest({ args: "-1, 2", expected: "1" }),
        new CallTest({ args: "99, 0", expected: "99" }),
        new CallTest({ args: "7, 0", expected: "7" })
      ]
      const checks = yield* validateTests(sandbox.service, problem, "REF", tests)
      expect(checks.map((c) => (c.keep ? "keep" : c.reason))).toEqual(["keep", "wrong_output", "crash", "timeout", "non_deterministic"])
    })
  )

  it.effect("drops everything when the reference does not compile", () =>
    Effect.gen(function* () {
      const checks = yield* validateTests(sandbox.service, problem, "BROKEN", [new CallTest({ args: "1, 2", expected: "3" })])
      expect(checks[0]!.keep).toBe(false)
    })
  )

  it.effect("labels inputs with the reference's output, twice", () =>
    Effect.gen(function* () {
      const inputs: Array<ReadonlyArray<PyValue>> = [[pyInt(2), pyInt(3)], [pyInt(-5), pyInt(0)], [pyInt(99), pyInt(1)], [pyInt(7), pyInt(1)], [{ t: "unrepresentable", type: "X" }]]
      const labelled = yield* labelInputs(sandbox.service, problem, "REF", inputs)
      expect(labelled.map((l) => (l.check.keep ? `${l.argsSource} -> ${l.expected}` : l.check.reason))).toEqual([
        "2, 3 -> 5",
        "crash",
        "timeout",
        "non_deterministic",
        "unrepresentable"
      ])
    })
  )
})

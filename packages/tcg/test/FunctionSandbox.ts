import type { PyValue, Test } from "@o1coder/domain"
import { Execution, parsePyArgs, parsePyValue, PyParseFailure, pyEqual, toleranceFor, Verdict } from "@o1coder/domain"
import { Sandbox } from "@o1coder/sandbox/Sandbox"
import type { CallOutcome } from "@o1coder/sandbox/Sandbox"
import { Effect, Layer } from "effect"

/**
 * A test double of the Sandbox for TCG unit tests: "code" is a key into a table of TypeScript
 * functions over PyValues (no Python runs). A function may return "crash" or "timeout", and may
 * keep state between calls (to simulate non-determinism).
 */
export type Impl = (args: ReadonlyArray<PyValue>) => PyValue | "crash" | "timeout"

export const functionSandbox = (impls: Record<string, Impl>) => {
  const calls = { run: 0, call: 0 }
  const outcome = (code: string, argsSource: string): CallOutcome => {
    const f = impls[code]
    if (f === undefined) return { _tag: "error", status: "compile_error", error: "unknown code" }
    const args = parsePyArgs(argsSource)
    if (args instanceof PyParseFailure) return { _tag: "error", status: "runtime_error", error: "SyntaxError" }
    const r = f(args)
    if (r === "crash") return { _tag: "error", status: "runtime_error", error: "ValueError: boom" }
    if (r === "timeout") return { _tag: "error", status: "timeout", error: "timeout" }
    return { _tag: "value", value: r }
  }
  const verdict = (code: string, test: Test): Verdict => {
    if (test._tag !== "call") return new Verdict({ status: "runtime_error", error: "unsupported", ms: 0 })
    const o = outcome(code, test.args)
    if (o._tag === "error") return new Verdict({ status: o.status === "compile_error" ? "runtime_error" : o.status, error: o.error, ms: 0 })
    const expected = parsePyValue(test.expected)
    if (expected instanceof PyParseFailure) return new Verdict({ status: "runtime_error", error: "bad expected", ms: 0 })
    return pyEqual(expected, o.value, toleranceFor(test.atol)) ? new Verdict({ status: "passed", ms: 0 }) : new Verdict({ status: "failed", seen: JSON.stringify(o.value), ms: 0 })
  }
  const service: typeof Sandbox.Service = {
    run: (req) =>
      Effect.sync(() => {
        calls.run++
        const compiled = impls[req.code] !== undefined
        const verdicts = req.tests.map((t) => (compiled ? verdict(req.code, t) : new Verdict({ status: "compile_error", ms: 0 })))
        return new Execution({ compiled, verdicts, passed: verdicts.filter((v) => v.status === "passed").length, total: verdicts.length, ms: 0 })
      }),
    call: (req) =>
      Effect.sync(() => {
        calls.call++
        return req.argsList.map((a) => outcome(req.code, a))
      }),
    info: { interpreter: "typescript fake", level: "none", details: [], workers: 1 }
  }
  return { service, calls, layer: Layer.succeed(Sandbox, service) }
}

export const int = (v: PyValue): bigint => (v.t === "int" ? BigInt(v.v) : v.t === "bool" ? (v.v ? 1n : 0n) : 0n)
export const pyInt = (n: bigint | number): PyValue => ({ t: "int", v: String(n) })

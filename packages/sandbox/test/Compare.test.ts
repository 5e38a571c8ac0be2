import { describe, expect, it } from "@effect/vitest"
import type { PyValue } from "@o1coder/domain"
import { assertTestFor, callTestFor, normalizeStdout, stdoutEqual, UnrepresentableValue } from "../src/index.ts"

// Value equality, rendering and repr are the domain's: packages/domain/test/PyLiteral.test.ts.
const int = (v: number | string): PyValue => ({ t: "int", v: String(v) })
const float = (v: number | "nan" | "inf" | "-inf"): PyValue => ({ t: "float", v })
const str = (v: string): PyValue => ({ t: "str", v })
const list = (...v: Array<PyValue>): PyValue => ({ t: "list", v })
const tuple = (...v: Array<PyValue>): PyValue => ({ t: "tuple", v })

describe("judging helpers", () => {
  it("builds tests from labelled values", () => {
    expect(callTestFor("[3, 1]", list(int(1), int(3)))).toMatchObject({ _tag: "call", args: "[3, 1]", expected: "[1, 3]" })
    expect(callTestFor("1.0", float(0.5), 1e-3).atol).toBe(1e-3)
    expect(assertTestFor("f", "'a'", tuple(str("a")))).toMatchObject({ _tag: "assert", source: "assert f('a') == ('a',)" })
    expect(() => callTestFor("1", list({ t: "unrepresentable", type: "A" }))).toThrow(UnrepresentableValue)
  })

  it("stdout compares after trimming trailing whitespace per line and trailing blank lines", () => {
    expect(stdoutEqual("1 2\n3\n", "1 2   \r\n3\n\n\n")).toBe(true)
    expect(stdoutEqual("1 2\n3", "1  2\n3")).toBe(false)
    expect(normalizeStdout("a \n\n b\n\n")).toBe("a\n\n b")
  })
})

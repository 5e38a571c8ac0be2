import { describe, expect, it } from "@effect/vitest"
import type { PyValue } from "@o1coder/domain"
import { assertTestFor, callTestFor, normalizeStdout, pyEqual, pyRepr, pyValueToSource, stdoutEqual, toleranceFor, UnrepresentableValue } from "../src/index.ts"

const int = (v: number | string): PyValue => ({ t: "int", v: String(v) })
const float = (v: number | "nan" | "inf" | "-inf"): PyValue => ({ t: "float", v })
const str = (v: string): PyValue => ({ t: "str", v })
const list = (...v: Array<PyValue>): PyValue => ({ t: "list", v })
const tuple = (...v: Array<PyValue>): PyValue => ({ t: "tuple", v })
const set = (...v: Array<PyValue>): PyValue => ({ t: "set", v })
const dict = (...v: Array<[PyValue, PyValue]>): PyValue => ({ t: "dict", v })

describe("pyEqual (Python == on encoded values, floats with tolerance)", () => {
  it("numbers compare across bool, int and float like Python", () => {
    expect(pyEqual(int(1), { t: "bool", v: true })).toBe(true)
    expect(pyEqual(int(1), float(1.0))).toBe(true)
    expect(pyEqual(int("123456789012345678901234567890"), int("123456789012345678901234567891"))).toBe(false)
    expect(pyEqual(float(0.1 + 0.2), float(0.3))).toBe(true)
    expect(pyEqual(float(1.0), float(1.001))).toBe(false)
    expect(pyEqual(float(1.0), float(1.001), toleranceFor(0.01))).toBe(true)
    expect(pyEqual(float("nan"), float("nan"))).toBe(true)
    expect(pyEqual(float("inf"), float("inf"))).toBe(true)
    expect(pyEqual(float("inf"), float("-inf"))).toBe(false)
    expect(pyEqual({ t: "complex", re: 1, im: 0 }, int(1))).toBe(true)
    expect(pyEqual(int(1), str("1"))).toBe(false)
  })

  it("containers compare structurally; list and tuple differ; sets and dicts are order-free", () => {
    expect(pyEqual(list(int(1), float(2.0)), list(int(1), int(2)))).toBe(true)
    expect(pyEqual(list(int(1)), tuple(int(1)))).toBe(false)
    expect(pyEqual(set(int(1), int(2), str("a")), set(str("a"), int(2), int(1)))).toBe(true)
    expect(pyEqual(set(float(0.1 + 0.2)), set(float(0.3)))).toBe(true)
    expect(pyEqual(set(int(1), int(2)), set(int(1), int(3)))).toBe(false)
    expect(pyEqual(dict([str("a"), int(1)], [str("b"), list()]), dict([str("b"), list()], [str("a"), int(1)]))).toBe(true)
    expect(pyEqual(dict([str("a"), int(1)]), dict([str("a"), int(2)]))).toBe(false)
    expect(pyEqual({ t: "none" }, { t: "none" })).toBe(true)
  })

  it("an unrepresentable value equals nothing, not even itself", () => {
    const u: PyValue = { t: "unrepresentable", type: "A" }
    expect(pyEqual(u, u)).toBe(false)
    expect(pyEqual(int(1), u)).toBe(false)
  })

  it("large sets match quickly", () => {
    const a = set(...Array.from({ length: 20_000 }, (_, i) => int(i)))
    const b = set(...Array.from({ length: 20_000 }, (_, i) => int(19_999 - i)))
    expect(pyEqual(a, b)).toBe(true)
  })
})

describe("rendering", () => {
  it("pyValueToSource writes Python that evaluates to the value", () => {
    expect(pyValueToSource(tuple(int(1)))).toBe("(1,)")
    expect(pyValueToSource(list(float(2), float(1e-7), float(1e16), float(0.5)))).toBe("[2.0, 1e-07, 1e+16, 0.5]")
    expect(pyValueToSource(float("nan"))).toBe("float('nan')")
    expect(pyValueToSource(set())).toBe("set()")
    expect(pyValueToSource(dict([str("it's"), { t: "none" }]))).toBe(`{"it's": None}`)
    expect(pyValueToSource(str("a\nb'\\"))).toBe(`"a\\nb'\\\\"`)
    expect(pyValueToSource({ t: "bytes", v: "a\u00ff" })).toBe("b'a\\xff'")
    expect(pyValueToSource({ t: "bool", v: false })).toBe("False")
    expect(() => pyValueToSource({ t: "unrepresentable", type: "A" })).toThrow(UnrepresentableValue)
  })

  it("builds tests from labelled values", () => {
    expect(callTestFor("[3, 1]", list(int(1), int(3)))).toMatchObject({ _tag: "call", args: "[3, 1]", expected: "[1, 3]" })
    expect(callTestFor("1.0", float(0.5), 1e-3).atol).toBe(1e-3)
    expect(assertTestFor("f", "'a'", tuple(str("a")))).toMatchObject({ _tag: "assert", source: "assert f('a') == ('a',)" })
  })

  it("pyRepr truncates", () => {
    expect(pyRepr(str("x".repeat(500)), 20)).toHaveLength(20)
    expect(pyRepr({ t: "unrepresentable", type: "A" })).toBe("<unrepresentable A>")
  })

  it("stdout compares after trimming trailing whitespace per line and trailing blank lines", () => {
    expect(stdoutEqual("1 2\n3\n", "1 2   \r\n3\n\n\n")).toBe(true)
    expect(stdoutEqual("1 2\n3", "1  2\n3")).toBe(false)
    expect(normalizeStdout("a \n\n b\n\n")).toBe("a\n\n b")
  })
})

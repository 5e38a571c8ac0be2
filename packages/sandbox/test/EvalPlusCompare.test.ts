import { describe, expect, it } from "@effect/vitest"
import type { PyValue } from "@o1coder/domain"
import { evalplusPasses, isFloats } from "../src/EvalPlusCompare.ts"
import { parsePyLiteral } from "../src/PyLiteral.ts"

const v = (source: string): PyValue => {
  const x = parsePyLiteral(source)
  if (x === undefined) throw new Error(`not a literal: ${source}`)
  return x
}
const passes = (out: string, exp: string, atol = 0, extra: Partial<Parameters<typeof evalplusPasses>[2]> = {}, alt?: string) =>
  evalplusPasses(v(out), v(exp), { atol, ...extra }, alt === undefined ? undefined : v(alt))

describe("EvalPlus's per-input rule", () => {
  it("exact == as Python: 1 == 1.0 == True, list != tuple, NaN != NaN", () => {
    expect(passes("1", "1.0")).toBe(true)
    expect(passes("True", "1")).toBe(true)
    expect(passes("[1, 2]", "(1, 2)")).toBe(false)
    const nan: PyValue = { t: "float", v: "nan" }
    expect(evalplusPasses(nan, nan, { atol: 1e-6 })).toBe(false)
    expect(passes("{1: 'a'}", "{1: 'a'}")).toBe(true)
  })

  it("with atol: same type, same length, np.allclose(rtol=1e-7)", () => {
    expect(passes("0.30000001", "0.3", 1e-6)).toBe(true)
    expect(passes("0.3001", "0.3", 1e-6)).toBe(false)
    // an int where a float is expected and differs: the type rule fails it, however close
    expect(passes("1333337333337000001", "1.333337333337e+18", 1e-6)).toBe(false)
    expect(passes("[1.0, 2.0000001]", "[1.0, 2.0]", 1e-6)).toBe(true)
    expect(passes("[1.0]", "[1.0, 2.0]", 1e-6)).toBe(false)
    expect(passes("(1.0, 2.0000001)", "[1.0, 2.0]", 1e-6)).toBe(false)
    // nested numeric arrays are compared elementwise; strings are not numbers
    expect(passes("[[1.0, 2.0000001]]", "[[1.0, 2.0]]", 1e-6)).toBe(true)
    expect(passes("['a']", "['b']", 1e-6)).toBe(false)
    // without atol, exact only
    expect(passes("[[1.0, 2.0000001]]", "[[1.0, 2.0]]", 0)).toBe(false)
    const inf: PyValue = { t: "float", v: "inf" }
    expect(evalplusPasses(inf, inf, { atol: 1e-6 })).toBe(true)
  })

  it("is_floats: a float or a non-empty list/tuple of floats only", () => {
    expect(isFloats(v("1.5"))).toBe(true)
    expect(isFloats(v("[1.5, 2.0]"))).toBe(true)
    expect(isFloats(v("[]"))).toBe(false)
    expect(isFloats(v("[1.5, 2]"))).toBe(false)
    expect(isFloats(v("[[1.5]]"))).toBe(false)
  })

  it("special oracles: each with an output it passes and one it fails", () => {
    expect(passes("(5, 4)", "(4, 5)", 0, { oracle: "set_eq" })).toBe(true)
    expect(passes("[4, 5, 5]", "(4, 5)", 0, { oracle: "set_eq" })).toBe(true)
    expect(passes("(4, 6)", "(4, 5)", 0, { oracle: "set_eq" })).toBe(false)
    expect(passes("[[4], [5]]", "(4, 5)", 0, { oracle: "set_eq" })).toBe(false)
    expect(passes("False", "True", 0, { oracle: "any" })).toBe(true)
    expect(passes("0", "15.0", 0, { oracle: "or_zero" })).toBe(true)
    expect(passes("7", "15.0", 0, { oracle: "or_zero" })).toBe(false)
    expect(passes("'match'", "True", 0, { oracle: "not_none" })).toBe(true)
    expect(passes("None", "True", 0, { oracle: "not_none" })).toBe(false)
    expect(passes("False", "True", 0, { oracle: "not_none" })).toBe(false)
    expect(passes("False", "False", 0, { oracle: "not_none" })).toBe(true)
    expect(passes("16", "9", 0, { oracle: "alt_eq" }, "16")).toBe(true)
    expect(passes("15", "9", 0, { oracle: "alt_eq" }, "16")).toBe(false)
    expect(passes("512", "500", 0, { oracle: "alt_abs", oracleAtol: 0 }, "512")).toBe(true)
    expect(passes("511", "500", 0, { oracle: "alt_abs", oracleAtol: 0 }, "512")).toBe(false)
    expect(passes("'x'", "500", 0, { oracle: "alt_abs", oracleAtol: 0 }, "512")).toBe(false)
  })
})

import { describe, expect, it } from "vitest"
import { argsToSource, parseArgs, parseValue, ParseFailure, pyEqual, toSource } from "../src/PyLiteral.ts"

describe("Python literals", () => {
  it("parses nested literals and argument lists", () => {
    expect(parseArgs("1, -2.5, 'a\\nb', [True, None], (1,), {1: 'x'}, {2, 3}, ()")).toEqual([
      { t: "int", v: "1" },
      { t: "float", v: -2.5 },
      { t: "str", v: "a\nb" },
      { t: "list", v: [{ t: "bool", v: true }, { t: "none" }] },
      { t: "tuple", v: [{ t: "int", v: "1" }] },
      { t: "dict", v: [[{ t: "int", v: "1" }, { t: "str", v: "x" }]] },
      { t: "set", v: [{ t: "int", v: "2" }, { t: "int", v: "3" }] },
      { t: "tuple", v: [] }
    ])
    expect(parseValue("float('inf')")).toEqual({ t: "float", v: "inf" })
    expect(parseValue("12345678901234567890123")).toEqual({ t: "int", v: "12345678901234567890123" })
    expect(parseValue("(5)")).toEqual({ t: "int", v: "5" })
    expect(parseValue("'ab' \"cd\"")).toEqual({ t: "str", v: "abcd" })
    expect(parseValue("r'\\d+'")).toEqual({ t: "str", v: "\\d+" })
    expect(parseValue("set()")).toEqual({ t: "set", v: [] })
  })

  it("rejects what is not a literal", () => {
    expect(parseValue("foo(1)")).toBeInstanceOf(ParseFailure)
    expect(parseValue("[1, 2")).toBeInstanceOf(ParseFailure)
    expect(parseArgs("x=1")).toBeInstanceOf(ParseFailure)
    expect(parseValue("1 + 2")).toBeInstanceOf(ParseFailure)
  })

  it("writes source that parses back to the same value", () => {
    const sources = ["[1, 2.0, -0.5, 'it\\'s', b'\\x00a', (1,), {'k': [None, True]}, {1, 2}, set(), float('nan'), 1e+21]", "''", "complex(1.0, -2.0)"]
    for (const s of sources) {
      const v = parseValue(s)
      if (v instanceof ParseFailure) {
        // complex(...) is written by toSource for complex values but is a call, not a literal
        expect(s.startsWith("complex")).toBe(true)
        continue
      }
      const back = parseValue(toSource(v)!)
      expect(back instanceof ParseFailure ? back : pyEqual(back, v)).toBe(true)
    }
    expect(toSource({ t: "float", v: 3 })).toBe("3.0")
    expect(toSource({ t: "tuple", v: [{ t: "int", v: "1" }] })).toBe("(1,)")
    expect(toSource({ t: "unrepresentable", type: "Foo" })).toBeUndefined()
    expect(argsToSource([{ t: "str", v: "a" }, { t: "int", v: "2" }])).toBe("'a', 2")
  })

  it("compares sets and dicts without order", () => {
    expect(pyEqual(parseValue("{1, 2}") as any, parseValue("{2, 1}") as any)).toBe(true)
    expect(pyEqual(parseValue("{1: 2, 3: 4}") as any, parseValue("{3: 4, 1: 2}") as any)).toBe(true)
    expect(pyEqual(parseValue("[1, 2]") as any, parseValue("[2, 1]") as any)).toBe(false)
  })
})

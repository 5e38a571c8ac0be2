import { describe, expect, it } from "@effect/vitest"
import { execFileSync } from "node:child_process"
import {
  parsePyArgs,
  parsePyValue,
  PyParseFailure,
  pyArgsSource,
  pyEqual,
  pyRepr,
  pySource,
  pyValueToSource,
  toleranceFor,
  UnrepresentableValue
} from "../src/PyLiteral.ts"
import type { PyValue } from "../src/Value.ts"

const int = (v: number | string): PyValue => ({ t: "int", v: String(v) })
const float = (v: number | "nan" | "inf" | "-inf"): PyValue => ({ t: "float", v })
const str = (v: string): PyValue => ({ t: "str", v })
const list = (...v: Array<PyValue>): PyValue => ({ t: "list", v })
const tuple = (...v: Array<PyValue>): PyValue => ({ t: "tuple", v })
const set = (...v: Array<PyValue>): PyValue => ({ t: "set", v })
const dict = (...v: Array<[PyValue, PyValue]>): PyValue => ({ t: "dict", v })

/** Python's `repr(eval(source))` of each source (or `ERROR` when eval raises). */
const pythonRepr = (sources: ReadonlyArray<string>, transform = "x"): Array<string> => {
  const script = [
    "import sys, math, json",
    "def canon(x):",
    "    t = type(x).__name__",
    "    if isinstance(x, (set, frozenset)): return ('set', sorted(repr(canon(e)) for e in x))",
    "    if isinstance(x, (list, tuple)): return (t, [canon(e) for e in x])",
    "    if isinstance(x, dict): return ('dict', [(canon(k), canon(v)) for k, v in x.items()])",
    "    if isinstance(x, float) and math.isnan(x): return ('float', 'nan')",
    "    return (t, repr(x))",
    "def one(source):",
    "    try:",
    "        x = eval(source)",
    `        return repr(${transform})`,
    "    except Exception:",
    "        return 'ERROR'",
    "print(json.dumps([one(s) for s in json.load(sys.stdin)]))"
  ].join("\n")
  return JSON.parse(execFileSync("/usr/bin/python3.11", ["-c", script], { input: JSON.stringify(sources) }).toString())
}

describe("Python literals", () => {
  it("parses nested literals and argument lists", () => {
    expect(parsePyArgs("1, -2.5, 'a\\nb', [True, None], (1,), {1: 'x'}, {2, 3}, ()")).toEqual([
      { t: "int", v: "1" },
      { t: "float", v: -2.5 },
      { t: "str", v: "a\nb" },
      { t: "list", v: [{ t: "bool", v: true }, { t: "none" }] },
      { t: "tuple", v: [{ t: "int", v: "1" }] },
      { t: "dict", v: [[{ t: "int", v: "1" }, { t: "str", v: "x" }]] },
      { t: "set", v: [{ t: "int", v: "2" }, { t: "int", v: "3" }] },
      { t: "tuple", v: [] }
    ])
    expect(parsePyValue("float('inf')")).toEqual({ t: "float", v: "inf" })
    expect(parsePyValue("12345678901234567890123")).toEqual({ t: "int", v: "12345678901234567890123" })
    expect(parsePyValue("(5)")).toEqual({ t: "int", v: "5" })
    expect(parsePyValue("'ab' \"cd\"")).toEqual({ t: "str", v: "abcd" })
    expect(parsePyValue("r'\\d+'")).toEqual({ t: "str", v: "\\d+" })
    expect(parsePyValue("set()")).toEqual({ t: "set", v: [] })
  })

  it("rejects what is not a literal", () => {
    expect(parsePyValue("foo(1)")).toBeInstanceOf(PyParseFailure)
    expect(parsePyValue("[1, 2")).toBeInstanceOf(PyParseFailure)
    expect(parsePyArgs("x=1")).toBeInstanceOf(PyParseFailure)
    expect(parsePyValue("1 + 2")).toBeInstanceOf(PyParseFailure)
  })

  it("says why and where a text is not a literal", () => {
    expect(parsePyArgs("1, key=2")).toMatchObject({ reason: "keyword argument" })
    expect(parsePyValue("[1, 2] x")).toMatchObject({ reason: "trailing text", at: 7 })
    expect(parsePyValue("012")).toMatchObject({ reason: "leading zero" })
    expect(parsePyValue("{[1]}")).toMatchObject({ reason: "unhashable set element" })
    expect(parsePyValue("-'a'")).toMatchObject({ reason: "unary - on a str" })
    expect(parsePyValue("'a' b'b'")).toMatchObject({ reason: "str and bytes concatenated" })
  })

  it("writes source that parses back to the same value", () => {
    const sources = ["[1, 2.0, -0.5, 'it\\'s', b'\\x00a', (1,), {'k': [None, True]}, {1, 2}, set(), float('nan'), 1e+21]", "''", "complex(1.0, -2.0)"]
    for (const s of sources) {
      const v = parsePyValue(s)
      if (v instanceof PyParseFailure) {
        // complex(...) is written by pySource for complex values but is a call, not a literal
        expect(s.startsWith("complex")).toBe(true)
        continue
      }
      const back = parsePyValue(pySource(v)!)
      expect(back instanceof PyParseFailure ? back : pyEqual(back, v)).toBe(true)
    }
    expect(pySource({ t: "float", v: 3 })).toBe("3.0")
    expect(pySource({ t: "tuple", v: [{ t: "int", v: "1" }] })).toBe("(1,)")
    expect(pySource({ t: "unrepresentable", type: "Foo" })).toBeUndefined()
    expect(pyArgsSource([{ t: "str", v: "a" }, { t: "int", v: "2" }])).toBe("'a', 2")
  })

  it("compares sets and dicts without order", () => {
    expect(pyEqual(parsePyValue("{1, 2}") as PyValue, parsePyValue("{2, 1}") as PyValue)).toBe(true)
    expect(pyEqual(parsePyValue("{1: 2, 3: 4}") as PyValue, parsePyValue("{3: 4, 1: 2}") as PyValue)).toBe(true)
    expect(pyEqual(parsePyValue("[1, 2]") as PyValue, parsePyValue("[2, 1]") as PyValue)).toBe(false)
  })

  it("merges set elements and dict keys as Python does", () => {
    expect(parsePyValue("{1, 1.0, True, 2}")).toEqual(set(int(1), int(2)))
    expect(parsePyValue("{1: 'a', True: 'b', 2: 'c'}")).toEqual(dict([int(1), str("b")], [int(2), str("c")]))
    expect(parsePyValue("set([3, 3, 1])")).toEqual(set(int(3), int(1)))
    expect(parsePyValue("list({1, 2})")).toBeInstanceOf(PyParseFailure)
  })

  // The sandbox's reading of expected values: its own test checks it against Python on all of MBPP.
  describe("strict mode rejects what it does not fully know", () => {
    const rejected = ["x", "f(1)", "1 + 2", "0x10", "1j", "{1, 1.0}", "{1: 2, True: 3}", "{[1]}", "f'x'", "'\\N{DASH}'", "[1, 2] # c", "012", "-'a'", "[i for i in x]", "float('inf')", "set()"]
    for (const r of rejected) {
      it(JSON.stringify(r), () => expect(parsePyValue(r, { strict: true })).toBeInstanceOf(PyParseFailure))
    }
    it("and reads the rest like the default mode", () => {
      for (const s of ["[1, (2, 3), {'k': [None]}]", "{(1, 2), 'x'}", "-0.0", "1E+400", "b'\\u00e9'", "'''tri\nple'''"]) {
        expect(parsePyValue(s, { strict: true })).toEqual(parsePyValue(s))
      }
    })
  })

  it("agrees with Python on hand-made literals (default mode), and its source evaluates back to the same value", () => {
    const literals = [
      "0", "-0", "00", "1_000", "-12", "+7", "123456789012345678901234567890", "1.5", "-0.0", ".5", "5.", "1e5", "1.e-3", "1E+400", "-1e400",
      "'a'", '"b"', "'it\\'s'", "'tab\\tnew\\nline'", "'\\x41\\101\\u00e9\\U0001F600'", "r'\\d+'", "'\\d'", "b'\\x00\\xff'", "b'\\u00e9'", "'a' 'b'",
      "'''tri\nple'''", "u'x'", "True", "False", "None", "[]", "()", "{}", "(1,)", "(1)", "[1, (2, 3), {'k': [None]}]", "{1, 2, 3}", "{(1, 2), 'x'}",
      "{'a': 1, 'b': 2.5,}", "[1,\n 2]", "((1, 2), )", "'é'", "[-1, -2.5]",
      "0x1F", "0o17", "0b1_01", "1j", "-2.5j", "012j", "[1, 2] # c", "{1, 1.0, True}", "{1: 'a', True: 'b'}", "{(1, 2): 1, (1.0, 2.0): 2}",
      "float('nan')", "float('-inf')", "float(' 1_0.5 ')", "float(3)", "-float('inf')", "set()", "set('abca')", "frozenset([1, 2])", "list('ab')",
      "tuple([1, [2]])", "list()", "-True", "+False", "--1", "-(2.5)", "[1e16, 1e-5, 0.0001, 123456789.123, 5e-324, 1.7976931348623157e308]",
      "'\\0\\7\\a\\b\\f\\v'", "b'\\N{x}'", "'\\q'"
    ]
    const parsed = literals.map((l) => parsePyValue(l))
    expect(literals.filter((_, i) => parsed[i] instanceof PyParseFailure)).toEqual([])
    const ours = parsed.map((v) => pySource(v as PyValue)!)
    expect(pythonRepr(ours, "canon(x)")).toEqual(pythonRepr(literals, "canon(x)"))
  })
})

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
    expect(() => pyValueToSource(list(int(1), { t: "unrepresentable", type: "Node" }))).toThrow("type Node")
  })

  it("renders values that Python evaluates back to the same value", () => {
    // [value, Python's repr of the value the literal evaluates to]
    const values: Array<[PyValue, string]> = [
      [{ t: "none" }, "None"],
      [{ t: "bool", v: true }, "True"],
      [{ t: "int", v: "123456789012345678901234567890" }, "123456789012345678901234567890"],
      [{ t: "float", v: 1e16 }, "1e+16"],
      [{ t: "float", v: 3 }, "3.0"],
      [{ t: "float", v: 0.1 }, "0.1"],
      [{ t: "float", v: "nan" }, "nan"],
      [{ t: "float", v: "-inf" }, "-inf"],
      [{ t: "str", v: "a'b\"c\n\u00e9" }, `'a\\'b"c\\né'`],
      [{ t: "tuple", v: [{ t: "int", v: "1" }] }, "(1,)"],
      [{ t: "set", v: [] }, "set()"],
      [{ t: "dict", v: [[{ t: "str", v: "k" }, { t: "list", v: [{ t: "complex", re: 1, im: -2 }] }]] }, "{'k': [(1-2j)]}"],
      [{ t: "bytes", v: "a\u0000\u00ff'" }, `b"a\\x00\\xff'"`]
    ]
    const sources = values.map(([v]) => pySource(v)!)
    expect(pythonRepr(sources)).toEqual(values.map(([, r]) => r))
    expect(pySource({ t: "list", v: [{ t: "unrepresentable", type: "Node" }] })).toBeUndefined()
  })

  it("writes floats as Python's repr does", () => {
    const xs = [1e16, 1e15, 1e-4, 1e-5, 0.1 + 0.2, 123456789012345680000, 5e-324, -2.5e-7, 1.7976931348623157e308, 9.999999999999999e15]
    expect(xs.map((x) => pySource(float(x)))).toEqual(pythonRepr(xs.map((x) => x.toExponential())))
  })

  it("has no literal for bytes beyond latin-1 (the runner never sends them)", () => {
    expect(pySource({ t: "bytes", v: "\u0100" })).toBeUndefined()
  })

  it("pyRepr truncates", () => {
    expect(pyRepr(str("x".repeat(500)), 20)).toHaveLength(20)
    expect(pyRepr({ t: "unrepresentable", type: "A" })).toBe("<unrepresentable A>")
  })
})

import { describe, expect, it, layer } from "@effect/vitest"
import { type PyValue, sharedDataFile } from "@o1coder/domain"
import { calledName, parseAssert } from "@o1coder/problems/PyAssert"
import { Effect } from "effect"
import * as NodeFs from "node:fs"
import { parsePyLiteral, Sandbox, sandboxLayer } from "../src/index.ts"

/** Same type everywhere, floats bit-equal (NaN = NaN), sets order-free: stricter than pyEqual. */
const same = (a: PyValue, b: PyValue): boolean => {
  if (a.t !== b.t) return false
  switch (a.t) {
    case "float":
      return b.t === "float" && (Object.is(a.v, b.v) || (a.v !== a.v && b.v !== b.v))
    case "list":
    case "tuple":
      return (b as typeof a).v.length === a.v.length && a.v.every((x, i) => same(x, (b as typeof a).v[i]!))
    case "set": {
      const bv = [...(b as typeof a).v]
      return bv.length === a.v.length && a.v.every((x) => {
        const j = bv.findIndex((y) => same(x, y))
        return j >= 0 && bv.splice(j, 1).length === 1
      })
    }
    case "dict": {
      const bd = (b as typeof a).v
      return bd.length === a.v.length && a.v.every(([k, v], i) => same(k, bd[i]![0]) && same(v, bd[i]![1]))
    }
    default:
      return JSON.stringify(a) === JSON.stringify(b)
  }
}

const handmade = [
  "0", "-0", "00", "1_000", "-12", "+7", "123456789012345678901234567890", "1.5", "-0.0", ".5", "5.", "1e5", "1.e-3", "1E+400", "-1e400",
  "'a'", '"b"', "'it\\'s'", "'tab\\tnew\\nline'", "'\\x41\\101\\u00e9\\U0001F600'", "r'\\d+'", "'\\d'", "b'\\x00\\xff'", "b'\\u00e9'", "'a' 'b'",
  "'''tri\nple'''", "u'x'", "True", "False", "None", "[]", "()", "{}", "(1,)", "(1)", "[1, (2, 3), {'k': [None]}]", "{1, 2, 3}", "{(1, 2), 'x'}",
  "{'a': 1, 'b': 2.5,}", "[1,\n 2]", "((1, 2), )", "'é'", "[-1, -2.5]"
]
const rejected = ["x", "f(1)", "1 + 2", "0x10", "1j", "{1, 1.0}", "{1: 2, True: 3}", "{[1]}", "f'x'", "'\\N{DASH}'", "[1, 2] # c", "012", "-'a'", "[i for i in x]"]

describe("Python literals read in TypeScript", () => {
  layer(sandboxLayer({ workers: 1 }), { timeout: 60_000, excludeTestServices: true })((it) => {
    it.effect("agree with Python on hand-made literals and on every literal expected value of MBPP", () =>
      Effect.gen(function* () {
        const sandbox = yield* Sandbox
        const exprs = [...handmade]
        const full = sharedDataFile("mbpp/mbpp.jsonl")
        if (full.missing === undefined) {
          for (const line of NodeFs.readFileSync(full.path, "utf8").split("\n").filter((l) => l.trim() !== "")) {
            const r = JSON.parse(line)
            const asserts = (r.test_list as Array<string>).map((a) => a.replace(/\r\n?/g, "\n"))
            for (const t of asserts.map((a) => parseAssert(a, calledName(asserts)))) if (t._tag === "call") exprs.push(t.expected)
          }
        }
        const literal = exprs.map((e) => [e, parsePyLiteral(e)] as const).filter((x): x is readonly [string, PyValue] => x[1] !== undefined)
        // Nearly all of MBPP's expected values are literals.
        expect(literal.length).toBeGreaterThan(exprs.length * 0.9)
        for (const h of handmade) expect(parsePyLiteral(h), h).toBeDefined()
        const python = yield* sandbox.call({ code: "def ident(x):\n    return x\n", entryPoint: "ident", argsList: literal.map(([e]) => e) })
        const disagree = literal.filter(([, v], i) => {
          const p = python[i]!
          return p._tag !== "value" || !same(v, p.value)
        })
        expect(disagree.map(([e]) => e)).toEqual([])
      }))
  })

  describe("rejects what it does not fully know", () => {
    for (const r of rejected) {
      it(JSON.stringify(r), () => expect(parsePyLiteral(r)).toBeUndefined())
    }
  })
})



import { parsePyArgs, type PyValue } from "@o1coder/domain"
import { describe, expect, it } from "vitest"
import { argsKey, mutateInputs, mutateValue, Rng } from "../src/InputMutation.ts"

const seed = parsePyArgs("[3, 1, 2], 'abc', 2.5, True, (1, 'x'), {'k': [1]}, {4, 5}, [[1, 2], [3]]") as ReadonlyArray<PyValue>

describe("type-aware input mutation", () => {
  it("is deterministic by seed", () => {
    const a = mutateInputs([seed], 40, new Rng("p:1"))
    const b = mutateInputs([seed], 40, new Rng("p:1"))
    const c = mutateInputs([seed], 40, new Rng("p:2"))
    expect(a.map(argsKey)).toEqual(b.map(argsKey))
    expect(a.map(argsKey)).not.toEqual(c.map(argsKey))
  })

  it("produces distinct new inputs that keep each argument's kind", () => {
    const out = mutateInputs([seed], 60, new Rng(7))
    expect(out.length).toBe(60)
    const keys = new Set(out.map(argsKey))
    expect(keys.size).toBe(60)
    expect(keys.has(argsKey(seed))).toBe(false)
    // Numbers may rarely change to a neighbouring type (int, float, bool); containers and strings never do.
    const family = (t: string) => (t === "int" || t === "float" || t === "bool" ? "number" : t)
    for (const args of out) {
      expect(args.map((a) => family(a.t))).toEqual(seed.map((a) => family(a.t)))
    }
  })

  it("mutates every supported type", () => {
    const rng = new Rng(1)
    const values: Array<PyValue> = [
      { t: "int", v: "5" },
      { t: "float", v: 1.5 },
      { t: "bool", v: true },
      { t: "str", v: "hello" },
      { t: "list", v: [{ t: "int", v: "1" }, { t: "int", v: "2" }] },
      { t: "tuple", v: [{ t: "int", v: "1" }, { t: "str", v: "a" }] },
      { t: "dict", v: [[{ t: "str", v: "a" }, { t: "int", v: "1" }]] },
      { t: "set", v: [{ t: "int", v: "1" }] }
    ]
    for (const v of values) {
      const changed = Array.from({ length: 20 }, () => mutateValue(v, rng)).some((m) => argsKey([m]) !== argsKey([v]))
      expect(changed, v.t).toBe(true)
    }
    // Sets never gain duplicate elements, tuples keep their length.
    for (let i = 0; i < 50; i++) {
      const s = mutateValue({ t: "set", v: [{ t: "int", v: "1" }, { t: "int", v: "2" }] }, rng)
      if (s.t === "set") expect(new Set(s.v.map((x) => argsKey([x]))).size).toBe(s.v.length)
      const t = mutateValue({ t: "tuple", v: [{ t: "int", v: "1" }, { t: "int", v: "2" }] }, rng)
      if (t.t === "tuple") expect(t.v.length).toBe(2)
    }
  })

  it("returns nothing without seeds", () => {
    expect(mutateInputs([], 10, new Rng(0))).toEqual([])
  })
})

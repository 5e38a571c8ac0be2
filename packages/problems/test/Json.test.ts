import { describe, expect, it } from "@effect/vitest"
import { parseRawJson, RawNumber, toPlain, toPython, toPythonArgs } from "../src/Json.ts"
import { mbppPlusArgs } from "../src/MbppPlusInputs.ts"

describe("lossless JSON", () => {
  it("keeps big ints exact and reads Python's NaN/Infinity", () => {
    const v = parseRawJson('[9999999999999999999999999, -Infinity, NaN, 1e+100, -0.5, "a\\"b\\u00e9", true, null, {"k": [1]}]')
    expect(toPython(v)).toBe(`[9999999999999999999999999, float('-inf'), float('nan'), 1e+100, -0.5, "a\\"bé", True, None, {"k": [1]}]`)
    expect(toPlain(v)).toEqual([1e25, -Infinity, NaN, 1e100, -0.5, 'a"bé', true, null, { k: [1] }])
    expect((v as ReadonlyArray<unknown>)[0]).toBeInstanceOf(RawNumber)
  })

  it("renders an argument list as call text", () => {
    expect(toPythonArgs(parseRawJson('[[1, 2], "x", false]') as ReadonlyArray<never>)).toBe('[1, 2], "x", False')
  })

  it("reports where the syntax breaks", () => {
    expect(() => parseRawJson('{"a": [1, 2}')).toThrow(/column 12/)
    expect(() => parseRawJson('{"a": 1} x')).toThrow(/after the value/)
    expect(() => parseRawJson('{"a": tru}')).toThrow(/unexpected character/)
  })

  it("records where each element of a top-level array starts", () => {
    const starts: Array<number> = []
    parseRawJson('[\n {"a": [1, 2]},\n {"b": 3}\n]', starts)
    expect(starts).toEqual([3, 19])
  })
})

describe("MBPP+ inputs", () => {
  const args = (json: string) => parseRawJson(json) as ReadonlyArray<never>
  it("restores the tuples, sets and complex numbers EvalPlus restores per task", () => {
    expect(mbppPlusArgs(2, args("[[3, 4], [5]]"))).toBe("(3, 4), (5,)")
    expect(mbppPlusArgs(720, args('[[1, "a"], {"k": 1}]'))).toBe('(1, "a"), {"k": 1}')
    expect(mbppPlusArgs(252, args('["(1+2j)"]'))).toBe('complex("(1+2j)")')
    expect(mbppPlusArgs(580, args("[[1, [2, [3]]]]"))).toBe("(1, (2, (3,)))")
    expect(mbppPlusArgs(115, args("[[[1, 2], []]]"))).toBe("[{1, 2}, {}]")
    expect(mbppPlusArgs(3, args("[[1, 2], 3]"))).toBe("[1, 2], 3")
  })
})

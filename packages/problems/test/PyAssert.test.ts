import { describe, expect, it } from "@effect/vitest"
import { sharedDataFile } from "@o1coder/domain"
import { Effect } from "effect"
import { readMbpp, readMbppSanitized } from "../src/Mbpp.ts"
import { calledName, parseAssert, splitTopLevel } from "../src/PyAssert.ts"

describe("parseAssert", () => {
  it("reads `assert f(args) == expected` into a call test", () => {
    expect(parseAssert("assert min_cost([[1, 2, 3], [4, 8, 2]], 2, 2) == 8", "min_cost")).toMatchObject({
      _tag: "call",
      args: "[[1, 2, 3], [4, 8, 2]], 2, 2",
      expected: "8"
    })
  })

  it("keeps strings, brackets and a message apart from the operator", () => {
    expect(parseAssert(`assert f('==', "a)", [1, (2, 3)]) == ('x', "]"), 'message, with comma'`, "f")).toMatchObject({
      _tag: "call",
      args: `'==', "a)", [1, (2, 3)]`,
      expected: `('x', "]")`
    })
    expect(parseAssert(`assert f("""a'b""", r'\\d+')==[1]`, "f")).toMatchObject({ args: `"""a'b""", r'\\d+'`, expected: "[1]" })
  })

  it("unwraps redundant parentheses and reads the mirrored form", () => {
    expect(parseAssert("assert (max_height(root)) == 3", "max_height")).toMatchObject({ _tag: "call", args: "root", expected: "3" })
    expect(parseAssert("assert 3 == f(1)", "f")).toMatchObject({ _tag: "call", args: "1", expected: "3" })
    expect(parseAssert("assert f(1) == (1, 2)", "f")).toMatchObject({ expected: "(1, 2)" })
  })

  it("turns math.isclose into a call with an absolute tolerance covering rel_tol", () => {
    const t = parseAssert("assert math.isclose(volume_sphere(10), 4188.790204786391, rel_tol=0.001)", "volume_sphere")
    expect(t).toMatchObject({ _tag: "call", args: "10", expected: "4188.790204786391" })
    const atol = (t as { atol: number }).atol
    // isclose(a, y) accepts a = y*(1 + rel/(1-rel)); the tolerance must accept it too.
    expect(atol).toBeGreaterThanOrEqual(4188.790204786391 * 0.001)
    expect(atol).toBeLessThan(4188.790204786391 * 0.0011)
    expect(parseAssert("assert math.isclose(f(1), 2.0, abs_tol=0.5)", "f")).toMatchObject({ atol: 0.5 })
  })

  it("keeps anything else verbatim as an assert test", () => {
    for (const source of [
      "assert set(f(1)) == set([1, 2])",
      "assert f(1) == 3 and f(2) == 4",
      "assert f(1) != 3",
      "assert f(1) == f(2)",
      "assert int(f(5, 3)) == 35",
      "assert f(1)",
      "assert not f(1)",
      "assert g(1) == 2",
      "assert f(1) == 2 # comment",
      "assert f(1)[0] == 2",
      "x = 1"
    ]) {
      expect(parseAssert(source, "f")).toMatchObject({ _tag: "assert", source })
    }
  })

  it("splits at top level only and names the function the asserts call", () => {
    expect(splitTopLevel("a, (b, c), 'd, e', [f, g]", ",")).toEqual(["a", " (b, c)", " 'd, e'", " [f, g]"])
    expect(calledName(["assert set(sim((1, 2), (2, 3))) == set((2,))", "assert (sim(a, b)) == 1"])).toBe("sim")
  })
})

// The share of real MBPP asserts read as call tests (printed for the record).
const full = sharedDataFile("mbpp/mbpp.jsonl")
const sanitized = sharedDataFile("mbpp/sanitized-mbpp.json")
describe.skipIf(full.missing !== undefined || sanitized.missing !== undefined)("every MBPP assert", () => {
  it.effect("parses nearly all of MBPP full and sanitized into call tests", () =>
    Effect.gen(function* () {
      for (const [name, read, minShare] of [
        ["mbpp", readMbpp(full.path), 0.995],
        ["mbpp-sanitized", readMbppSanitized(sanitized.path), 0.97]
      ] as const) {
        const parsed = yield* read
        const tests = parsed.problems.flatMap((p) => p.problem.heldOutTests)
        const calls = tests.filter((t) => t._tag === "call").length
        console.log(`${name}: ${calls}/${tests.length} asserts read as call tests (${((100 * calls) / tests.length).toFixed(2)}%)`)
        expect(calls / tests.length).toBeGreaterThanOrEqual(minShare)
        // Every problem's visible test is its first held-out test.
        for (const { problem } of parsed.problems) expect(problem.visibleTests).toEqual(problem.heldOutTests.slice(0, 1))
      }
    })
  )
})

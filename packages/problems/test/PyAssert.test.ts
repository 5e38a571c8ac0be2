import { describe, expect, it } from "@effect/vitest"
import { sharedDataFile } from "@o1coder/domain"
import { Effect } from "effect"
import { readMbpp, readMbppSanitized } from "../src/Mbpp.ts"
import { calledName, checkTests, parseAssert, parseAsserts, promptHelpers, splitTopLevel } from "../src/PyAssert.ts"

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

  it("turns math.isclose into a call test with its own tolerances", () => {
    expect(parseAssert("assert math.isclose(volume_sphere(10), 4188.790204786391, rel_tol=0.001)", "volume_sphere")).toMatchObject({
      _tag: "call",
      args: "10",
      expected: "4188.790204786391",
      rtol: 0.001,
      atol: 0
    })
    expect(parseAssert("assert math.isclose(f(1), 2.0, abs_tol=0.5)", "f")).toMatchObject({ atol: 0.5, rtol: 1e-9 })
  })

  it("reads tolerance, wrapped, truthiness and and-chain asserts into call tests", () => {
    expect(parseAssert("assert abs(f(1.33) - 0.33) < 1e-6", "f")).toMatchObject({ _tag: "call", args: "1.33", expected: "0.33", atol: 1e-6, rtol: 0 })
    expect(parseAssert("assert math.fabs(0.5 - f(2)) <= 0.01", "f")).toMatchObject({ args: "2", expected: "0.5", atol: 0.01 })
    expect(parseAssert("assert set(f(1)) == set([1, 2])", "f")).toMatchObject({ args: "1", expected: "set([1, 2])", wrap: "set" })
    expect(parseAssert("assert {1, 2} == set(f(1))", "f")).toMatchObject({ args: "1", expected: "{1, 2}", wrap: "set" })
    expect(parseAssert("assert int(f(5, 3)) == 35", "f")).toMatchObject({ args: "5, 3", wrap: "int" })
    expect(parseAssert("assert f(1)", "f")).toMatchObject({ args: "1", expected: "True", wrap: "bool" })
    expect(parseAssert("assert not f(1)", "f")).toMatchObject({ args: "1", expected: "False", wrap: "bool" })
    expect(parseAssert("assert f(1) is not None", "f")).toMatchObject({ args: "1", expected: "True", wrap: "not_none" })
    expect(parseAsserts("assert f(1) == 3 and set(f(2)) == {4}", "f")).toMatchObject([
      { _tag: "call", args: "1", expected: "3" },
      { _tag: "call", args: "2", expected: "{4}", wrap: "set" }
    ])
    expect(parseAsserts("assert f(1) == 3 and g(2) == 4", "f")).toMatchObject([{ _tag: "assert" }])
  })

  it("keeps anything else verbatim as an assert test", () => {
    for (const source of [
      "assert f(1) != 3",
      "assert f(1) == f(2)",
      "assert g(1) == 2",
      "assert f(1) == 2 # comment",
      "assert f(1)[0] == 2",
      "assert round(f(1), 2) == 0.5",
      "assert f(1) is True",
      "assert abs(f(1) - 2) < tol",
      "x = 1"
    ]) {
      expect(parseAssert(source, "f")).toMatchObject({ _tag: "assert", source })
    }
  })

  it("rewrites HumanEval check(candidate) bodies of asserts into call tests, each leftover an assert test with the prompt's helpers", () => {
    const test = [
      "METADATA = {",
      "    'author': 'jt',",
      "}",
      "",
      "def check(candidate):",
      "    assert candidate([1.0, 2.0], 0.3) == True",
      "    assert abs(candidate(1.33) - 0.33) < 1e-6  # a comment",
      "    assert candidate([1, 2,",
      "                      3]) == 'a#b', 'message'",
      "    assert True, 'This prints if this assert fails 1 (good for debugging!)'",
      "    assert candidate('candidate') == 'candidate' or candidate(2) == 3",
      ""
    ].join("\n")
    const tests = checkTests(test, "f", "import math\n")
    expect(tests).toMatchObject([
      { _tag: "call", args: "[1.0, 2.0], 0.3", expected: "True" },
      { _tag: "call", args: "1.33", expected: "0.33", atol: 1e-6, rtol: 0 },
      { _tag: "call", expected: "'a#b'" },
      { _tag: "assert" }
    ])
    expect((tests[3] as { source: string }).source).toContain("import math\nMETADATA")
    expect((tests[3] as { source: string }).source).toMatch(/def check\(candidate\):\n {4}assert candidate\('candidate'\) == 'candidate' or candidate\(2\) == 3\n\ncheck\(f\)$/)
    // Anything but asserts in the body: one assert test, as the dataset wrote it.
    const loop = "def check(candidate):\n    for x in range(3):\n        assert candidate(x) == x\n"
    expect(checkTests(loop, "f")).toEqual([expect.objectContaining({ _tag: "assert", source: `${loop.trim()}\n\ncheck(f)` })])
  })

  it("takes a prompt's imports and helper functions, not the entry point", () => {
    const prompt = 'import math\n\n\ndef poly(xs: list, x: float):\n    """doc"""\n    return sum(xs)\n\n\ndef find_zero(xs: list):\n    """ find x """\n'
    const helpers = promptHelpers(prompt, "find_zero")
    expect(helpers).toContain("import math")
    expect(helpers).toContain("def poly(")
    expect(helpers).not.toContain("find_zero")
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
  it.effect("parses every assert of MBPP full and sanitized into call tests", () =>
    Effect.gen(function* () {
      for (const [name, read, minShare] of [
        ["mbpp", readMbpp(full.path), 1],
        ["mbpp-sanitized", readMbppSanitized(sanitized.path), 1]
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

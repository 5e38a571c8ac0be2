import { CallTest, StdioTest } from "@o1coder/domain"
import { describe, expect, it } from "vitest"
import { parseAssert, parseTcgOutput, renderTcgCases, renderTcgPrompt, TCG_CASES_HEADER } from "../src/TcgFormat.ts"

const fn = { kind: "function" as const, entryPoint: "add" }

describe("TCG prompt", () => {
  it("has the paper's four parts and ends with the cases header", () => {
    const p = renderTcgPrompt({ kind: "function", statement: "Add two numbers.", entryPoint: "add", reference: "def add(a, b):\r\n    return a + b", count: 3 })
    const order = ["### Instruction", "### Problem", "### Code Part", "### Test Part"].map((h) => p.indexOf(h))
    expect(order.every((x, i) => x >= 0 && (i === 0 || x > order[i - 1]!))).toBe(true)
    expect(p).toContain("def add(a, b):\n    return a + b")
    expect(p).toContain("assert add(ARGUMENTS) == EXPECTED")
    expect(p.endsWith(TCG_CASES_HEADER)).toBe(true)
  })

  it("omits the reference in question-only mode", () => {
    const p = renderTcgPrompt({ kind: "function", statement: "Add.", entryPoint: "add", signature: "def add(a, b):", count: 5 })
    expect(p).not.toContain("return a")
    expect(p).toContain("no solution given")
    expect(p).toContain("5 test cases")
  })
})

describe("TCG output parsing", () => {
  it("reads well-formed asserts", () => {
    const r = parseTcgOutput("assert add(1, 2) == 3\nassert add([1], [2]) == [1, 2]\n### End\n", fn)
    expect(r.tests).toEqual([new CallTest({ args: "1, 2", expected: "3" }), new CallTest({ args: "[1], [2]", expected: "[1, 2]" })])
    expect(r.unparseable).toEqual([])
  })

  it("is lenient with fences, numbering, prose, messages, parentheses, swapped sides and truthiness", () => {
    const text = [
      "Here are the tests:",
      "```python",
      "1. assert add(1, 2) == 3",
      "- assert (add(2, 2) == 4), 'sum'",
      "assert 7 == add(3, 4)  # comment with == inside",
      "assert add('a,b', ')') == 'a,b)'",
      "assert add(",
      "    [1, 2],",
      "    [3])== [1, 2, 3]",
      "assert add(0, 0)",
      "assert not add(0, 0)",
      "```"
    ].join("\n")
    const r = parseTcgOutput(text, fn)
    expect(r.unparseable).toEqual([])
    expect(r.tests.map((t) => (t as CallTest).args)).toEqual(["1, 2", "2, 2", "3, 4", "'a,b', ')'", "[1, 2], [3]", "0, 0", "0, 0"])
    expect(r.tests.map((t) => (t as CallTest).expected)).toEqual(["3", "4", "7", "'a,b)'", "[1, 2, 3]", "True", "False"])
  })

  it("reports broken model output with reasons", () => {
    const text = [
      "assert add(1, 2 == 3",
      "assert sub(1, 2) == -1",
      "assert add(1, 2) + 1 == 4",
      "assert add(1, 'oops) == 3",
      "add(5, 5)",
      "assert add(1, 2) ==",
      "assert add(2, 3) == 5"
    ].join("\n")
    const r = parseTcgOutput(text, fn)
    expect(r.tests).toEqual([new CallTest({ args: "2, 3", expected: "5" })])
    const reasons = r.unparseable.map((u) => u.reason)
    expect(reasons).toContain("calls sub instead of add")
    expect(reasons).toContain("the call is part of a larger expression")
    expect(reasons).toContain("no assert and no expected value")
    expect(reasons).toContain("missing expected value")
    expect(reasons.some((x) => x === "unterminated string" || x === "unbalanced brackets")).toBe(true)
    expect(r.unparseable.length).toBe(6)
  })

  it("stops at the end marker and survives garbage", () => {
    expect(parseTcgOutput("assert add(1, 1) == 2\n### End\nassert add(9, 9) == 0", fn).tests.length).toBe(1)
    const garbage = parseTcgOutput("\u0000\u0001 ]]]] ((( '''", fn)
    expect(garbage.tests).toEqual([])
    expect(parseTcgOutput("assert add(1) == 1", { kind: "function" }).unparseable[0]!.reason).toMatch(/entry point/)
  })

  it("parses stdio blocks leniently", () => {
    const text = "### Input\n3\n1 2 3\n### Output\n6\n\nInput:\n1\n5\nOutput:\n5\n### Input\n7\n### End"
    const r = parseTcgOutput(text, { kind: "stdio" })
    expect(r.tests).toEqual([new StdioTest({ input: "3\n1 2 3\n", output: "6\n" }), new StdioTest({ input: "1\n5\n", output: "5\n" })])
    expect(r.unparseable.map((u) => u.reason)).toEqual(["input block without output"])
  })

  it("round-trips rendered cases", () => {
    const tests = [new CallTest({ args: "'x', [1, (2, 3)]", expected: "{'a': None}" }), new CallTest({ args: "", expected: "0" })]
    expect(parseTcgOutput(renderTcgCases(tests, "add"), fn).tests).toEqual(tests)
    const io = [new StdioTest({ input: "1 2\n", output: "3\n" })]
    expect(parseTcgOutput(renderTcgCases(io, undefined), { kind: "stdio" }).tests).toEqual(io)
  })

  it("parseAssert rejects a negated comparison", () => {
    expect(parseAssert("assert not add(1, 2) == 3", "add")).toBe("negated comparison")
  })
})

describe("call arguments inside an assert", () => {
  it("finds the entry point's call anywhere in the statement", async () => {
    const { callArgsIn } = await import("../src/TcgFormat.ts")
    expect(callArgsIn("assert set(f([1, (2)], 'x)')) == set([1])", "f")).toBe("[1, (2)], 'x)'")
    expect(callArgsIn("assert g.f(1) == 2", "f")).toBeUndefined()
    expect(callArgsIn("assert ff(1) == 2", "f")).toBeUndefined()
  })
})

describe("tuples", () => {
  it("keeps a tuple's parentheses in the expected value and writes bare tuples back with them", () => {
    const r = parseTcgOutput("assert add((1, 2), ()) == (4, 5)\nassert (add(1, 2) == ((3)))", fn)
    expect(r.tests).toEqual([new CallTest({ args: "(1, 2), ()", expected: "(4, 5)" }), new CallTest({ args: "1, 2", expected: "3" })])
    const text = renderTcgCases([new CallTest({ args: "1", expected: "4, 5" })], "add")
    expect(text.startsWith("assert add(1) == (4, 5)\n")).toBe(true)
  })
})

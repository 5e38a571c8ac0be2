import { describe, expect, it } from "@effect/vitest"
import { CallTest, Problem, type ProblemId } from "@o1coder/domain"
import { asprOfTree, meanAspr, type AsprNode } from "../src/Aspr.ts"
import { directPrompt } from "../src/Prompts.ts"
import { formatProtocol, protocolFor } from "../src/Protocol.ts"
import { scoringProgram } from "../src/Evaluate.ts"

const mbpp = new Problem({
  id: "mbpp/11" as ProblemId,
  dataset: "mbpp",
  taskId: "11",
  split: "test",
  kind: "function",
  statement: "Write a python function to remove first and last occurrence of a given character from the string.",
  entryPoint: "remove_Occ",
  visibleTests: [new CallTest({ args: '"hello","l"', expected: '"heo"' })],
  heldOutTests: [
    new CallTest({ args: '"hello","l"', expected: '"heo"' }),
    new CallTest({ args: '"abcda","a"', expected: '"bcd"' }),
    new CallTest({ args: '"PHP","P"', expected: '"H"' })
  ],
  heldOutInputs: []
})

describe("prompts", () => {
  it("renders the MBPP 3-shot prompt with tasks 2-4 and the task's test_list", () => {
    const p = directPrompt(mbpp, [...mbpp.heldOutTests])
    expect(p.prompt.startsWith("You are an expert Python programmer, and here is your task: Write a function to find the similar elements")).toBe(true)
    expect(p.prompt.split("[DONE]").length).toBe(4)
    expect(p.prompt.endsWith(
      `here is your task: ${mbpp.statement} Your code should pass these tests:\n\nassert remove_Occ("hello","l") == "heo"\nassert remove_Occ("abcda","a") == "bcd"\nassert remove_Occ("PHP","P") == "H"\n[BEGIN]\n`
    )).toBe(true)
    expect(p.toProgram("def remove_Occ(s, ch):\n    return s\n[DONE]\nmore")).toBe("def remove_Occ(s, ch):\n    return s\n")
    expect(p.toProgram("```python\ndef f():\n    pass\n```\n[DONE]")).toBe("def f():\n    pass")
  })

  it("appends HumanEval completions to the prompt and stops at a new top-level block", () => {
    const he = new Problem({ ...mbpp, id: "humaneval/0" as ProblemId, dataset: "humaneval", statement: "def f(x):\n    \"\"\"doc\"\"\"\n" })
    const p = directPrompt(he, [])
    expect(p.prompt).toBe(he.statement)
    expect(p.toProgram("    return x\n\ndef g():\n    pass")).toBe(`${he.statement}    return x\n`)
  })
})

describe("protocol", () => {
  it("states what search executed and what only scored, per benchmark and mode", () => {
    const direct = formatProtocol(protocolFor("mbpp", "direct"))
    expect(direct).toContain("executed during search: none")
    expect(direct).toContain("challenge_test_list")
    const mcts = formatProtocol(protocolFor("mbpp-plus", "mcts", { generatedTests: true }))
    expect(mcts).toContain("visible tests only: the first base assert")
    expect(mcts).toContain("generated from the question alone")
    expect(mcts).toContain("plus_input")
    expect(mcts).toContain("ASPR:")
  })
})

describe("aspr", () => {
  const node = (id: string, parentId: string | null, code: string | null, passed: number | null = null): AsprNode => ({
    id,
    parentId,
    code,
    terminal: code !== null,
    passed,
    total: code !== null ? 2 : null
  })

  it("averages, over nodes on correct paths with code children, the share of passing code children", () => {
    const tree = [
      node("r", null, null),
      node("a", "r", null),
      node("b", "r", "x", 0),
      node("a1", "a", "y", 2),
      node("a2", "a", "z", 1),
      node("a3", "a", "w", 2),
      node("c", "r", null),
      node("c1", "c", "v", 0)
    ]
    // correct paths: r -> a -> a1, a3. r has code child b (0/1); a has 2/3 passing. c is not on a correct path.
    expect(asprOfTree(tree)).toBeCloseTo((0 + 2 / 3) / 2, 12)
    expect(asprOfTree(tree.filter((n) => n.id !== "a1" && n.id !== "a3"))).toBeUndefined()
    expect(meanAspr([0.5, undefined, 1])).toBe(0.75)
  })
})

describe("scoringProgram", () => {
  it("keeps import-only set-up trusted and appends other set-up after the program, as MBPP's harness ran it", () => {
    const withSetup = (setup: string) => new Problem({ ...mbpp, setup })
    expect(scoringProgram(withSetup("import math\nfrom re import sub"), "def f(): pass")).toEqual({
      code: "def f(): pass",
      setup: "import math\nfrom re import sub"
    })
    expect(scoringProgram(withSetup("root = Node(1)"), "class Node: ...")).toEqual({
      code: "class Node: ...\n\nroot = Node(1)\n",
      setup: undefined
    })
    expect(scoringProgram(mbpp, "x = 1")).toEqual({ code: "x = 1", setup: undefined })
  })
})

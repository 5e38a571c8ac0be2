import { describe, expect, it } from "@effect/vitest"
import { Problem, type ProblemId } from "@o1coder/domain"
import * as NodeFs from "node:fs"
import * as NodeOs from "node:os"
import * as NodePath from "node:path"
import { foreignTask, indexSamplesFile, loadSamples, matchSamples, parseSamples, programOf, taskKey } from "../src/Samples.ts"

const problem = (dataset: string, taskId: string) =>
  new Problem({
    id: `${dataset}/${taskId}` as ProblemId,
    dataset,
    taskId,
    split: "test",
    kind: "function",
    statement: "s",
    visibleTests: [],
    heldOutTests: [],
    heldOutInputs: []
  })

describe("samples files", () => {
  it("normalises benchmark task ids", () => {
    expect(taskKey("Mbpp/2")).toBe("2")
    expect(taskKey(2)).toBe("2")
    expect(taskKey("HumanEval/0")).toBe("0")
    expect(taskKey("HumanEval_0")).toBe(taskKey("HumanEval/0"))
    expect(taskKey("mbpp/002")).toBe("2")
  })

  it("a task id of another benchmark is foreign, never matched by its number", () => {
    expect(foreignTask("Mbpp/0", "humaneval")).toBe(true)
    expect(foreignTask("HumanEval/0", "humaneval-plus")).toBe(false)
    expect(foreignTask("HumanEval_0", "mbpp-plus")).toBe(true)
    expect(foreignTask("2", "mbpp")).toBe(false)
    const matched = matchSamples([{ line: 1, taskId: "Mbpp/0", field: "solution", text: "x" }], [problem("humaneval", "0")])
    expect(matched.issues.map((i) => i.kind)).toEqual(["foreign_task", "no_samples"])
  })

  it("reports every unusable line with its number and keeps the rest", () => {
    const text = [
      JSON.stringify({ task_id: "Mbpp/2", solution: "def f(): pass" }),
      JSON.stringify({ task_id: 3, completion: "  return 1\n" }),
      "{not json",
      JSON.stringify({ task_id: "Mbpp/4" }),
      JSON.stringify({ solution: "x" }),
      JSON.stringify({ task_id: "Mbpp/999", solution: "x" }),
      JSON.stringify({ task_id: "Mbpp/2", solution: "def f(): pass" }),
      "",
      JSON.stringify({ task_id: "Mbpp/2", solution: "def g(): pass" })
    ].join("\n")
    const parsed = parseSamples(text)
    expect(parsed.issues.map((i) => [i.line, i.kind])).toEqual([
      [3, "invalid_json"],
      [4, "missing_field"],
      [5, "missing_field"]
    ])
    const problems = [problem("mbpp", "2"), problem("mbpp", "3"), problem("mbpp", "5")]
    const matched = matchSamples(parsed.records, problems)
    expect(matched.issues.map((i) => [i.line, i.kind])).toEqual([
      [6, "unknown_task"],
      [7, "duplicate"],
      [0, "no_samples"]
    ])
    expect(matched.issues[1]!.message).toContain("duplicate of line 1")
    expect(matched.byProblem.get("mbpp/2")!.map((r) => r.line)).toEqual([1, 7, 9])
    const completion = matched.byProblem.get("mbpp/3")![0]!
    expect(programOf(completion, "def f():\n")).toBe("def f():\n  return 1\n")
  })

  it("a streamed index (indexSamplesFile) finds the same lines and issues as parseSamples, and reads texts back", () => {
    // A text longer than one 1 MiB read, non-ASCII text, CRLF line ends and a last line without a newline.
    const long = "x = '" + "é".repeat(700_000) + "'\n"
    const lines = [
      JSON.stringify({ task_id: "Mbpp/2", solution: "def f(): pass" }),
      "{not json",
      JSON.stringify({ task_id: "Mbpp/2", solution: long }),
      JSON.stringify({ task_id: 3, completion: "  return 'ü'\n" }),
      JSON.stringify({ task_id: "Mbpp/2", solution: "def f(): pass" })
    ]
    const dir = NodeFs.mkdtempSync(NodePath.join(NodeOs.tmpdir(), "o1-samples-"))
    try {
      const file = NodePath.join(dir, "s.jsonl")
      const text = lines.join("\r\n")
      NodeFs.writeFileSync(file, text)
      const parsed = parseSamples(text)
      const indexed = indexSamplesFile(file)
      expect(indexed.issues).toEqual(parsed.issues)
      expect(indexed.records.map((r) => [r.line, r.taskId, r.field])).toEqual(parsed.records.map((r) => [r.line, r.taskId, r.field]))
      expect(indexed.records.some((r) => "text" in r)).toBe(false)
      expect(loadSamples(file, indexed.records)).toEqual(parsed.records)
      const problems = [problem("mbpp", "2"), problem("mbpp", "3")]
      expect(matchSamples(indexed.records, problems).issues).toEqual(matchSamples(parsed.records, problems).issues)
      NodeFs.writeFileSync(file, text.replace("def f(): pass", "def f(): 1234"))
      expect(() => loadSamples(file, indexed.records.slice(0, 1))).toThrow("line 1 changed")
    } finally {
      NodeFs.rmSync(dir, { recursive: true, force: true })
    }
  })
})

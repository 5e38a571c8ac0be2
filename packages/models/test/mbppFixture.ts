import { AssertTest, CallTest, Problem, ProblemId, sharedDataFile } from "@o1coder/domain"
import type { Test } from "@o1coder/domain"
import * as NodeFs from "node:fs"

/** MBPP problems for tests, read directly (the problems package sits beside this one). */
export const mbppFile = sharedDataFile("mbpp/mbpp.jsonl")

export interface MbppRaw {
  readonly task_id: number
  readonly text: string
  readonly code: string
  readonly test_setup_code: string
  readonly test_list: ReadonlyArray<string>
}

export const readMbppRaw = (limit: number): ReadonlyArray<MbppRaw> =>
  NodeFs.readFileSync(mbppFile.path, "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .slice(0, limit)
    .map((l) => JSON.parse(l) as MbppRaw)

/** `assert f(ARGS) == EXPECTED` as a CallTest when the split is unambiguous, else an AssertTest. */
const toTest = (source: string, entryPoint: string): Test => {
  const m = source.trim().match(new RegExp(`^assert\\s+${entryPoint}\\((.*)\\)\\s*==\\s*([^=]+)$`))
  return m !== null && !m[1]!.includes("==") ? new CallTest({ args: m[1]!, expected: m[2]!.trim() }) : new AssertTest({ source })
}

export const toProblem = (r: MbppRaw): Problem => {
  const entryPoint = r.test_list[0]!.match(/assert\s+\(?\s*(?:not\s+)?\(?([A-Za-z_]\w*)\(/)?.[1] ?? "f"
  const tests = r.test_list.map((t) => toTest(t, entryPoint))
  return new Problem({
    id: ProblemId.make(`mbpp/${r.task_id}`),
    dataset: "mbpp",
    taskId: String(r.task_id),
    split: "test",
    kind: "function",
    statement: r.text,
    entryPoint,
    reference: r.code.replace(/\r\n/g, "\n"),
    ...(r.test_setup_code !== "" ? { setup: r.test_setup_code } : {}),
    visibleTests: tests.slice(0, 1),
    heldOutTests: tests,
    heldOutInputs: []
  })
}

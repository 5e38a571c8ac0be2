import { afterAll, describe, expect, it } from "@effect/vitest"
import { Problem, sharedDataFile } from "@o1coder/domain"
import { ProblemsRepo } from "@o1coder/store/ProblemsRepo"
import { TestDatabase } from "@o1coder/store"
import { Effect, Layer, Schema } from "effect"
import * as NodeFs from "node:fs"
import * as NodeOs from "node:os"
import * as NodePath from "node:path"
import * as NodeZlib from "node:zlib"
import { demoProblemsPath } from "../src/Demo.ts"
import { toGenericRecord } from "../src/Generic.ts"
import { importProblems, inferFormat, readProblems } from "../src/Import.ts"

const sanitized = sharedDataFile("mbpp/sanitized-mbpp.json")
const plus = sharedDataFile("mbpp-plus/MbppPlus.jsonl")
const apps = sharedDataFile("apps/apps_selected150.jsonl")

const tmp = NodeFs.mkdtempSync(NodePath.join(NodeOs.tmpdir(), "o1coder-problems-"))
const writeTemp = (name: string, lines: ReadonlyArray<string>) => {
  const file = NodePath.join(tmp, name)
  NodeFs.writeFileSync(file, lines.join("\n") + "\n")
  return file
}
afterAll(() => NodeFs.rmSync(tmp, { recursive: true, force: true }))

const Repo = ProblemsRepo.Default.pipe(Layer.provideMerge(TestDatabase.pglite))
const encode = Schema.encodeSync(Problem)

describe("importers on PGlite: formats and errors", () => {
  it.layer(Repo, { timeout: 120_000 })((it) => {
    it.effect("reports a broken line, a missing field and a wrong type with file, line and field, and imports the rest", () =>
      Effect.gen(function* () {
        const good = (id: number) =>
          JSON.stringify({ task_id: id, text: `t${id}`, code: "def f(x):\r\n    return x", test_setup_code: "", test_list: [`assert f(${id}) == ${id}`], challenge_test_list: [] })
        const file = writeTemp("mbpp.jsonl", [
          good(601),
          good(602).slice(0, -5),
          good(603),
          JSON.stringify({ task_id: 604, code: "def f(x): return x", test_setup_code: "", test_list: ["assert f(1) == 1"] }),
          JSON.stringify({ task_id: "605", text: "t", code: "c", test_setup_code: "", test_list: ["assert f(1) == 1"] }),
          good(606)
        ])
        const report = yield* importProblems(file, { format: "mbpp", dataset: "broken" })
        expect(report.imported).toBe(3)
        expect(report.rejected.map((e) => [e.file, e.line, e.field])).toEqual([
          [file, 2, undefined],
          [file, 4, "text"],
          [file, 5, "task_id"]
        ])
        expect(report.rejected[0]!.message).toMatch(new RegExp(`^${file}: line 2: invalid JSON`))
        expect(report.rejected[1]!.reason).toBe("is missing")
        const repo = yield* ProblemsRepo
        expect((yield* repo.list({ dataset: "broken" })).map((p) => p.taskId)).toEqual(["601", "603", "606"])
      })
    )

    it.effect("reads HumanEval and HumanEval+ (.jsonl.gz, HumanEval_N ids) with check() held out", () =>
      Effect.gen(function* () {
        const record = {
          task_id: "HumanEval_0",
          prompt: 'def add(a: int, b: int) -> int:\n    """Add.\n    >>> add(1, 2)\n    3\n    """\n',
          canonical_solution: "    return a + b\n",
          test: "\n\ndef check(candidate):\n    assert candidate(1, 2) == 3\n",
          entry_point: "add",
          base_input: [[1, 2]],
          plus_input: [["BIG", -1], [0, 0]],
          atol: 0
        }
        const file = NodePath.join(tmp, "HumanEvalPlus.jsonl.gz")
        NodeFs.writeFileSync(file, NodeZlib.gzipSync(JSON.stringify(record).replace('"BIG"', "100000000000000000000001") + "\n"))
        expect(inferFormat(file)).toBe("humaneval-plus")
        const report = yield* importProblems(file, { format: "humaneval-plus" })
        expect(report.imported).toBe(1)
        const p = yield* (yield* ProblemsRepo).get("humaneval-plus/0")
        expect(p.reference).toBe(record.prompt + record.canonical_solution)
        expect(p.signature).toBe("def add(a: int, b: int) -> int:")
        expect(p.visibleTests).toEqual([])
        // check(candidate) made only of asserts of the call shape: call tests, judged outside the candidate's process.
        expect(p.heldOutTests).toEqual([{ _tag: "call", args: "1, 2", expected: "3" }])
        expect(p.heldOutInputs).toEqual(["100000000000000000000001, -1", "0, 0"])
        const plain = NodePath.join(tmp, "HumanEval.jsonl")
        NodeFs.writeFileSync(plain, JSON.stringify({ ...record, task_id: "HumanEval/7", base_input: undefined }) + "\n" + JSON.stringify({ ...record, task_id: "Other/1" }) + "\n")
        const he = yield* readProblems(plain, "humaneval")
        expect(he.problems.map((x) => x.problem.id)).toEqual(["humaneval/7"])
        expect(he.problems[0]!.problem.heldOutInputs).toEqual([])
        expect(he.rejected.map((e) => [e.line, e.field])).toEqual([[2, "task_id"]])
      })
    )

    it.effect.skipIf(plus.missing !== undefined || apps.missing !== undefined || sanitized.missing !== undefined)("round-trips problems through the generic JSONL format", () =>
      Effect.gen(function* () {
        const source = [
          ...(yield* readProblems(plus.path, "mbpp-plus")).problems.slice(0, 20),
          ...(yield* readProblems(apps.path, "apps")).problems.slice(0, 5),
          ...(yield* readProblems(sanitized.path, "mbpp-sanitized")).problems.slice(-40)
        ].map((r) => r.problem)
        expect(new Set(source.map((p) => p.taskId)).size).toBe(source.length)
        const file = writeTemp("roundtrip.jsonl", source.map((p) => JSON.stringify(toGenericRecord(p))))
        const report = yield* importProblems(file, { format: "jsonl", dataset: "rt" })
        expect(report.rejected).toEqual([])
        expect(report.imported).toBe(source.length)
        const repo = yield* ProblemsRepo
        for (const p of source) {
          const back = yield* repo.get(`rt/${p.taskId}`)
          expect({ ...encode(back), id: p.id, dataset: p.dataset }).toEqual(encode(p))
        }
      })
    )

    it.effect("reads the generic format: string asserts, verbatim asserts, call and stdio tests; rejects mismatched kinds", () =>
      Effect.gen(function* () {
        const file = writeTemp("mine.jsonl", [
          JSON.stringify({ id: 1, statement: "double", entry_point: "f", visible_tests: ["assert f(1) == 2"], held_out_tests: ["assert f(2) == 4", { assert: "assert f(3) == 6" }, { args: "0.5", expected: "1.0", atol: 1e-9 }] }),
          JSON.stringify({ id: "echo", kind: "stdio", statement: "echo", held_out_tests: [{ input: "a\n", output: "a" }], split: "train" }),
          JSON.stringify({ id: 3, statement: "no entry point", held_out_tests: [] }),
          JSON.stringify({ id: 4, kind: "stdio", statement: "s", held_out_tests: ["assert f(1) == 1"] }),
          JSON.stringify({ id: 5, statement: "s", entry_point: "f", held_out_tests: [{ args: 1, expected: "1" }] })
        ])
        const parsed = yield* readProblems(file, "jsonl")
        expect(parsed.problems.map((r) => r.problem.id)).toEqual(["mine/1", "mine/echo"])
        const p = parsed.problems[0]!.problem
        expect(p.visibleTests).toEqual([{ _tag: "call", args: "1", expected: "2" }])
        expect(p.heldOutTests.map((t) => t._tag)).toEqual(["call", "assert", "call"])
        expect(parsed.problems[1]!.problem.split).toBe("train")
        expect(parsed.rejected.map((e) => [e.line, e.field])).toEqual([
          [3, "entry_point"],
          [4, "held_out_tests.0"],
          [5, "held_out_tests.0"]
        ])
      })
    )

    it.effect("imports the demo problems with no rejects", () =>
      Effect.gen(function* () {
        const report = yield* importProblems(demoProblemsPath(), { format: "jsonl", dataset: "demo" })
        expect(report.rejected).toEqual([])
        expect(report.imported).toBeGreaterThanOrEqual(24)
        const all = yield* (yield* ProblemsRepo).list({ dataset: "demo" })
        for (const p of all) {
          expect(p.reference).toBeDefined()
          expect(p.heldOutTests.length).toBeGreaterThanOrEqual(3)
          expect(p.heldOutTests.every((t) => t._tag === "call")).toBe(true)
        }
      })
    )
  })
})

describe("format inference", () => {
  it("guesses from the usual file names", () => {
    expect(inferFormat("/x/mbpp.jsonl")).toBe("mbpp")
    expect(inferFormat("sanitized-mbpp.json")).toBe("mbpp-sanitized")
    expect(inferFormat("MbppPlus.jsonl")).toBe("mbpp-plus")
    expect(inferFormat("HumanEval.jsonl.gz")).toBe("humaneval")
    expect(inferFormat("apps_selected150.jsonl")).toBe("apps")
    expect(inferFormat("demo-problems.jsonl")).toBe("jsonl")
    expect(inferFormat("data.csv")).toBeUndefined()
  })
})


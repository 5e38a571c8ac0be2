import { describe, expect, it } from "@effect/vitest"
import { AssertTest, CallTest, Problem, ProblemId, StdioTest } from "@o1coder/domain"
import { Effect, Layer, Schema } from "effect"
import { ProblemsRepo } from "../src/ProblemsRepo.ts"
import * as TestDatabase from "../src/TestDatabase.ts"

const full = Problem.make({
  id: ProblemId.make("t/2"),
  dataset: "t",
  taskId: "2",
  split: "test",
  kind: "function",
  statement: "Add two numbers.\nUnicode: é ✓ 'quotes' \"double\"",
  entryPoint: "add",
  signature: "def add(a, b):",
  reference: "def add(a, b):\n    return a + b\n",
  setup: "import math",
  visibleTests: [new CallTest({ args: "1, 2", expected: "3" })],
  heldOutTests: [
    new CallTest({ args: "0.1, 0.2", expected: "0.3", atol: 1e-9 }),
    new AssertTest({ source: "assert set([add(1, 1)]) == {2}" }),
    new StdioTest({ input: "1 2\n", output: "3" })
  ],
  heldOutInputs: ["10**30, 1", "float('inf'), -1"],
  atol: 0.0001
})

const bare = (taskId: string, split = "train") =>
  Problem.make({
    id: ProblemId.make(`t/${taskId}`),
    dataset: "t",
    taskId,
    split,
    kind: "stdio",
    statement: `problem ${taskId}`,
    visibleTests: [],
    heldOutTests: [new StdioTest({ input: "", output: "x" })],
    heldOutInputs: []
  })

const encode = Schema.encodeSync(Problem)

for (const backend of TestDatabase.backends) {
  describe(`ProblemsRepo on ${backend.name}`, () => {
    it.layer(ProblemsRepo.Default.pipe(Layer.provideMerge(backend.layer)), { timeout: 120_000 })((it) => {
      it.effect("round-trips every field, including all three test kinds and optional fields left out", () =>
        Effect.gen(function* () {
          const repo = yield* ProblemsRepo
          yield* repo.upsertMany([{ problem: full, sourceFile: "f.jsonl", sourceLine: 7 }, { problem: bare("10") }])
          const got = yield* repo.get("t/2")
          expect(encode(got)).toEqual(encode(full))
          expect(got.heldOutTests.map((t) => t._tag)).toEqual(["call", "assert", "stdio"])
          const b = yield* repo.get("t/10")
          expect(encode(b)).toEqual(encode(bare("10")))
          expect(b.entryPoint).toBeUndefined()
          expect(b.atol).toBeUndefined()
        })
      )

      it.effect("get of an unknown id fails with NotFound", () =>
        Effect.gen(function* () {
          const repo = yield* ProblemsRepo
          const error = yield* Effect.flip(repo.get("t/nope"))
          expect(error._tag).toBe("NotFound")
        })
      )

      it.effect("re-importing replaces by id; list is in natural order with filters, limit and offset", () =>
        Effect.gen(function* () {
          const repo = yield* ProblemsRepo
          yield* repo.upsertMany(["9", "100", "11", "abc", "1"].map((id) => ({ problem: bare(id, id === "11" ? "test" : "train") })))
          const changed = Problem.make({ ...bare("9"), statement: "changed" })
          yield* repo.upsert(changed)
          expect((yield* repo.get("t/9")).statement).toBe("changed")
          const all = yield* repo.list({ dataset: "t" })
          expect(all.map((p) => p.taskId)).toEqual(["1", "2", "9", "10", "11", "100", "abc"])
          expect((yield* repo.list({ dataset: "t", limit: 2, offset: 2 })).map((p) => p.taskId)).toEqual(["9", "10"])
          expect((yield* repo.list({ dataset: "t", split: "test" })).map((p) => p.taskId)).toEqual(["2", "11"])
          expect(yield* repo.count({ dataset: "t" })).toBe(7)
          expect(yield* repo.count({ dataset: "t", split: "train" })).toBe(5)
          expect(yield* repo.count({ dataset: "other" })).toBe(0)
          expect(yield* repo.countBySplit("t")).toEqual([
            { dataset: "t", split: "test", count: 2 },
            { dataset: "t", split: "train", count: 5 }
          ])
          expect(yield* repo.exists("t/abc")).toBe(true)
        })
      )
    })
  })
}

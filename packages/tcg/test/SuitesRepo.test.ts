import * as SqlClient from "@effect/sql/SqlClient"
import { describe, expect, it } from "@effect/vitest"
import { CallTest, StdioTest, TestCase } from "@o1coder/domain"
import { TestDatabase } from "@o1coder/store"
import { SuitesRepo } from "@o1coder/store/SuitesRepo"
import { Effect, Layer, Option } from "effect"

const cases = [
  new TestCase({ test: new CallTest({ args: "1, 2", expected: "3", atol: 1e-6 }), origin: "dataset" }),
  new TestCase({ test: new StdioTest({ input: "1\n", output: "2\n" }), origin: "llm" })
]
const stats = { generated: 5, validated: 4, validity: 0.5, mutants: 4, killed: 3, mutationScore: 0.75, dropped: { wrong_output: 2, unparseable: 1 } }

for (const backend of TestDatabase.backends) {
  describe(`SuitesRepo on ${backend.name}`, () => {
    it.layer(Layer.fresh(SuitesRepo.Default).pipe(Layer.provideMerge(backend.layer)), { timeout: 120_000 })((it) => {
      it.effect("stores a suite once per (problem, generator, config hash) and reads it back", () =>
        Effect.gen(function* () {
          const sql = yield* SqlClient.SqlClient
          yield* sql`insert into problems (id, dataset, task_id, split, kind, statement, visible_tests, held_out_tests)
            values (${"d/1"}, 'd', '1', 'test', 'function', 'x', '[]'::jsonb, '[]'::jsonb)`
          const repo = yield* SuitesRepo
          const saved = yield* repo.save({ id: "s1", problemId: "d/1", generator: "llm", configHash: "h", stats, cases })
          expect(saved.suite.cases).toEqual(cases)
          const twice = yield* repo.save({ id: "s2", problemId: "d/1", generator: "llm", configHash: "h", stats: {}, cases: [] })
          expect(twice.suite.id).toBe("s1")
          expect(twice.suite.cases.length).toBe(2)
          expect(Option.isSome(yield* repo.find("d/1", "llm", "h"))).toBe(true)
          expect(Option.isNone(yield* repo.find("d/1", "llm", "other"))).toBe(true)
          yield* repo.mergeStats("s1", { extra: 1 })
          const got = yield* repo.get("s1")
          expect(Option.getOrThrow(got).stats).toMatchObject({ extra: 1, killed: 3 })
          expect((yield* repo.list({ dataset: "d" })).length).toBe(1)
          expect((yield* repo.list({ dataset: "nope" })).length).toBe(0)
          const q = yield* sql<{ generator: string; suites: number; cases: number; validity: number; mutation_score: number; dropped_wrong_output: number }>`
            select generator, suites, cases, validity, mutation_score, dropped_wrong_output from suite_quality where dataset = 'd'`
          expect(q).toEqual([{ generator: "llm", suites: 1, cases: 2, validity: 0.5, mutation_score: 0.75, dropped_wrong_output: 2 }])
        })
      )
    })
  })
}

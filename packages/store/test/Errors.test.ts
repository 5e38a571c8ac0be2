import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Layer, Redacted } from "effect"
import * as Database from "../src/Database.ts"
import { readOnlyQuery } from "../src/ReadOnlyQuery.ts"
import { ProblemsRepo } from "../src/ProblemsRepo.ts"
import { RunsRepo } from "../src/RunsRepo.ts"
import { SearchRepo } from "../src/SearchRepo.ts"
import { Problem, ProblemId } from "@o1coder/domain"
import * as TestDatabase from "../src/TestDatabase.ts"

/** Errors that say what the database said, on both backends, and name what exists. */
for (const backend of TestDatabase.backends) {
  describe(`errors on ${backend.name}`, () => {
    it.layer(Layer.provideMerge(Layer.mergeAll(RunsRepo.Default, SearchRepo.Default, ProblemsRepo.Default), backend.layer), { timeout: 120_000 })((it) => {
      const refused = (statement: string) => Effect.flip(readOnlyQuery(statement)).pipe(Effect.map((e) => e.message))

      it.effect("a failed statement carries SQLSTATE, the database's text and a caret at the position", () =>
        Effect.gen(function* () {
          expect(yield* refused("selec 1")).toBe('SQLSTATE 42601: syntax error at or near "selec" (position 1)\n  selec 1\n  ^')
          expect(yield* refused("select id,\n  nosuch from runs")).toBe(
            'SQLSTATE 42703: column "nosuch" does not exist (position 14)\n    nosuch from runs\n    ^'
          )
          expect(yield* refused("select * from no_table")).toMatch(/^SQLSTATE 42P01: relation "no_table" does not exist \(position 15\)/)
          expect(yield* refused("delete from runs")).toBe("SQLSTATE 25006: cannot execute DELETE in a read-only transaction")
        })
      )

      it.effect("repeated column names are kept apart, in order", () =>
        Effect.gen(function* () {
          const r = yield* readOnlyQuery("select 1 as a, 2 as a, 'x' as b, 3 as a")
          expect(r.columns).toEqual(["a", "a_2", "b", "a_3"])
          expect(r.rows).toEqual([{ a: 1, a_2: 2, b: "x", a_3: 3 }])
          const plain = yield* readOnlyQuery("select 1 as n where false")
          expect(plain).toEqual({ columns: ["n"], rows: [] })
        })
      )

      it.effect("a run that does not exist: NotFound names the runs there are; rounds likewise", () =>
        Effect.gen(function* () {
          const repo = yield* RunsRepo
          yield* repo.create({ id: "errs-1", name: "errs", config: {} })
          const missing = yield* Effect.flip(repo.resolve("nosuchrun"))
          expect(missing.message).toBe("run not found: nosuchrun; the store has: errs-1 (errs)")
          expect((yield* repo.resolve("errs")).id).toBe("errs-1")
          yield* repo.setStage("errs-1", 1, "search")
          const round = yield* Effect.flip(repo.requireRound("errs-1", 7))
          expect(round.message).toBe("round of run errs-1 not found: 7; the store has: 1")
          const split = yield* Effect.flip(repo.requireSplit("errs-1", "train"))
          expect(split.message).toBe("split searched by run errs-1 not found: train (the store has none)")
        })
      )

      it.effect("a search or dataset that does not exist: NotFound names what there is", () =>
        Effect.gen(function* () {
          const search = yield* Effect.flip((yield* SearchRepo).get("s-nosuch"))
          expect(search.message).toBe("search not found: s-nosuch (the store has none)")
          const problems = yield* ProblemsRepo
          yield* problems.upsert(new Problem({ id: ProblemId.make("mine/1"), dataset: "mine", taskId: "1", split: "test", kind: "function", statement: "s", entryPoint: "f", visibleTests: [], heldOutTests: [], heldOutInputs: [] }))
          expect((yield* Effect.flip(problems.requireMatch({ dataset: "nosuch" }))).message).toBe("dataset not found: nosuch; the store has: mine")
          expect((yield* Effect.flip(problems.requireMatch({ dataset: "mine", split: "train" }))).message).toBe("split of mine not found: train; the store has: test")
          yield* problems.requireMatch({ dataset: "mine", split: "test" })
          expect((yield* Effect.flip(problems.get("mine/2"))).message).toBe("problem not found: mine/2; the store has: mine/1")
        })
      )
    })
  })
}

describe("connection failures", () => {
  const failure = (url: string) =>
    Effect.scoped(Layer.build(Database.layer({ _tag: "Postgres", url: Redacted.make(url) }))).pipe(
      Effect.exit,
      Effect.map((exit) => (Exit.isFailure(exit) ? String((exit.cause as { error?: { message?: string } }).error?.message) : "connected"))
    )

  it.effect("name host, port, database and the reason, and suggest the fix", () =>
    Effect.gen(function* () {
      const admin = new URL(TestDatabase.PG_ADMIN_URL)
      const refused = new URL(admin)
      refused.port = "1"
      expect(yield* failure(refused.toString())).toBe(
        `cannot connect to Postgres database "${admin.pathname.slice(1)}" at ${admin.hostname}:1 as user "${admin.username}": connection refused (nothing listens on ${admin.hostname}:1)\n` +
          "fix: start Postgres (sudo service postgresql start), or correct the host and port in --database-url"
      )
      const missing = new URL(admin)
      missing.pathname = "/o1coder_no_such_database"
      expect(yield* failure(missing.toString())).toMatch(
        new RegExp(`^cannot connect to Postgres database "o1coder_no_such_database" at ${admin.hostname}:${admin.port || 5432} .*: SQLSTATE 3D000: database "o1coder_no_such_database" does not exist\nfix: create it \\(createdb `)
      )
      expect(yield* failure("not a url")).toBe(
        'cannot connect to Postgres: the database URL is not a URL: "not a url"\nfix: pass --database-url (or DATABASE_URL) as postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE'
      )
      expect(yield* failure("mysql://u@h/d")).toMatch(/^cannot connect to Postgres: the database URL's scheme is mysql: \(expected postgres:\)/)
    }), 60_000
  )
})

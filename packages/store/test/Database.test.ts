import * as SqlClient from "@effect/sql/SqlClient"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import * as Database from "../src/Database.ts"
import * as TestDatabase from "../src/TestDatabase.ts"

for (const backend of TestDatabase.backends) {
  describe(`database on ${backend.name}`, () => {
    it.layer(backend.layer, { timeout: 120_000 })((it) => {
      it.effect("applies every migration and is idempotent", () =>
        Effect.gen(function* () {
          const sql = yield* SqlClient.SqlClient
          const before = yield* sql<{ n: number }>`select count(*)::int as n from effect_sql_migrations`
          const again = yield* Database.migrate
          expect(again).toEqual([])
          const tables = yield* sql<{ name: string }>`
            select table_name as name from information_schema.tables
            where table_schema = 'public' order by table_name`
          const names = tables.map((t) => t.name)
          for (const t of ["problems", "test_suites", "test_cases", "model_versions", "model_calls", "searches", "nodes", "executions", "datasets", "training_jobs", "evaluations", "runs", "rounds"]) {
            expect(names).toContain(t)
          }
          expect(before[0]!.n).toBeGreaterThanOrEqual(2)
        })
      )

      it.effect("runs transactions and parameters", () =>
        Effect.gen(function* () {
          const sql = yield* SqlClient.SqlClient
          yield* sql`insert into runs ${sql.insert({ id: "r1", name: "t", config: JSON.stringify({ a: 1 }), status: "running" })}`
          const fail = yield* sql.withTransaction(
            Effect.gen(function* () {
              yield* sql`update runs set name = 'changed' where id = 'r1'`
              return yield* Effect.fail("boom")
            })
          ).pipe(Effect.flip)
          expect(fail).toBe("boom")
          const rows = yield* sql<{ name: string; config: unknown }>`select name, config from runs where id = ${"r1"}`
          expect(rows[0]!.name).toBe("t")
          expect(rows[0]!.config).toEqual({ a: 1 })
        })
      )
    })
  })
}

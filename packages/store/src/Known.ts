import type * as SqlClient from "@effect/sql/SqlClient"
import { NotFound } from "@o1coder/domain"
import { Effect } from "effect"

const SHOWN = 12

/**
 * A NotFound that names what does exist: the first ids of `table` in `order` (fixed identifiers
 * from the repositories, never user text) and how many more there are.
 */
export const notFoundAmong = (sql: SqlClient.SqlClient, what: string, id: string, table: string, order: string) =>
  Effect.gen(function* () {
    const rows = yield* sql.unsafe<{ id: string }>(`select id from ${table} order by ${order} limit ${SHOWN}`)
    const total = yield* sql.unsafe<{ n: number }>(`select count(*)::int as n from ${table}`)
    return new NotFound({ what, id, known: rows.map((r) => r.id), more: Math.max(0, total[0]!.n - rows.length) })
  })

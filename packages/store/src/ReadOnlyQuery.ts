import * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import { Effect } from "effect"
import { queryFailed } from "./SqlErrors.ts"

/** The rows of a query with its columns in order; repeated names are kept apart as `a`, `a_2`, … */
export interface QueryResult {
  readonly columns: ReadonlyArray<string>
  readonly rows: ReadonlyArray<Record<string, unknown>>
}

/** Distinct names for the columns: the first keeps its name, later ones get `_2`, `_3`, … */
export const distinctNames = (names: ReadonlyArray<string>): Array<string> => {
  const taken = new Set<string>()
  return names.map((name) => {
    let candidate = name
    for (let n = 2; taken.has(candidate); n++) candidate = `${name}_${n}`
    taken.add(candidate)
    return candidate
  })
}

interface RawResult {
  readonly fields?: ReadonlyArray<{ readonly name: string }>
  readonly rows?: ReadonlyArray<Record<string, unknown>>
}

/**
 * Runs user SQL in a READ ONLY transaction (nothing can change, whatever the text says). Failures
 * carry the database's own message (SQLSTATE, text, position with a caret).
 */
export const readOnlyQuery = (statement: string) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const run = Effect.gen(function* () {
      yield* sql.unsafe("SET TRANSACTION READ ONLY").raw
      const raw = (yield* sql.unsafe(statement, []).raw) as RawResult | ReadonlyArray<RawResult>
      const last: RawResult = Array.isArray(raw) ? (raw.at(-1) ?? {}) : (raw as RawResult)
      const names = (last.fields ?? []).map((f) => f.name)
      const rows = last.rows ?? []
      if (new Set(names).size === names.length) return { columns: names, rows } satisfies QueryResult
      // Rows as objects lose repeated names: read the values by position instead.
      const columns = distinctNames(names)
      const values = yield* sql.unsafe(statement, []).values
      return { columns, rows: values.map((v) => Object.fromEntries(columns.map((c, i) => [c, v[i]]))) } satisfies QueryResult
    })
    return yield* sql.withTransaction(run)
  }).pipe(
    Effect.catchTag("SqlError", (e: SqlError) => Effect.fail(queryFailed(e, statement))),
    Effect.withSpan("ReadOnlyQuery")
  )

import * as Reactivity from "@effect/experimental/Reactivity"
import * as SqlClient from "@effect/sql/SqlClient"
import type { Connection } from "@effect/sql/SqlConnection"
import { SqlError } from "@effect/sql/SqlError"
import { makeCompiler } from "@effect/sql-pg/PgClient"
import { Effect, Layer, Stream } from "effect"

/**
 * A small in-process SqlClient over PGlite (Postgres compiled to WebAssembly). There is no
 * Effect 3 PGlite driver on npm. PGlite has one session, so the driver serialises access:
 * a transaction holds the only permit for its whole scope, plain queries take it per statement.
 */
export interface PgliteOptions {
  /** Data directory on disk; `undefined` keeps the database in memory. */
  readonly dataDir: string | undefined
}

const wrapError = (message: string) => (cause: unknown) => new SqlError({ cause, message: `${message}: ${String((cause as Error)?.message ?? cause)}` })

export const make = (options: PgliteOptions) =>
  Effect.gen(function* () {
    const db = yield* Effect.acquireRelease(
      Effect.tryPromise({
        try: async () => {
          // Loaded on first use: commands that never open the store start without the wasm module.
          const { PGlite } = await import("@electric-sql/pglite")
          const db = options.dataDir === undefined ? new PGlite() : new PGlite(options.dataDir)
          await db.waitReady
          return db
        },
        catch: wrapError(`Failed to open PGlite at ${options.dataDir ?? "memory"}`)
      }),
      (db) => Effect.promise(() => db.close()).pipe(Effect.ignore)
    )
    const lock = yield* Effect.makeSemaphore(1)

    const run = (sql: string, params: ReadonlyArray<unknown>): Effect.Effect<ReadonlyArray<any>, SqlError> =>
      Effect.tryPromise({
        try: async () => {
          // Parameter-less text may hold several statements: the simple protocol (exec) runs them.
          if (params.length === 0) {
            const results = await db.exec(sql)
            return results.length === 0 ? [] : results[results.length - 1]!.rows
          }
          return (await db.query(sql, params as Array<unknown>)).rows
        },
        catch: wrapError("Failed to execute statement")
      })

    /** The driver's own results (rows and fields), as pg's `raw` gives them: one, or one per statement. */
    const runRaw = (sql: string, params: ReadonlyArray<unknown>): Effect.Effect<unknown, SqlError> =>
      Effect.tryPromise({
        try: async () => {
          if (params.length === 0) {
            const results = await db.exec(sql)
            return results.length === 1 ? results[0] : results
          }
          return await db.query(sql, params as Array<unknown>)
        },
        catch: wrapError("Failed to execute statement")
      })

    const runValues = (sql: string, params: ReadonlyArray<unknown>) =>
      Effect.tryPromise({
        try: async () => (await db.query(sql, params as Array<unknown>, { rowMode: "array" })).rows as ReadonlyArray<ReadonlyArray<unknown>>,
        catch: wrapError("Failed to execute statement")
      })

    const connection = (locked: boolean): Connection => {
      const guard = <A, E>(effect: Effect.Effect<A, E>) => (locked ? effect : lock.withPermits(1)(effect))
      return {
        execute: (sql, params, transformRows) =>
          guard(run(sql, params)).pipe(Effect.map((rows) => (transformRows ? transformRows(rows) : rows))),
        executeRaw: (sql, params) => guard(runRaw(sql, params)),
        executeValues: (sql, params) => guard(runValues(sql, params)),
        executeUnprepared: (sql, params, transformRows) =>
          guard(run(sql, params)).pipe(Effect.map((rows) => (transformRows ? transformRows(rows) : rows))),
        executeStream: (sql, params, transformRows) =>
          Stream.fromIterableEffect(
            guard(run(sql, params)).pipe(Effect.map((rows) => (transformRows ? transformRows(rows) : rows)))
          )
      }
    }

    const transactionAcquirer = Effect.acquireRelease(lock.take(1), () => lock.release(1)).pipe(
      Effect.as(connection(true))
    )

    return yield* SqlClient.make({
      acquirer: Effect.succeed(connection(false)),
      transactionAcquirer,
      compiler: makeCompiler(),
      spanAttributes: [["db.system.name", "pglite"]]
    })
  })

export const layer = (options: PgliteOptions): Layer.Layer<SqlClient.SqlClient, SqlError> =>
  Layer.scoped(SqlClient.SqlClient, make(options)).pipe(Layer.provide(Reactivity.layer))

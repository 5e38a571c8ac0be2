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
  /** Told once when a storage error has made the instance unusable (see `isStorageFailure`). */
  readonly onBroken?: ((reason: string) => Effect.Effect<void>) | undefined
}

/**
 * An error from PGlite's files (EPERM, EIO, a full disk) or a PANIC/FATAL. After one, PGlite may
 * spin inside its wasm on the next statement, blocking the event loop (and with it Ctrl-C): such an
 * instance takes no statement again.
 */
export const isStorageFailure = (error: unknown): boolean => {
  const e = error as { code?: unknown; severity?: unknown; message?: unknown } | null
  if (e === null || typeof e !== "object") return false
  if (e.severity === "PANIC" || e.severity === "FATAL") return true
  if (typeof e.code === "string" && (e.code.startsWith("58") || e.code === "53100" || e.code.startsWith("XX"))) return true
  if ((error as Error).name === "RuntimeError") return true // the wasm aborted
  return typeof e.message === "string" && /could not (open|create|write|read|extend|fsync|rename|unlink|truncate|seek|stat|remove|access|link|close|fdatasync) (file|directory)|No space left on device/.test(e.message)
}

const wrapError = (message: string) => (cause: unknown) => new SqlError({ cause, message: `${message}: ${String((cause as Error)?.message ?? cause)}` })

export const make = (options: PgliteOptions) =>
  Effect.gen(function* () {
    let broken: string | undefined
    const where = options.dataDir ?? "memory"
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
      // A broken instance is not closed: closing runs statements too (a checkpoint).
      (db) => Effect.suspend(() => (broken === undefined ? Effect.promise(() => db.close()) : Effect.void)).pipe(Effect.ignore)
    )
    const lock = yield* Effect.makeSemaphore(1)

    /** Every statement, unless a storage error broke the instance: then none (it fails at once). */
    const guarded = <A>(f: () => Promise<A>): Effect.Effect<A, SqlError> =>
      Effect.suspend(() => {
        if (broken !== undefined) {
          return Effect.fail(new SqlError({ message: `PGlite at ${where} is unusable after a storage error: ${broken}` }))
        }
        return Effect.tryPromise({ try: f, catch: (cause) => cause }).pipe(
          Effect.catchAll((cause) => {
            const error = wrapError("Failed to execute statement")(cause)
            if (!isStorageFailure(cause) || broken !== undefined) return Effect.fail(error)
            broken = String((cause as Error)?.message ?? cause)
            return Effect.zipRight(options.onBroken?.(broken) ?? Effect.void, Effect.fail(error))
        })
        )
      })

    const run = (sql: string, params: ReadonlyArray<unknown>): Effect.Effect<ReadonlyArray<any>, SqlError> =>
      guarded(async () => {
        // Parameter-less text may hold several statements: the simple protocol (exec) runs them.
        if (params.length === 0) {
          const results = await db.exec(sql)
          return results.length === 0 ? [] : results[results.length - 1]!.rows
        }
        return (await db.query(sql, params as Array<unknown>)).rows
      })

    /** The driver's own results (rows and fields), as pg's `raw` gives them: one, or one per statement. */
    const runRaw = (sql: string, params: ReadonlyArray<unknown>): Effect.Effect<unknown, SqlError> =>
      guarded(async () => {
        if (params.length === 0) {
          const results = await db.exec(sql)
          return results.length === 1 ? results[0] : results
        }
        return await db.query(sql, params as Array<unknown>)
      })

    const runValues = (sql: string, params: ReadonlyArray<unknown>) =>
      guarded(async () => (await db.query(sql, params as Array<unknown>, { rowMode: "array" })).rows as ReadonlyArray<ReadonlyArray<unknown>>)

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

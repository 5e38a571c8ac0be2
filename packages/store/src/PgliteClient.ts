import * as Reactivity from "@effect/experimental/Reactivity"
import * as SqlClient from "@effect/sql/SqlClient"
import type { Connection } from "@effect/sql/SqlConnection"
import { SqlError } from "@effect/sql/SqlError"
import { makeCompiler } from "@effect/sql-pg/PgClient"
import { Duration, Effect, Layer, Stream } from "effect"
import * as NodeFs from "node:fs"
import * as StallWatchdog from "./StallWatchdog.ts"

/**
 * A small in-process SqlClient over PGlite (Postgres compiled to WebAssembly). There is no
 * Effect 3 PGlite driver on npm. PGlite has one session, so the driver serialises access:
 * a transaction holds the only permit for its whole scope, plain queries take it per statement.
 */
export interface PgliteOptions {
  /** Data directory on disk; `undefined` keeps the database in memory. */
  readonly dataDir: string | undefined
  /** Told once when a storage error has made the instance unusable (see `isStorageFailure`), naming the data directory. */
  readonly onBroken?: ((reason: string) => Effect.Effect<void>) | undefined
  /**
   * How long one statement may block the event loop before the process ends (exit 75, resumable;
   * see `StallWatchdog`); `undefined`: no watchdog. A blocked statement is a PGlite whose storage
   * failed in a way the driver did not see; a healthy statement of o1coder takes milliseconds.
   */
  readonly stallLimit?: Duration.Duration | undefined
}

/** The exit code of a process whose store became unusable: temporary, retry (resume) later (sysexits' EX_TEMPFAIL). */
export const EXIT_TEMPFAIL = 75

/**
 * An error from PGlite's files (EPERM, EIO, a full disk) or a PANIC/FATAL. After one, PGlite may
 * spin inside its wasm on the next statement, blocking the event loop (and with it Ctrl-C): such an
 * instance takes no statement again. Seen (issue 21): a failed WAL write, then the Sync that
 * PGlite's own `query`/`exec` send in their `finally` loops forever in `XLogFlush`.
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
          // Every protocol exchange, PGlite's own Sync after a failed statement included, goes through
          // this method: after a storage failure none reaches the wasm again (it would spin there).
          const exchange = db.execProtocolStream.bind(db)
          db.execProtocolStream = async (...args: Parameters<typeof exchange>) => {
            if (broken !== undefined) throw new Error(`PGlite at ${where} is unusable after a storage error: ${broken}`)
            try {
              return await exchange(...args)
            } catch (error) {
              if (broken === undefined && isStorageFailure(error)) broken = String((error as Error)?.message ?? error)
              throw error
            }
          }
          return db
        },
        catch: wrapError(`Failed to open PGlite at ${options.dataDir ?? "memory"}`)
      }),
      // A broken instance is not closed: closing runs statements too (a checkpoint).
      (db) => Effect.suspend(() => (broken === undefined ? Effect.promise(() => db.close()) : Effect.void)).pipe(Effect.ignore)
    )
    const lock = yield* Effect.makeSemaphore(1)
    const watchdog = yield* watchdogFor(where, options.stallLimit)

    let told = false
    /** Every statement, unless a storage error broke the instance: then none (it fails at once). */
    const guarded = <A>(f: () => Promise<A>): Effect.Effect<A, SqlError> =>
      Effect.suspend(() => {
        if (broken !== undefined && told) {
          return Effect.fail(new SqlError({ message: `PGlite at ${where} is unusable after a storage error: ${broken}` }))
        }
        // Started outside the fiber's own stack: a watchdog's termination of a blocked call unwinds only PGlite.
        return Effect.tryPromise({ try: () => watchdog.track(() => Promise.resolve().then(f)), catch: (cause) => cause }).pipe(
          Effect.catchAll((cause) => {
            const error = wrapError("Failed to execute statement")(cause)
            if (broken === undefined && isStorageFailure(cause)) broken = String((cause as Error)?.message ?? cause)
            if (broken === undefined || told) return Effect.fail(error)
            told = true
            return Effect.zipRight(options.onBroken?.(`PGlite at ${where}: ${broken}`) ?? Effect.void, Effect.fail(error))
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

const unguarded = { track: <A>(f: () => Promise<A>) => f() }

/** The stall watchdog for the driver's statements, stopped with the client's scope. */
const watchdogFor = (where: string, limit: Duration.Duration | undefined) =>
  limit === undefined
    ? Effect.succeed(unguarded)
    : Effect.acquireRelease(
        Effect.sync(() => {
          const seconds = Math.round(Duration.toSeconds(limit))
          const said = `PGlite at ${where} stopped responding: one statement blocked the program for ${seconds} s (its storage has likely failed: a read-only, full or failing disk).\nfix the disk, then resume the run (npx o1coder resume RUN_ID; o1coder runs lists them).`
          return StallWatchdog.start({
            limitMillis: Duration.toMillis(limit),
            message: `error: DatabaseBroken: ${said}`,
            onStall: () => {
              NodeFs.writeSync(2, `\nerror: DatabaseBroken: ${said}\n`)
              process.exit(EXIT_TEMPFAIL)
            }
          })
        }),
        (watchdog) => Effect.sync(() => watchdog.stop())
      )

export const layer = (options: PgliteOptions): Layer.Layer<SqlClient.SqlClient, SqlError> =>
  Layer.scoped(SqlClient.SqlClient, make(options)).pipe(Layer.provide(Reactivity.layer))

import * as SqlClient from "@effect/sql/SqlClient"
import type { Connection } from "@effect/sql/SqlConnection"
import { SqlError } from "@effect/sql/SqlError"
import { makeCompiler } from "@effect/sql-pg/PgClient"
import { Chunk, Config, Deferred, Duration, Effect, Option, Predicate, Schedule, Schema, Stream } from "effect"

/** The database stayed unreachable longer than the outage limit: the run stops, resumable. */
export class DatabaseUnreachable extends Schema.TaggedError<DatabaseUnreachable>()("DatabaseUnreachable", {
  seconds: Schema.Number,
  reason: Schema.String
}) {
  override get message() {
    return `database unreachable for ${Duration.format(Duration.seconds(Math.round(this.seconds)))}: ${this.reason}`
  }
}

/** The store's storage failed (PGlite: a read-only or full disk, a PANIC): a clear failure, not a wait. */
export class DatabaseBroken extends Schema.TaggedError<DatabaseBroken>()("DatabaseBroken", {
  reason: Schema.String
}) {
  override get message() {
    return `the database's storage failed: ${this.reason} (fix the disk, then resume)`
  }
}

const TRANSIENT_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "EPIPE", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "EAI_AGAIN"])
const TRANSIENT_MESSAGES = /Connection terminated|connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|not currently accepting connections|the database system is (starting up|shutting down|in recovery mode)|terminating connection/

/**
 * A connection-level failure a Postgres server recovers from: refused or reset connections, backends
 * terminated by an administrator (57P01-57P03), connection exceptions (08xxx), a database that does
 * not accept connections now (55000 with that message). Query errors are not transient.
 */
export const isTransient = (error: unknown): boolean => {
  const seen = new Set<unknown>()
  for (let e: unknown = error; e !== undefined && e !== null && !seen.has(e); e = Predicate.hasProperty(e, "cause") ? e.cause : undefined) {
    seen.add(e)
    const code = Predicate.hasProperty(e, "code") && typeof e.code === "string" ? e.code : undefined
    if (code !== undefined && (TRANSIENT_CODES.has(code) || code.startsWith("08") || code === "57P01" || code === "57P02" || code === "57P03")) return true
    if (Predicate.hasProperty(e, "message") && typeof e.message === "string" && TRANSIENT_MESSAGES.test(e.message)) return true
  }
  return false
}

/** The driver's own message: the cause's (a SqlError wraps it), else the error's, else its text. */
const reasonOf = (error: unknown): string => {
  const messageOf = (e: unknown) => (Predicate.hasProperty(e, "message") && e.message !== undefined && e.message !== null ? String(e.message) : undefined)
  return messageOf(Predicate.hasProperty(error, "cause") ? error.cause : undefined) ?? messageOf(error) ?? String(error)
}

export interface OutageState {
  /** Seconds since the database stopped answering, while it does not. */
  readonly waitingSeconds: number | undefined
}

/**
 * The program's view of its database's availability. Store accesses retry transient connection
 * errors on a bounded, logged schedule while the outage lasts less than `O1CODER_DB_OUTAGE_LIMIT`
 * (default 5 minutes); the outage is measured once for every statement waiting on it, and ends with
 * the first statement that succeeds. Past the limit every waiting statement fails, and `unreachable`
 * completes: a run stops there (interrupted, resumable).
 */
export class DatabaseOutage extends Effect.Service<DatabaseOutage>()("o1coder/DatabaseOutage", {
  effect: Effect.gen(function* () {
    const limit = yield* Config.duration("O1CODER_DB_OUTAGE_LIMIT").pipe(Config.withDefault(Duration.minutes(5)))
    const unreachable = yield* Deferred.make<never, DatabaseUnreachable>()
    const brokenStorage = yield* Deferred.make<never, DatabaseBroken>()
    let since: number | undefined

    const seconds = (now: number) => (since === undefined ? 0 : (now - since) / 1000)

    const failed = (error: unknown) =>
      Effect.gen(function* () {
        const now = Date.now()
        const reason = reasonOf(error)
        if (since === undefined) {
          since = now
          yield* Effect.logWarning(`database connection lost (${reason}): retrying for up to ${Duration.format(limit)}`)
        }
        if (seconds(now) * 1000 > Duration.toMillis(limit)) {
          yield* Deferred.fail(unreachable, new DatabaseUnreachable({ seconds: seconds(now), reason }))
          return false
        }
        yield* Effect.logDebug(`waiting for the database (${Math.round(seconds(now))} s): ${reason}`)
        return true
      })

    const succeeded = Effect.suspend(() => {
      if (since === undefined) return Effect.void
      const waited = seconds(Date.now())
      since = undefined
      return Effect.logInfo(`the database is back after ${Math.round(waited)} s`)
    })

    // Once the program is being interrupted, nothing waits for the database any more (Ctrl-C works).
    let stopped = false
    const gaveUp = Effect.map(Deferred.poll(unreachable), (o) => stopped || Option.isSome(o))

    // 200 ms, doubling to 2 s between attempts, for as long as the outage is within the limit.
    const schedule = Schedule.exponential("200 millis").pipe(
      Schedule.union(Schedule.spaced("2 seconds")),
      Schedule.whileInputEffect((e: unknown) => (isTransient(e) ? Effect.flatMap(gaveUp, (g) => (g ? Effect.succeed(false) : failed(e))) : Effect.succeed(false)))
    )

    /** `effect` retried while its failure is a transient connection error and the outage is within the limit. */
    const retry = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
      effect.pipe(
        Effect.retry(schedule),
        Effect.tap(() => succeeded)
      )

    const state = Effect.sync((): OutageState => ({ waitingSeconds: since === undefined ? undefined : seconds(Date.now()) }))

    return {
      retry,
      state,
      limit,
      /** From now on statements are tried once: the program is stopping (Ctrl-C), it does not wait out an outage. */
      stopWaiting: Effect.sync(() => {
        stopped = true
      }),
      /** Fails with DatabaseUnreachable once an outage has lasted past the limit. */
      unreachable: Deferred.await(unreachable),
      /** Told by the store's driver when its storage failed for good. */
      broken: (reason: string) => Effect.asVoid(Deferred.fail(brokenStorage, new DatabaseBroken({ reason }))),
      /** Fails when the database is gone for this process: unreachable past the limit, or its storage broken. */
      lost: Effect.raceFirst(Deferred.await(unreachable), Deferred.await(brokenStorage))
    } as const
  })
}) {}

/** A commit or rollback on a dropped connection dies inside @effect/sql: as a failure, it can be retried. */
const transientDefectsAsFailures = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E | SqlError, R> =>
  Effect.catchAllDefect(effect, (defect) =>
    isTransient(defect) ? Effect.fail(new SqlError({ cause: defect, message: "Connection lost in a transaction" })) : Effect.die(defect)
  )

/** The client's row transform (its name transforms), when it has one. */
const transformedBy =
  (transformRows: (<A extends object>(rows: ReadonlyArray<A>) => ReadonlyArray<A>) | undefined) =>
  (rows: ReadonlyArray<object>): ReadonlyArray<object> =>
    transformRows !== undefined ? transformRows(rows) : rows

/**
 * `inner` with every statement, and every outermost transaction as a whole, retried through the
 * outage. Statements inside a transaction are not retried one by one: the transaction is.
 */
export const resilient = (inner: SqlClient.SqlClient, outage: DatabaseOutage) =>
  Effect.gen(function* () {
    const connection: Connection = {
      execute: (sql, params, transformRows) => outage.retry(inner.unsafe(sql, params)).pipe(Effect.map(transformedBy(transformRows))),
      executeRaw: (sql, params) => outage.retry(inner.unsafe(sql, params).raw),
      executeValues: (sql, params) => outage.retry(inner.unsafe(sql, params).values),
      executeUnprepared: (sql, params, transformRows) =>
        outage.retry(inner.unsafe(sql, params).unprepared).pipe(Effect.map(transformedBy(transformRows))),
      // Streams are not retried (a half-read stream cannot be resumed); nothing in o1coder streams rows.
      executeStream: (sql, params, transformRows) =>
        inner.unsafe(sql, params).stream.pipe(
          Stream.mapChunks((rows) => Chunk.unsafeFromArray(transformedBy(transformRows)(Chunk.toReadonlyArray(rows))))
        )
    }
    const client = yield* SqlClient.make({
      acquirer: Effect.succeed(connection),
      transactionAcquirer: outage.retry(inner.reserve),
      compiler: makeCompiler(),
      spanAttributes: [["db.system.name", "postgresql"]]
    })
    const withTransaction = client.withTransaction
    return Object.assign(client, {
      withTransaction: <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E | SqlError, R> =>
        Effect.flatMap(Effect.serviceOption(SqlClient.TransactionConnection), (outer) =>
          Option.isSome(outer) ? withTransaction(effect) : outage.retry(transientDefectsAsFailures(withTransaction(effect)))
        )
    }) as SqlClient.SqlClient
  })

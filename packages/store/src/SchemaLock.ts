import * as SqlClient from "@effect/sql/SqlClient"
import { Effect } from "effect"

/**
 * The key of the Postgres advisory lock held while a process creates or migrates tables: the
 * store's migrations and the cluster's `cluster_*` tables. Processes started at the same instant on
 * an empty database (runners of one cluster) would otherwise race on their `CREATE TABLE`s: one
 * fails with "relation already exists" or a duplicate `pg_type` row.
 */
export const SCHEMA_LOCK_KEY = 0x6f31_636f_6465 // "o1code"

/**
 * `effect` with the schema lock held, on a connection reserved for the lock alone: the others
 * wait for it, then find the tables made. The lock is a session lock, so `effect` may use the pool
 * and its own transactions; it is released afterwards, or by the server when the process dies.
 */
export const withSchemaLock = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.scoped(
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      const connection = yield* sql.reserve
      yield* connection.executeRaw(`select pg_advisory_lock(${SCHEMA_LOCK_KEY})`, [])
      yield* Effect.addFinalizer(() => Effect.ignore(connection.executeRaw(`select pg_advisory_unlock(${SCHEMA_LOCK_KEY})`, [])))
      return yield* effect
    })
  ).pipe(Effect.withSpan("SchemaLock.withSchemaLock"))

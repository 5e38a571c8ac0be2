import * as SqlClient from "@effect/sql/SqlClient"
import { Config, Effect, Layer, Redacted } from "effect"
import pg from "pg"
import * as Database from "./Database.ts"
import type { DatabaseOutage } from "./Outage.ts"

/**
 * Real databases for tests: a fresh Postgres database per layer (created on the server named by
 * `O1CODER_TEST_PG_URL`, default the local trust-auth server, and dropped afterwards), or an
 * in-memory PGlite. Both are migrated like the program's own.
 */
export const PG_ADMIN_URL = Effect.runSync(
  Config.string("O1CODER_TEST_PG_URL").pipe(Config.withDefault("postgres://postgres@127.0.0.1:5432/postgres"))
)

/** One connection to the test server's admin database for `f`, closed afterwards. */
export const pgAdmin = async <A>(f: (client: pg.Client) => Promise<A>) => {
  const client = new pg.Client({ connectionString: PG_ADMIN_URL })
  await client.connect()
  try {
    return await f(client)
  } finally {
    await client.end()
  }
}

const admin = <A>(f: (client: pg.Client) => Promise<A>) => Effect.promise(() => pgAdmin(f))

export const freshPostgresUrl = Effect.acquireRelease(
  Effect.gen(function* () {
    const name = `o1test_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`
    yield* admin((c) => c.query(`CREATE DATABASE ${name}`))
    const url = new URL(PG_ADMIN_URL)
    url.pathname = `/${name}`
    return { name, url: url.toString() }
  }),
  ({ name }) => admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).pipe(Effect.ignore)
)

export const postgres: Layer.Layer<SqlClient.SqlClient | DatabaseOutage, unknown> = Layer.unwrapScoped(
  Effect.map(freshPostgresUrl, ({ url }) => Database.layer({ _tag: "Postgres", url: Redacted.make(url) }))
)

export const pglite: Layer.Layer<SqlClient.SqlClient | DatabaseOutage, unknown> = Database.layer({ _tag: "Pglite", dataDir: undefined })

/** Both backends, for suites that must hold on each. */
export const backends = [
  { name: "pglite", layer: pglite },
  { name: "postgres", layer: postgres }
] as const

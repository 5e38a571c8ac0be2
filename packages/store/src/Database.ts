import * as Migrator from "@effect/sql/Migrator"
import * as SqlClient from "@effect/sql/SqlClient"
import { PgClient } from "@effect/sql-pg"
import * as Reactivity from "@effect/experimental/Reactivity"
import { Config, Duration, Effect, Layer, Option, Redacted } from "effect"
import * as NodeFs from "node:fs"
import pg from "pg"
import * as NodePath from "node:path"
import { fileURLToPath } from "node:url"
import { connectFailed, DatabaseConnectFailed, parsePostgresUrl } from "./ConnectErrors.ts"
import * as Outage from "./Outage.ts"
import { DatabaseOutage } from "./Outage.ts"
import * as PgliteClient from "./PgliteClient.ts"
import { withSchemaLock } from "./SchemaLock.ts"

/** The top-level `migrations/` folder of the repository. */
export const MIGRATIONS_DIR = fileURLToPath(new URL("../../../migrations", import.meta.url))

export const DEFAULT_DATA_DIR = ".o1coder/db"

/** Plain `NNNN_name.sql` files, applied in order, each in the migrator's transaction. */
export const sqlFileLoader = (directory: string): Migrator.Loader =>
  Effect.try({
    try: () =>
      NodeFs.readdirSync(directory)
        .map((file) => file.match(/^(\d+)_([^.]+)\.sql$/))
        .filter((m): m is RegExpMatchArray => m !== null)
        .map((m): Migrator.ResolvedMigration => [
          Number(m[1]),
          m[2]!,
          Effect.succeed(
            Effect.flatMap(SqlClient.SqlClient, (sql) =>
              sql.unsafe(NodeFs.readFileSync(NodePath.join(directory, m[0]), "utf8")).raw
            )
          )
        ])
        .sort(([a], [b]) => a - b),
    catch: (e) => new Migrator.MigrationError({ reason: "failed", message: `Cannot read ${directory}: ${e}` })
  })

export const migrate = Migrator.make({})({ loader: sqlFileLoader(MIGRATIONS_DIR) })

export type DatabaseTarget =
  | { readonly _tag: "Postgres"; readonly url: Redacted.Redacted<string> }
  | { readonly _tag: "Pglite"; readonly dataDir: string | undefined }

/** `DATABASE_URL` selects a Postgres server; otherwise embedded PGlite in `O1CODER_DATA_DIR`. */
export const targetFromConfig: Config.Config<DatabaseTarget> = Config.all({
  url: Config.option(Config.redacted("DATABASE_URL")),
  dataDir: Config.string("O1CODER_DATA_DIR").pipe(Config.withDefault(DEFAULT_DATA_DIR))
}).pipe(
  Config.map(({ dataDir, url }) =>
    Option.match(Option.filter(url, (u) => Redacted.value(u) !== ""), {
      onNone: (): DatabaseTarget => ({ _tag: "Pglite", dataDir }),
      onSome: (url): DatabaseTarget => ({ _tag: "Postgres", url })
    })
  )
)

export const describeTarget = (target: DatabaseTarget): string =>
  target._tag === "Postgres"
    ? `postgres ${Redacted.value(target.url).replace(/\/\/[^@/]*@/, "//***@")}`
    : `pglite ${target.dataDir ?? "(in memory)"}`

/** How long one PGlite statement may block the program before it ends, resumable (PgliteClient `stallLimit`). */
const stallLimit = Config.duration("O1CODER_PGLITE_STALL_LIMIT").pipe(Config.withDefault(Duration.seconds(30)))

/**
 * What the process's Postgres sessions are called in `pg_stat_activity` (`application_name`): a
 * cluster runner says which one it is (`o1coder runner HOST:PORT`), so its backends, and the
 * advisory locks of its shards in `pg_locks`, can be told apart.
 */
export const applicationName = Config.string("O1CODER_DB_APPLICATION_NAME").pipe(Config.withDefault("o1coder"))

const clientLayer = (target: DatabaseTarget): Layer.Layer<SqlClient.SqlClient, unknown, DatabaseOutage> => {
  if (target._tag === "Postgres") {
    const address = parsePostgresUrl(Redacted.value(target.url))
    if (address instanceof DatabaseConnectFailed) return Layer.fail(address)
    // int8 (counts, bigserial) as numbers, as PGlite returns them, so both backends give equal rows;
    // values beyond 2^53 (the cluster's 64-bit message ids) stay exact strings.
    const int8 = (v: string) => (Number.isSafeInteger(Number(v)) ? Number(v) : v)
    const pgLayer = Layer.unwrapEffect(Effect.map(applicationName, (name) => PgClient.layer({
      url: target.url,
      applicationName: name,
      // A server that does not answer a connection attempt (a partition) fails it, to be retried.
      connectTimeout: Duration.seconds(10),
      types: {
        getTypeParser: ((oid: number, format?: "text" | "binary") =>
          oid === 20 && format !== "binary" ? int8 : pg.types.getTypeParser(oid, format as "text")) as never
      }
    }))).pipe(Layer.catchAll((error) => Layer.fail(connectFailed(address, error))))
    // Every statement of the program (repositories, migrations, the cluster's message storage) waits out an outage.
    return Layer.effect(
      SqlClient.SqlClient,
      Effect.flatMap(Effect.all([SqlClient.SqlClient, DatabaseOutage]), ([inner, outage]) => Outage.resilient(inner, outage))
    ).pipe(Layer.provide(Layer.mergeAll(pgLayer, Reactivity.layer)))
  }
  if (target.dataDir !== undefined) NodeFs.mkdirSync(target.dataDir, { recursive: true })
  const dataDir = target.dataDir
  return Layer.unwrapEffect(
    Effect.all([DatabaseOutage, stallLimit]).pipe(
      Effect.map(([outage, limit]) =>
        PgliteClient.layer({
          dataDir,
          onBroken: outage.broken,
          // An in-memory database has no storage to fail; 0 turns the watchdog off.
          stallLimit: dataDir === undefined || Duration.toMillis(limit) === 0 ? undefined : limit
        })
      )
    )
  )
}

/**
 * One SqlClient for the whole program, migrated at start-up, and the view of its outages. On
 * Postgres the migration holds the schema lock: processes started at once on an empty database (a
 * cluster's runners) migrate one after the other, not racing on `CREATE TABLE effect_sql_migrations`.
 */
export const layer = (target: DatabaseTarget): Layer.Layer<SqlClient.SqlClient | DatabaseOutage, unknown> =>
  Layer.effectDiscard(target._tag === "Postgres" ? withSchemaLock(migrate) : migrate).pipe(Layer.provideMerge(clientLayer(target)), Layer.provideMerge(DatabaseOutage.Default))

export const layerFromConfig: Layer.Layer<SqlClient.SqlClient | DatabaseOutage, unknown> = Layer.unwrapEffect(
  Effect.map(targetFromConfig, layer)
)

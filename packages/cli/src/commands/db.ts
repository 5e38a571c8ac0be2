import { Args, Command, Options } from "@effect/cli"
import * as SqlClient from "@effect/sql/SqlClient"
import { Database } from "@o1coder/store"
import { Console, Effect } from "effect"
import { DatabaseLive } from "../Layers.ts"
import { output, printTable } from "../Output.ts"

const json = Options.boolean("json").pipe(Options.withDescription("Print rows as JSON instead of a table."))

const migrate = Command.make("migrate", {}, () =>
  Effect.gen(function* () {
    const target = yield* Database.targetFromConfig
    const sql = yield* SqlClient.SqlClient
    const rows = yield* sql<{ id: number; name: string }>`select migration_id::int as id, name from effect_sql_migrations order by migration_id`
    yield* Console.log(`database: ${Database.describeTarget(target)}`)
    yield* Console.log(`schema up to date: ${rows.map((r) => `${String(r.id).padStart(4, "0")}_${r.name}`).join(", ")}`)
  }).pipe(Effect.provide(DatabaseLive))
).pipe(
  Command.withDescription(
    "Apply the SQL migrations in migrations/ (every command also does this at start-up).\n" +
      "Example: o1coder db migrate --database-url postgres://localhost/o1coder"
  )
)

export const db = Command.make("db").pipe(
  Command.withDescription("Database administration."),
  Command.withSubcommands([migrate])
)

const query = Args.text({ name: "QUERY" }).pipe(Args.withDescription("A SELECT (or WITH ...) statement."))

export const sql = Command.make("sql", { query, json }, ({ json, query }) =>
  Effect.gen(function* () {
    const client = yield* SqlClient.SqlClient
    // A READ ONLY transaction: the store cannot be changed from here, whatever the text says.
    const rows = yield* client.withTransaction(
      Effect.zipRight(client.unsafe("SET TRANSACTION READ ONLY").raw, client.unsafe<Record<string, unknown>>(query, []))
    )
    yield* output(json, rows, printTable(rows))
  }).pipe(Effect.provide(DatabaseLive))
).pipe(
  Command.withDescription(
    "Run a read-only SQL query against the store and print an aligned table (or --json rows).\n" +
      "Tables: problems, test_suites, test_cases, model_versions, model_calls, searches, nodes, executions,\n" +
      "execution_log, datasets, training_jobs, evaluations, runs, rounds. Views: step_values, search_cost,\n" +
      "aspr_by_search, round_metrics, model_cost, suite_stats, suite_quality.\n" +
      "Example: o1coder sql \"select dataset, split, count(*) from problems group by 1, 2\""
  )
)

export const commands = [db, sql] as const

import { Args, Command, Options } from "@effect/cli"
import * as SqlClient from "@effect/sql/SqlClient"
import { Database } from "@o1coder/store"
import { readOnlyQuery } from "@o1coder/store/ReadOnlyQuery"
import { Console, Effect } from "effect"
import { provide } from "../Layers.ts"
import { output, printTable } from "../Output.ts"

const json = Options.boolean("json").pipe(Options.withDescription("Print rows as JSON instead of a table."))

const migrate = Command.make("migrate", {}, () =>
  Effect.gen(function* () {
    const target = yield* Database.targetFromConfig
    const sql = yield* SqlClient.SqlClient
    const rows = yield* sql<{ id: number; name: string }>`select migration_id::int as id, name from effect_sql_migrations order by migration_id`
    yield* Console.log(`database: ${Database.describeTarget(target)}`)
    yield* Console.log(`schema up to date: ${rows.map((r) => `${String(r.id).padStart(4, "0")}_${r.name}`).join(", ")}`)
  }).pipe(provide("store"))
).pipe(
  Command.withDescription(
    "Apply the SQL migrations in migrations/ and list them\n" +
      "Every command also migrates at start-up; this one only reports the schema. With --database-url it works on a\n" +
      "Postgres database instead of the embedded store.\n\n" +
      "Example:\n" +
      "  o1coder db migrate"
  )
)

export const db = Command.make("db").pipe(
  Command.withDescription("Database administration: migrations"),
  Command.withSubcommands([migrate])
)

const query = Args.text({ name: "QUERY" }).pipe(Args.withDescription("A SELECT (or WITH ...) statement."))

export const sql = Command.make("sql", { query, json }, ({ json, query }) =>
  Effect.gen(function* () {
    const result = yield* readOnlyQuery(query)
    yield* output(json, result.rows, printTable(result.rows, result.columns))
  }).pipe(provide("store"))
).pipe(
  Command.withDescription(
    "Run a read-only SQL query on the store\n" +
      "Prints an aligned table (or --json rows). The query runs in a READ ONLY transaction: nothing can change.\n\n" +
      "Tables: problems, test_suites, test_cases, model_versions, model_calls, searches, nodes, executions,\n" +
      "execution_log, datasets, training_jobs, evaluations, runs, rounds. Views: step_values, search_cost,\n" +
      "aspr_by_search, round_metrics, model_cost, suite_stats, suite_quality, rl_cost.\n\n" +
      "Examples:\n" +
      '  o1coder sql "select dataset, split, count(*) from problems group by 1, 2"\n' +
      '  o1coder sql "select round, aspr, pass_at_1 from round_metrics" --json'
  )
)

export const commands = [db, sql] as const

import { Command, Options } from "@effect/cli"
import * as SqlClient from "@effect/sql/SqlClient"
import { parseAddress, type ClusterOptions } from "@o1coder/selfplay/ClusterEngine"
import { Config, Console, Effect, Option, Schema } from "effect"
import { DatabaseOutage } from "@o1coder/store/Outage"
import { ExitCode, markStoppedCleanly } from "../ExitCodes.ts"
import { provide, provideWith, withSettings } from "../Layers.ts"
import { output, printTable } from "../Output.ts"

const json = Options.boolean("json").pipe(Options.withDescription("Print JSON instead of a table."))

export const listenOption = (fallback: string) =>
  Options.text("listen").pipe(
    Options.withDefault(fallback),
    Options.withDescription("HOST:PORT this process accepts the other runners' connections on.")
  )

export const advertiseOption = Options.text("advertise").pipe(
  Options.optional,
  Options.withDescription("HOST:PORT the other runners dial to reach this one (default: the listen address).")
)

class NeedsPostgres extends Schema.TaggedError<NeedsPostgres>()("NeedsPostgres", {}) {
  override get message() {
    return "a cluster needs one Postgres shared by every runner: pass --database-url URL (or set DATABASE_URL)"
  }
}

/** The cluster settings of a command line: addresses parsed, and the store on Postgres. */
export const clusterOptions = (role: ClusterOptions["role"], listen: string, advertise: Option.Option<string>) =>
  Effect.gen(function* () {
    const url = yield* Config.string("DATABASE_URL").pipe(Config.withDefault(""))
    if (url === "") return yield* new NeedsPostgres()
    const listenAt = yield* parseAddress(listen)
    const advertiseAt = Option.isSome(advertise) ? yield* parseAddress(advertise.value) : listenAt
    return { role, listen: listenAt, advertise: advertiseAt } satisfies ClusterOptions
  })

export const runner = Command.make("runner", { listen: listenOption("127.0.0.1:34431"), advertise: advertiseOption }, ({ advertise, listen }) =>
  Effect.gen(function* () {
    const cluster = yield* clusterOptions("runner", listen, advertise)
    const name = `${cluster.advertise.host}:${cluster.advertise.port}`
    yield* Effect.gen(function* () {
      const outage = yield* DatabaseOutage
      yield* Console.log(`runner ${name} joined the cluster (listening on ${cluster.listen.host}:${cluster.listen.port}); SIGTERM stops it`)
      // A runner serves until SIGTERM, or until the database has been unreachable past
      // O1CODER_DB_OUTAGE_LIMIT: then it stops (exit 75) rather than holding shards it cannot renew.
      // A statement every second measures an outage even while the cluster itself has none under way.
      const sql = yield* SqlClient.SqlClient
      const probe = Effect.forever(Effect.zipRight(Effect.ignore(sql`select 1`), Effect.sleep("1 second")))
      const lost = yield* Effect.flip(Effect.raceFirst(outage.lost, probe))
      yield* Console.error(
        `runner ${name} stopped: ${lost.message}; its shards go to the other runners as its sessions end; start it again once the database answers`
      )
      // Handing shards back needs the database: the process ends within 10 s whatever the cluster's shutdown still waits for.
      yield* Effect.sync(() => setTimeout(() => process.exit(ExitCode.databaseUnavailable), 10_000).unref())
      return yield* lost
    }).pipe(
      provideWith((graph) => graph.runner(cluster)),
      Effect.onInterrupt(() => Effect.zipRight(Console.error(`runner ${name} stopped: its shards went back to the cluster`), Effect.sync(markStoppedCleanly))),
      // Its sessions in pg_stat_activity (and the advisory locks of its shards in pg_locks) say which runner they are.
      withSettings(new Map([["O1CODER_DB_APPLICATION_NAME", `o1coder runner ${name}`]]))
    )
  })
).pipe(
  Command.withDescription(
    "Join the self-play cluster as a runner\n" +
      "A long-lived process hosting its share of the searches of `o1coder run --cluster`, through the shared Postgres\n" +
      "(runners, shard locks and messages in cluster_* tables) with its own sandbox pool. SIGTERM hands its shards\n" +
      "back and exits 0; a database unreachable past O1CODER_DB_OUTAGE_LIMIT stops it with exit code 75.\n\n" +
      "Example:\n" +
      "  o1coder runner --listen 0.0.0.0:34431 --advertise node7:34431"
  )
)

const RunnerRow = Schema.Struct({
  address: Schema.String,
  runner: Schema.String,
  healthy: Schema.Boolean,
  heartbeatAgeSeconds: Schema.NumberFromString
})

const groupsOf = (encoded: string) => {
  try {
    const groups = (JSON.parse(encoded) as { groups?: ReadonlyArray<string> }).groups
    return Array.isArray(groups) ? groups.join(",") : ""
  } catch {
    return ""
  }
}

export const runners = Command.make("runners", { json }, ({ json }) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const exists = yield* sql<{ t: string | null }>`select to_regclass('cluster_runners')::text as t`
    if (exists[0]?.t == null) return yield* Console.log("no runners registered: start one with `o1coder runner --database-url URL`")
    const rows = yield* sql.unsafe<Record<string, unknown>>(
      `select address, runner, healthy, extract(epoch from (now() - last_heartbeat))::float8::text as "heartbeatAgeSeconds" from cluster_runners order by address`
    ).pipe(Effect.flatMap(Schema.decodeUnknown(Schema.Array(RunnerRow))))
    const done = yield* sql<{ runner: string; searches: number }>`select runner, count(*)::int as searches from searches where runner is not null group by runner`
    const shown = rows.map((r) => ({
      address: r.address,
      groups: groupsOf(r.runner),
      health: r.healthy && r.heartbeatAgeSeconds < 30 ? "healthy" : r.healthy ? `no heartbeat for ${Math.round(r.heartbeatAgeSeconds)}s` : "unhealthy",
      heartbeat_age_s: Math.round(r.heartbeatAgeSeconds * 10) / 10,
      searches: done.find((d) => d.runner === r.address)?.searches ?? 0
    }))
    yield* output(json, shown, printTable(shown, ["address", "groups", "health", "heartbeat_age_s", "searches"]))
  }).pipe(provide("store"))
).pipe(
  Command.withDescription(
    "List the cluster's registered runners and their health\n" +
      "From cluster_runners in the store: address, shard groups (default: run workflows; search: searches), heartbeat\n" +
      "age, and how many searches each holds or finished (--database-url for the cluster's Postgres).\n\nExample:\n  o1coder runners"
  )
)

export const commands = [runner, runners] as const

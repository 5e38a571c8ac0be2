import { ClusterWorkflowEngine, RunnerAddress, ShardingConfig, SqlMessageStorage, SqlRunnerStorage } from "@effect/cluster"
import * as NodeClusterSocket from "@effect/platform-node/NodeClusterSocket"
import { withSchemaLock } from "@o1coder/store/SchemaLock"
import type * as SqlClient from "@effect/sql/SqlClient"
import type { WorkflowEngine } from "@effect/workflow"
import { Effect, Layer, Option, Schema } from "effect"
import { SEARCH_GROUP } from "./ClusterSearch.ts"

/** `HOST:PORT` of a runner (what it listens on, or what the others dial). */
export const HostPort = Schema.TemplateLiteralParser(Schema.String, ":", Schema.NumberFromString.pipe(Schema.int(), Schema.between(1, 65535)))

export class BadAddress extends Schema.TaggedError<BadAddress>()("BadAddress", { input: Schema.String, reason: Schema.String }) {
  override get message() {
    return `not a HOST:PORT address: ${this.input} (${this.reason})`
  }
}

export const parseAddress = (input: string) =>
  Schema.decodeUnknown(HostPort)(input).pipe(
    Effect.map(([host, , port]) => RunnerAddress.make(host, port)),
    Effect.mapError((e) => new BadAddress({ input, reason: e.message.split("\n")[0] ?? "invalid" }))
  )

export interface ClusterOptions {
  /** Where this process accepts the other runners' connections. */
  readonly listen: RunnerAddress.RunnerAddress
  /** The address the other runners dial (registered in `cluster_runners`); the listen address by default. */
  readonly advertise: RunnerAddress.RunnerAddress
  /** `coordinator` owns the run workflows (the `run --cluster` process); `runner` owns the searches. */
  readonly role: "coordinator" | "runner"
}

/**
 * The durable engine on a multi-runner cluster: runners and shard locks in SQL (`cluster_runners`,
 * `cluster_locks`), messages in SQL (`cluster_messages`, `cluster_replies`), runners talking over
 * sockets. The run workflows (group `default`) stay with the process that started the run; the
 * searches (group `search`) are spread over the runners by their shards.
 */
export const clusterEngine = (
  options: ClusterOptions
): Layer.Layer<WorkflowEngine.WorkflowEngine | ShardingConfig.ShardingConfig, unknown, SqlClient.SqlClient> => {
  const shardingConfig = shardingConfigOf(options)
  return ClusterWorkflowEngine.layer.pipe(
    Layer.provideMerge(NodeClusterSocket.layer({ storage: "byo", shardingConfig })),
    Layer.provideMerge(sqlStorage),
    // The runner's own settings (the storage's, and for the searches to record where they ran).
    Layer.provideMerge(ShardingConfig.layerFromEnv(shardingConfig))
  )
}

/**
 * The cluster's SQL message and runner storage, built with the schema lock held: building them
 * creates the `cluster_*` tables, which runners started at the same instant on an empty database
 * would otherwise race to create. The storage lives in the layer's scope; the lock only while it is built.
 */
const sqlStorage = Layer.scopedContext(
  Effect.flatMap(Effect.scope, (scope) =>
    withSchemaLock(Layer.buildWithScope(Layer.mergeAll(Layer.orDie(SqlMessageStorage.layer), SqlRunnerStorage.layer), scope))
  )
)

const shardingConfigOf = (options: ClusterOptions): Partial<ShardingConfig.ShardingConfig["Type"]> => ({
  runnerAddress: Option.some(options.advertise),
  runnerListenAddress: Option.some(options.listen),
  availableShardGroups: ["default", SEARCH_GROUP],
  assignedShardGroups: options.role === "coordinator" ? ["default"] : [SEARCH_GROUP],
  // The same on every process of a cluster.
  shardsPerGroup: 12,
  entityMessagePollInterval: "500 millis",
  entityReplyPollInterval: "500 millis",
  refreshAssignmentsInterval: "1 second",
  runnerHealthCheckInterval: "2 seconds",
  // A runner that dies without releasing its shards loses them within seconds.
  shardLockRefreshInterval: "2 seconds",
  shardLockExpiration: "8 seconds",
  entityMaxIdleTime: "10 minutes",
  entityTerminationTimeout: "5 seconds"
})

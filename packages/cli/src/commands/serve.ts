import { Command, Options } from "@effect/cli"
import { HttpServer } from "@effect/platform"
import { makeHttpPrm, ProcessReward } from "@o1coder/reward"
import { Server, Settings } from "@o1coder/serve"
import { Database } from "@o1coder/store"
import { Cause, ConfigProvider, Console, Context, Effect, Exit, Layer, Option } from "effect"
import { markStoppedCleanly } from "../ExitCodes.ts"
import { provide } from "../Layers.ts"

const host = Options.text("host").pipe(
  Options.withDefault(Settings.DEFAULT_HOST),
  Options.withDescription("Address to listen on. Off loopback a bearer token is required (--token-file or O1CODER_SERVE_TOKEN).")
)
const port = Options.integer("port").pipe(Options.withDefault(Settings.DEFAULT_PORT), Options.withDescription("Port (0: any free port)."))
const workers = Options.integer("workers").pipe(Options.optional, Options.withDescription("Warm sandbox workers (default: one per core, or O1CODER_SANDBOX_WORKERS)."))
const tokenFile = Options.file("token-file").pipe(
  Options.optional,
  Options.withDescription("A file whose first line is the bearer token clients must send (else O1CODER_SERVE_TOKEN, if set).")
)
const queue = Options.integer("queue").pipe(
  Options.optional,
  Options.withDescription("Completions admitted at once, running or waiting (default 4096, O1CODER_SERVE_QUEUE); beyond it 429.")
)
const prmUrl = Options.text("prm-url").pipe(
  Options.optional,
  Options.withDescription("A served PRM (vLLM /pooling, e.g. Qwen2.5-Math-PRM): step-format completions get its step rewards and φ.")
)
const prmModel = Options.text("prm-model").pipe(Options.withDefault("Qwen/Qwen2.5-Math-PRM-7B"), Options.withDescription("The PRM's model name on that server."))
const maxBatch = Options.integer("max-batch").pipe(Options.optional, Options.withDescription("Completions per request at most (default 1024)."))

/** `--workers` as the sandbox's own setting, over the environment's. */
const withWorkers = (workers: Option.Option<number>) => <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Option.isNone(workers)
    ? effect
    : Effect.configProviderWith((outer) =>
        Effect.withConfigProvider(effect, ConfigProvider.fromMap(new Map([["O1CODER_SANDBOX_WORKERS", String(workers.value)]])).pipe(ConfigProvider.orElse(() => outer)))
      )

export const serve = Command.make("serve", { host, port, workers, tokenFile, queue, maxBatch, prmUrl, prmModel }, (o) =>
  Effect.gen(function* () {
    const limits = yield* Settings.limitsFromConfig
    const settings = yield* Settings.checked({
      ...Settings.defaults,
      ...limits,
      host: o.host,
      port: o.port,
      token: yield* Settings.tokenFrom(o.tokenFile),
      ...(Option.isSome(o.queue) ? { queueCapacity: o.queue.value } : {}),
      ...(Option.isSome(o.maxBatch) ? { maxBatch: o.maxBatch.value } : {})
    })
    const target = yield* Database.targetFromConfig
    return yield* Effect.gen(function* () {
      const prm = Option.isSome(o.prmUrl) ? Layer.succeed(ProcessReward, makeHttpPrm({ baseUrl: o.prmUrl.value, model: o.prmModel })) : Layer.empty
      const context = yield* Layer.build(Server.layer(settings).pipe(Layer.provide(prm)))
      const url = Server.urlOf(Context.get(context, HttpServer.HttpServer).address)
      yield* Console.log(`o1coder serve: ${url} (POST /v1/reward, /run_code, /get_reward; GET /ready, /metrics)`)
      yield* Console.log(
        `store: ${Database.describeTarget(target)}; ${Option.isSome(settings.token) ? "bearer token required" : "no token (loopback)"}; Ctrl-C or SIGTERM drains and stops it (exit 0).`
      )
      return yield* Effect.never
    }).pipe(
      Effect.scoped,
      provide("serve"),
      withWorkers(o.workers),
      // SIGTERM/Ctrl-C: the scope closed above has answered every request in flight and closed the
      // sandbox and the store; a service stopped that way exits 0.
      Effect.onExit((exit) => (Exit.isFailure(exit) && Cause.isInterruptedOnly(exit.cause) ? Effect.sync(markStoppedCleanly) : Effect.void))
    )
  })
).pipe(
  Command.withDescription(
    "Serve execution rewards to RL trainers (verl, OpenRLHF)\n" +
      "POST /v1/reward scores a batch of completions against stored problems' generated suites (or inline problems)\n" +
      "through the sandbox and the execution cache; /run_code speaks SandboxFusion (verl's sandbox_fusion reward),\n" +
      "/get_reward OpenRLHF's --remote_rm_url. Every execution is logged with purpose rl (view rl_cost).\n\n" +
      "Example:\n" +
      "  o1coder serve --port 8750 --workers 8"
  )
)

export const commands = [serve] as const

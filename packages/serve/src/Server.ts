import { HttpApiBuilder, HttpServer, type HttpServerError } from "@effect/platform"
import { NodeHttpServer } from "@effect/platform-node"
import type { Reward } from "@o1coder/reward"
import type { Sandbox } from "@o1coder/sandbox"
import type { ProblemsRepo } from "@o1coder/store/ProblemsRepo"
import type { SuitesRepo } from "@o1coder/store/SuitesRepo"
import { Context, Effect, Layer, Ref } from "effect"
import { createServer } from "node:http"
import { gate } from "./Gate.ts"
import { apiLayer } from "./Handlers.ts"
import { RewardScorer } from "./Scorer.ts"
import { ServeState } from "./ServeState.ts"
import { type ServeSettings, ServeSettingsTag } from "./Settings.ts"

/**
 * The reward service's HTTP server over node:http, for as long as the layer's scope lasts. When the
 * scope closes, /ready answers 503 first, then the server stops taking connections and waits for
 * the requests in flight to be answered; the sandbox and the store (provided underneath by the
 * composition root) close after it. Needs the Sandbox (the execution cache over the warm pool),
 * the problem and suite repositories and the Reward.
 */
export const layer = (
  settings: ServeSettings
): Layer.Layer<HttpServer.HttpServer, HttpServerError.ServeError, Sandbox | ProblemsRepo | SuitesRepo | Reward> => {
  const state = Layer.merge(ServeState.Default, RewardScorer.Default).pipe(Layer.provideMerge(Layer.succeed(ServeSettingsTag, settings)))
  const server = HttpApiBuilder.serve(gate(settings)).pipe(
    Layer.provide(apiLayer),
    Layer.provideMerge(NodeHttpServer.layer(() => createServer({ keepAliveTimeout: 5_000 }), { host: settings.host, port: settings.port }))
  )
  // Finalizers run in reverse: this one (added last) flips readiness before the server closes.
  const drain = Layer.scopedDiscard(
    Effect.flatMap(ServeState, (s) => Effect.addFinalizer(() => Ref.set(s.draining, true).pipe(Effect.zipRight(Effect.logInfo("o1coder serve: draining")))))
  )
  return Layer.provideMerge(Layer.merge(server, drain), state)
}

/** The address a client uses for a server bound to `address`. */
export const urlOf = (address: HttpServer.Address): string =>
  address._tag === "TcpAddress"
    ? `http://${address.hostname.includes(":") ? `[${address.hostname}]` : address.hostname === "0.0.0.0" ? "127.0.0.1" : address.hostname}:${address.port}`
    : `unix:${address.path}`

/** Starts the server in the current scope and returns its URL. */
export const start = (settings: ServeSettings) =>
  Layer.build(layer(settings)).pipe(Effect.map((context) => urlOf(Context.get(context, HttpServer.HttpServer).address)))

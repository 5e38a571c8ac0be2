import { HttpApiBuilder, HttpServer, type HttpServerError } from "@effect/platform"
import { NodeHttpServer } from "@effect/platform-node"
import { Context, Duration, Effect, Layer } from "effect"
import { createServer } from "node:http"
import { apiLayer } from "./Handlers.ts"
import type { AssetsError } from "./Assets.ts"
import * as Pages from "./Pages.ts"
import type { Views } from "./Views.ts"

export { DEFAULT_HOST, DEFAULT_PORT } from "./Address.ts"

export interface UiServerOptions {
  readonly host: string
  /** 0 picks a free port. */
  readonly port: number
  /** The store the UI reads, as /api/health reports it (see `storeLabel`). */
  readonly store: string
  /** How often live pages look for changes (default 1 second). */
  readonly refresh?: Duration.DurationInput | undefined
}

/**
 * The UI's HTTP server: the JSON API, the page and its assets, the live-update streams, on
 * @effect/platform's HttpServer over node:http, for as long as the layer's scope lasts. Needs the
 * Views service (the repositories of the composition root's store).
 */
export const layer = (options: UiServerOptions): Layer.Layer<HttpServer.HttpServer, HttpServerError.ServeError | AssetsError, Views> =>
  HttpApiBuilder.serve().pipe(
    Layer.provide(apiLayer(options.store)),
    Layer.provide(Pages.layer({ refresh: options.refresh ?? Duration.seconds(1) })),
    Layer.provideMerge(NodeHttpServer.layer(createServer, { host: options.host, port: options.port }))
  )

/** The address a browser opens for a server bound to `address`. */
export const urlOf = (address: HttpServer.Address): string =>
  address._tag === "TcpAddress"
    ? `http://${address.hostname.includes(":") ? `[${address.hostname}]` : address.hostname === "0.0.0.0" ? "127.0.0.1" : address.hostname}:${address.port}`
    : `unix:${address.path}`

/** Starts the server in the current scope and returns its URL (stopped when the scope closes). */
export const start = (options: UiServerOptions) =>
  Layer.build(layer(options)).pipe(Effect.map((context) => urlOf(Context.get(context, HttpServer.HttpServer).address)))

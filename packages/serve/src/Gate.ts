import { HttpApp, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import * as HttpIncomingMessage from "@effect/platform/HttpIncomingMessage"
import { Effect, Exit, Option, Redacted } from "effect"
import { randomUUID, timingSafeEqual } from "node:crypto"
import { ServeState } from "./ServeState.ts"
import { type ServeSettings } from "./Settings.ts"

/** Routes open without a token: a load balancer's probes. */
const OPEN = new Set(["/health", "/ready"])
const ROUTES = new Set(["/v1/reward", "/run_code", "/get_reward", "/health", "/ready", "/metrics"])

const sameToken = (given: string, token: Redacted.Redacted<string>) => {
  const a = Buffer.from(given)
  const b = Buffer.from(Redacted.value(token))
  return a.length === b.length && timingSafeEqual(a, b)
}

const refusal = (status: number, body: Record<string, unknown>, headers: Record<string, string> = {}) =>
  HttpServerResponse.unsafeJson(body, { status, headers })

/**
 * What every request passes through before and after the API: a request id (the caller's
 * `x-request-id` or a new one) on its log lines and its response; the bearer token when one is
 * set (/health and /ready stay open); the body limit (413 before the body is read); `Retry-After`
 * on 429; a log line and the request metrics for each answer.
 */
export const gate = (settings: ServeSettings) => (app: HttpApp.Default): HttpApp.Default<never, ServeState> =>
  Effect.gen(function* () {
    const request = yield* HttpServerRequest.HttpServerRequest
    const { metrics } = yield* ServeState
    const started = performance.now()
    const path = request.url.split("?")[0]!
    const route = ROUTES.has(path) ? path : "other"
    const given = request.headers["x-request-id"]
    const requestId = given !== undefined && /^[\w.:-]{1,100}$/.test(given) ? given : randomUUID()

    const answer: Effect.Effect<HttpServerResponse.HttpServerResponse, never, HttpServerRequest.HttpServerRequest> = Effect.suspend(() => {
      if (Option.isSome(settings.token) && !OPEN.has(path)) {
        const auth = request.headers["authorization"] ?? ""
        const bearer = auth.match(/^Bearer\s+(.+)$/i)?.[1]?.trim()
        if (bearer === undefined || !sameToken(bearer, settings.token.value)) {
          return Effect.succeed(
            refusal(
              401,
              { _tag: "Unauthorized", field: "authorization", message: bearer === undefined ? "missing bearer token (Authorization: Bearer <token>)" : "wrong bearer token" },
              { "www-authenticate": "Bearer" }
            )
          )
        }
      }
      const length = Number(request.headers["content-length"] ?? "0")
      if (Number.isFinite(length) && length > settings.maxBodyBytes) {
        return Effect.succeed(
          refusal(413, {
            _tag: "PayloadTooLarge",
            field: "body",
            message: `the request body of ${length} bytes exceeds the limit of ${settings.maxBodyBytes} bytes (O1CODER_SERVE_MAX_BODY_BYTES); send smaller batches`
          })
        )
      }
      if (request.method !== "POST") return app
      // The body is read here (the request keeps it for the API) so that a body that is not JSON is
      // a 400 naming it, and one past the limit without a Content-Length (chunked) a 413.
      return HttpIncomingMessage.withMaxBodySize(request.text, Option.some(settings.maxBodyBytes)).pipe(
        Effect.map((text) => {
          try {
            JSON.parse(text)
            return undefined
          } catch (e) {
            return refusal(400, { _tag: "BadRequest", field: "body", message: `the request body is not valid JSON: ${e instanceof Error ? e.message : String(e)}`.slice(0, 300) })
          }
        }),
        Effect.catchAll(() =>
          Effect.succeed(refusal(413, { _tag: "PayloadTooLarge", field: "body", message: `the request body exceeds the limit of ${settings.maxBodyBytes} bytes (O1CODER_SERVE_MAX_BODY_BYTES)` }))
        ),
        Effect.flatMap((refused) => (refused !== undefined ? Effect.succeed(refused) : app))
      )
    })

    // Headers go on in a pre-response handler: the response is written before this middleware resumes.
    yield* HttpApp.appendPreResponseHandler((_, response) =>
      Effect.succeed(
        HttpServerResponse.setHeaders(response, {
          "x-request-id": requestId,
          ...(response.status === 429 ? { "retry-after": String(settings.retryAfterSeconds) } : {})
        })
      )
    )
    const exit = yield* Effect.exit(Effect.annotateLogs(answer, "request_id", requestId))
    const response = Exit.isSuccess(exit) ? exit.value : refusal(500, { _tag: "InternalError", message: "internal error" })
    const seconds = (performance.now() - started) / 1000
    yield* metrics.request(route, response.status, seconds)
    const log = response.status >= 500 ? Effect.logWarning : Effect.logInfo
    yield* log(`${request.method} ${path} ${response.status} ${(seconds * 1000).toFixed(0)} ms`).pipe(Effect.annotateLogs("request_id", requestId))
    return response
  })

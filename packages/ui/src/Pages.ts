import { HttpApiBuilder, HttpRouter, HttpServerResponse } from "@effect/platform"
import { NotFound } from "@o1coder/domain"
import { type Duration, Effect, Schedule, Stream } from "effect"
import * as Assets from "./Assets.ts"
import { Views } from "./Views.ts"

export interface PagesOptions {
  /** How often a live page's stream looks for changes. */
  readonly refresh: Duration.DurationInput
}

const KEEP_ALIVE = ": keep-alive\n\n"

/** A mark's change as one server-sent event; `end` when the run or search is no longer going. */
const sse = (event: string, data: unknown) => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`

const notFoundJson = (e: NotFound) =>
  HttpServerResponse.unsafeJson({ _tag: "NotFound", what: e.what, id: e.id, message: e.message }, { status: 404 })

/**
 * Everything that is not the JSON API: the page (for every route of the app, 404 when the id in
 * the address does not exist), its script and stylesheet, and the live-update streams.
 */
export const layer = (options: PagesOptions) =>
  HttpApiBuilder.Router.use((router) =>
    Effect.gen(function* () {
      const assets = yield* Assets.load
      const views = yield* Views

      const page = (status: number) => HttpServerResponse.html(assets.html).pipe(HttpServerResponse.setStatus(status))
      const shell = (exists: Effect.Effect<boolean, unknown>) =>
        exists.pipe(
          Effect.orElseSucceed(() => false),
          Effect.map((found) => page(found ? 200 : 404))
        )
      const param = (name: string) => Effect.map(HttpRouter.params, (p) => p[name] ?? "")

      /**
       * Polls `mark` and sends `change` whenever it differs, then `end` once the subject stops
       * being live (a finished run sends its final state and closes).
       */
      const stream = <E>(mark: Effect.Effect<{ readonly live: boolean; readonly mark: string }, E>) =>
        Stream.repeatEffectWithSchedule(mark, Schedule.spaced(options.refresh)).pipe(
          Stream.changesWith((a, b) => a.mark === b.mark && a.live === b.live),
          Stream.takeUntil((m) => !m.live),
          Stream.map((m) => sse(m.live ? "change" : "end", { live: m.live })),
          Stream.merge(Stream.fromSchedule(Schedule.spaced("15 seconds")).pipe(Stream.as(KEEP_ALIVE)), { haltStrategy: "left" }),
          Stream.catchAll(() => Stream.make(sse("end", { live: false, error: true }))),
          Stream.encodeText
        )
      /** The stream of a run or search; a 404 when it does not exist. */
      const events = <E>(mark: Effect.Effect<{ readonly live: boolean; readonly mark: string }, NotFound | E>) =>
        mark.pipe(
          Effect.map(() =>
            HttpServerResponse.stream(stream(mark), {
              contentType: "text/event-stream",
              headers: { "cache-control": "no-cache", "x-accel-buffering": "no" }
            })
          ),
          Effect.catchIf(
            (e): e is NotFound => e instanceof NotFound,
            (e) => Effect.succeed(notFoundJson(e))
          ),
          Effect.orDie
        )

      yield* router.get("/assets/app.js", Effect.succeed(HttpServerResponse.text(assets.js, { contentType: "text/javascript; charset=utf-8" })))
      yield* router.get("/assets/style.css", Effect.succeed(HttpServerResponse.text(assets.css, { contentType: "text/css; charset=utf-8" })))
      yield* router.get("/favicon.ico", Effect.succeed(HttpServerResponse.empty({ status: 204 })))

      yield* router.get(
        "/api/runs/:runId/events",
        Effect.flatMap(param("runId"), (id) => events(views.runMark(id)))
      )
      yield* router.get(
        "/api/searches/:searchId/events",
        Effect.flatMap(param("searchId"), (id) => events(views.treeMark(id)))
      )
      yield* router.get("/api/*", Effect.succeed(notFoundJson(new NotFound({ what: "API route", id: "" }))))

      for (const path of ["/", "/runs", "/searches", "/problems"] as const) yield* router.get(path, Effect.succeed(page(200)))
      yield* router.get("/runs/:runId", Effect.flatMap(param("runId"), (id) => shell(views.exists.run(id))))
      yield* router.get("/searches/:searchId", Effect.flatMap(param("searchId"), (id) => shell(views.exists.search(id))))
      yield* router.get("/problems/*", Effect.flatMap(param("*"), (id) => shell(views.exists.problem(decodeURIComponent(id)))))
      yield* router.get("*", Effect.succeed(page(404)))
    })
  )

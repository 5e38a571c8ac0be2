import { HttpApiBuilder } from "@effect/platform"
import type { NotFound } from "@o1coder/domain"
import { Effect, Layer } from "effect"
import { Health, UiApi } from "./Api.ts"
import { Views } from "./Views.ts"

/**
 * A handler fails only with NotFound (a 404 with `{ _tag, what, id }`); any other failure is a
 * store fault: logged here with its cause and answered with an empty 500, never a stack trace.
 */
const served = <A, E extends { readonly _tag: string }>(effect: Effect.Effect<A, E>) =>
  Effect.catchIf(
    effect,
    (e): e is Exclude<E, NotFound> => e._tag !== "NotFound",
    (e) => Effect.logError("o1coder ui: store read failed", e).pipe(Effect.zipRight(Effect.die(e)))
  )

const RunsLive = HttpApiBuilder.group(UiApi, "runs", (handlers) =>
  Effect.map(Views, (views) =>
    handlers.handle("list", () => served(views.runList)).handle("get", ({ path }) => served(views.run(path.runId)))
  )
)

const SearchesLive = HttpApiBuilder.group(UiApi, "searches", (handlers) =>
  Effect.map(Views, (views) =>
    handlers
      .handle("list", ({ urlParams }) => served(views.searchList({ runId: urlParams.run, problemId: urlParams.problem })))
      .handle("tree", ({ path }) => served(views.tree(path.searchId)))
      .handle("node", ({ path }) => served(views.node(path.searchId, path.nodeId)))
  )
)

const ProblemsLive = HttpApiBuilder.group(UiApi, "problems", (handlers) =>
  Effect.map(Views, (views) =>
    handlers
      .handle("list", ({ urlParams }) => served(views.problemList(urlParams)))
      .handle("get", ({ path }) => served(views.problem(path.problemId)))
  )
)

const systemLive = (store: string) =>
  HttpApiBuilder.group(UiApi, "system", (handlers) =>
    handlers.handle("health", () => Effect.succeed(new Health({ service: "o1coder-ui", store })))
  )

/** The JSON API over the Views service; `store` names the store in /api/health. */
export const apiLayer = (store: string) =>
  HttpApiBuilder.api(UiApi).pipe(Layer.provide([RunsLive, SearchesLive, ProblemsLive, systemLive(store)]))

import { FetchHttpClient, HttpApiClient, HttpServer } from "@effect/platform"
import { expect, layer } from "@effect/vitest"
import type * as SqlClient from "@effect/sql/SqlClient"
import { RunsRepo } from "@o1coder/store/RunsRepo"
import * as TestDatabase from "@o1coder/store/TestDatabase"
import { Effect, Layer } from "effect"
import { UiApi } from "../src/Api.ts"
import * as UiServer from "../src/UiServer.ts"
import { Views } from "../src/Views.ts"
import { FAILING_CODE, HELD_OUT_SECRET, PASSING_CODE, PROBLEM, repositories, RUN, SEARCH, seed } from "./fixtures.ts"

/** The UI server over a seeded store, on a free port; the tests talk to it over real HTTP. */
const serverOn = (db: Layer.Layer<SqlClient.SqlClient, unknown>) =>
  UiServer.layer({ host: "127.0.0.1", port: 0, store: "test store", refresh: "100 millis" }).pipe(
    Layer.provideMerge(Views.Default),
    Layer.provideMerge(Layer.effectDiscard(seed)),
    Layer.provideMerge(repositories),
    Layer.provideMerge(db)
  )

const baseUrl = Effect.map(HttpServer.HttpServer, (server) => UiServer.urlOf(server.address))
const client = Effect.flatMap(baseUrl, (base) => HttpApiClient.make(UiApi, { baseUrl: base })).pipe(Effect.provide(FetchHttpClient.layer))
const fetchText = (path: string, init?: RequestInit) =>
  Effect.flatMap(baseUrl, (base) =>
    Effect.promise(async () => {
      const response = await fetch(`${base}${path}`, init)
      return { status: response.status, type: response.headers.get("content-type") ?? "", text: await response.text() }
    })
  )

/** Reads server-sent events until `stop` says so; returns the event names seen. */
const readEvents = (path: string, onEvent: (name: string, seen: ReadonlyArray<string>) => Effect.Effect<boolean>) =>
  Effect.flatMap(baseUrl, (base) =>
    Effect.async<ReadonlyArray<string>>((resume) => {
      const controller = new AbortController()
      const seen: Array<string> = []
      void (async () => {
        const response = await fetch(`${base}${path}`, { signal: controller.signal })
        const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader()
        let buffer = ""
        for (;;) {
          const { done, value } = await reader.read()
          if (done) return resume(Effect.succeed(seen))
          buffer += value
          let at: number
          while ((at = buffer.indexOf("\n\n")) >= 0) {
            const frame = buffer.slice(0, at)
            buffer = buffer.slice(at + 2)
            const name = frame.match(/^event: (.*)$/m)?.[1]
            if (name === undefined) continue
            seen.push(name)
            if (await Effect.runPromise(onEvent(name, seen))) {
              controller.abort()
              return resume(Effect.succeed(seen))
            }
          }
        }
      })().catch((e) => (controller.signal.aborted ? resume(Effect.succeed(seen)) : resume(Effect.die(e))))
      return Effect.sync(() => controller.abort())
    })
  )

for (const backend of TestDatabase.backends) {
  // The server's fibers run on the live clock (its streams poll the store in real time).
  layer(serverOn(backend.layer), { timeout: 120_000, excludeTestServices: true })(`o1coder ui API on ${backend.name}`, (it) => {
    it.effect("lists runs with their round, stage and cost", () =>
      Effect.gen(function* () {
        const api = yield* client
        const runs = yield* api.runs.list()
        expect(runs.map((r) => r.id)).toEqual([RUN])
        const run = runs[0]!
        expect(run).toMatchObject({ name: "ui fixture", status: "running", round: 2, rounds: 2, stage: "search", searches: 1, tokens: 1200, executions: 2, live: true })
      })
    )

    it.effect("a run's page: per-round metrics, stages, searches, datasets, jobs, versions with lineage", () =>
      Effect.gen(function* () {
        const page = yield* (yield* client).runs.get({ path: { runId: RUN } })
        expect(page.rounds.map((r) => r.round)).toEqual([1, 2])
        const [one, two] = page.rounds
        expect(one).toMatchObject({ stage: "done", problems: 1, nodes: 5, passAt1: 1, tokens: 1200, executions: 2, datasets: 1, jobs: 1, versions: 1 })
        expect(one!.passRate).toBeCloseTo(0.5)
        expect(one!.stages.map((s) => s.state)).toEqual(["done", "done", "done", "done", "done"])
        expect(two!.stages.map((s) => `${s.name}:${s.state}`)).toEqual(["tcg:done", "search:current", "export:pending", "train:pending", "evaluate:pending"])
        expect(page.searches.map((s) => [s.id, s.nodes, s.solved, s.answer?.nodeId])).toEqual([[SEARCH, 5, true, `${SEARCH}:2`]])
        expect(page.datasets.map((d) => [d.kind, d.rows, d.round])).toEqual([["sft", 1, 1]])
        expect(page.jobs.map((j) => [j.id, j.status])).toEqual([["job-ui-sft", "succeeded"]])
        const trained = page.versions.find((v) => v.id === "mv-sft")!
        expect([trained.parentId, trained.jobId, trained.datasets]).toEqual(["mv-base", "job-ui-sft", [page.datasets[0]!.id]])
      })
    )

    it.effect("a tree: every node, the answer and the D+ path", () =>
      Effect.gen(function* () {
        const tree = yield* (yield* client).searches.tree({ path: { searchId: SEARCH } })
        expect(tree.nodes.map((n) => n.seq)).toEqual([0, 1, 2, 3, 4])
        expect(tree.search.answer).toMatchObject({ nodeId: `${SEARCH}:2`, value: 1, passed: 3, total: 3 })
        expect(tree.positivePath).toEqual([`${SEARCH}:0`, `${SEARCH}:1`, `${SEARCH}:2`])
        expect(tree.entryPoint).toBe("add")
        expect(tree.nodes[1]).toMatchObject({ action: "A1", title: "Plan:", visits: 2 })
        expect(tree.nodes[2]!.title).toBe("def add(a, b):")
        expect(tree.live).toBe(false)
      })
    )

    it.effect("a node: its code and a verdict per suite test, with the value seen for failures", () =>
      Effect.gen(function* () {
        const api = yield* client
        const bad = yield* api.searches.node({ path: { searchId: SEARCH, nodeId: `${SEARCH}:3` } })
        expect(bad.code).toBe(FAILING_CODE)
        expect(bad.path.map((p) => p.action)).toEqual(["A1", "A3"])
        expect(bad.execution!.verdicts.map((v) => [v.status, v.origin, v.seen ?? null])).toEqual([
          ["failed", "dataset", "2"],
          ["passed", "llm", null],
          ["failed", "mutation", "-21"]
        ])
        expect(bad.execution!.verdicts[2]!.test).toMatchObject({ _tag: "call", args: "-7, 3", expected: "-4" })
        const good = yield* api.searches.node({ path: { searchId: SEARCH, nodeId: `${SEARCH}:2` } })
        expect([good.code, good.execution!.passed, good.execution!.total]).toEqual([PASSING_CODE, 3, 3])
        const step = yield* api.searches.node({ path: { searchId: SEARCH, nodeId: `${SEARCH}:1` } })
        expect([step.execution, step.executionNote]).toEqual([null, "not a code step: nothing was executed"])
      })
    )

    it.effect("a problem: statement, visible tests, the suite with origins and validation; held-out tests only as counts", () =>
      Effect.gen(function* () {
        const api = yield* client
        const p = yield* api.problems.get({ path: { problemId: encodeURIComponent(PROBLEM) } })
        expect([p.heldOutTests, p.heldOutInputs]).toEqual([2, 1])
        expect(p.visibleTests).toHaveLength(1)
        expect(p.suites.map((s) => s.cases.map((c) => c.origin))).toEqual([["dataset", "llm", "mutation"]])
        expect(p.suites[0]!.stats).toMatchObject({ validated: 4, dropped: { wrong_output: 1 } })
        expect(p.searches.map((s) => s.id)).toEqual([SEARCH])
        const raw = yield* fetchText(`/api/problems/${encodeURIComponent(PROBLEM)}`)
        expect(raw.status).toBe(200)
        expect(raw.text).not.toContain(HELD_OUT_SECRET)
        expect(raw.text).not.toContain("400000")
        const list = yield* api.problems.list({ urlParams: { dataset: "uitest" } })
        expect([list.total, list.problems.map((x) => x.id), list.splits.map((s) => s.count)]).toEqual([1, [PROBLEM], [1]])
      })
    )

    it.effect("unknown ids: a 404 with what was missing on the API, the app's page with a 404 status, never a stack trace", () =>
      Effect.gen(function* () {
        for (const [path, what] of [
          ["/api/runs/nope", "run"],
          ["/api/searches/nope", "search"],
          [`/api/searches/${SEARCH}/nodes/nope`, "node"],
          ["/api/problems/nope%2Fnope", "problem"],
          ["/api/runs/nope/events", "run"],
          ["/api/searches/nope/events", "search"],
          ["/api/nothing/here", "API route"]
        ] as const) {
          const r = yield* fetchText(path)
          expect([path, r.status, r.type]).toEqual([path, 404, expect.stringContaining("application/json")])
          expect(JSON.parse(r.text)).toMatchObject({ _tag: "NotFound", what })
          expect(r.text).not.toMatch(/\bat .*\.ts:\d+|Error:/)
        }
        for (const path of ["/runs/nope", "/searches/nope", "/problems/no/such", "/no/such/page"]) {
          const r = yield* fetchText(path)
          expect([path, r.status, r.type]).toEqual([path, 404, expect.stringContaining("text/html")])
          expect(r.text).toContain('<main id="app">')
        }
        for (const path of [`/runs/${RUN}`, `/searches/${SEARCH}`, `/problems/${PROBLEM}`, "/"]) expect((yield* fetchText(path)).status).toBe(200)
        const health = yield* (yield* client).system.health()
        expect(health.store).toBe("test store")
      })
    )

    it.effect("the front-end is served from the package: one script and one stylesheet, no other origin", () =>
      Effect.gen(function* () {
        const page = yield* fetchText("/")
        const assets = [...page.text.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!)
        expect(assets.filter((a) => a.startsWith("/assets/"))).toEqual(["/assets/style.css", "/assets/app.js"])
        expect(page.text).not.toMatch(/https?:\/\//)
        const js = yield* fetchText("/assets/app.js")
        expect([js.status, js.type]).toEqual([200, "text/javascript; charset=utf-8"])
        expect(js.text).not.toMatch(/https?:\/\/(?!www\.w3\.org\/2000\/svg)/)
        expect((yield* fetchText("/assets/style.css")).type).toContain("text/css")
      })
    )

    it.effect("live: a running run's stream sends a change when the store moves and ends when the run finishes", () =>
      Effect.gen(function* () {
        const runs = yield* RunsRepo
        const seen = yield* readEvents(`/api/runs/${RUN}/events`, (name, so) =>
          Effect.gen(function* () {
            if (name === "change" && so.length === 1) yield* runs.setStage(RUN, 2, "export", "mv-sft")
            if (name === "change" && so.length === 2) yield* runs.setStatus(RUN, "completed")
            return name === "end"
          }).pipe(Effect.orDie)
        )
        expect(seen).toEqual(["change", "change", "end"])
        // A finished run's stream ends at once.
        expect(yield* readEvents(`/api/runs/${RUN}/events`, () => Effect.succeed(false))).toEqual(["end"])
        expect(yield* readEvents(`/api/searches/${SEARCH}/events`, () => Effect.succeed(false))).toEqual(["end"])
      })
    )

    it.effect("a run whose process is gone: interrupted (with the command that resumes it), not live, its stream ends at once", () =>
      Effect.gen(function* () {
        const runs = yield* RunsRepo
        yield* runs.create({ id: "run-ui-orphan", name: "orphan", config: {} })
        yield* runs.setStage("run-ui-orphan", 1, "search")
        const page = yield* (yield* client).runs.get({ path: { runId: "run-ui-orphan" } })
        expect(page.run).toMatchObject({ status: "interrupted", statusText: "interrupted (resume with o1coder resume run-ui-orphan)", live: false })
        expect(page.rounds[0]!.stages.map((s) => s.state)).toEqual(["done", "stopped", "pending", "pending", "pending"])
        expect(yield* readEvents("/api/runs/run-ui-orphan/events", () => Effect.succeed(false))).toEqual(["end"])
      })
    )
  })
}

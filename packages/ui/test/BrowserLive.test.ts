import { expect, layer } from "@effect/vitest"
import { RunsRepo } from "@o1coder/store/RunsRepo"
import { SearchRepo } from "@o1coder/store/SearchRepo"
import { Effect, Layer } from "effect"
import { describe } from "vitest"
import { baseUrl, browserLayer, chromiumMissing, CHROMIUM, openTab, pageOf, pw, screenshotDir, serverLayer, shot } from "./browser.ts"
import { node, PROBLEM, RUN } from "./fixtures.ts"

/**
 * A run going on while its page and a tree are open in chromium: rows written through the
 * repositories show up by themselves; once the run and the search finish, the pages stop updating.
 */
const LIVE = "s-ui-live"
const shots = chromiumMissing ? "" : screenshotDir("browser-live")

const progress = (rollouts: number) => ({ rolloutsDone: rollouts, tokens: 500 * rollouts, modelCalls: rollouts, executions: rollouts, elapsedMs: 400 * rollouts, bestNodeId: null })

describe.skipIf(chromiumMissing)(chromiumMissing ? `o1coder ui live in chromium (skipped: no ${CHROMIUM})` : "o1coder ui live in chromium", () => {
  layer(Layer.merge(serverLayer(), browserLayer), { timeout: 120_000, excludeTestServices: true })("live", (it) => {
    it.scoped("the run page and an open tree update while the run goes on, and stop once it finished", () =>
      Effect.gen(function* () {
        const base = yield* baseUrl
        const runs = yield* RunsRepo
        const searches = yield* SearchRepo
        const { errors: runErrors, page } = yield* openTab
        yield* pw(() => page.goto(`${base}/runs/${RUN}`))
        yield* pageOf(page, "run")
        yield* pw(() => page.waitForSelector('[data-page="run"] .live[data-live="on"]'))
        const searchRows = () => pw(() => page.locator('[data-table="searches"] tbody tr').count())
        expect(yield* searchRows()).toBe(1)

        // Round 2's search starts: a new row on the run page, then a tree that grows.
        const root = node(LIVE, 0, { parentId: null, depth: 0 })
        yield* searches.create({ id: LIVE, problemId: PROBLEM, runId: RUN, round: 2, suiteId: null, policyVersion: "mv-sft", config: {}, seed: 2, root })
        yield* pw(() => page.waitForSelector(`[data-table="searches"] a[href="/searches/${LIVE}"]`))
        expect(yield* searchRows()).toBe(2)

        const { errors: treeErrors, page: tree } = yield* openTab
        yield* pw(() => tree.goto(`${base}/searches/${LIVE}`))
        yield* pageOf(tree, "tree")
        yield* pw(() => tree.waitForSelector('svg.tree[data-nodes="1"]'))
        yield* pw(() => tree.waitForSelector('[data-page="tree"] .live[data-live="on"]'))
        const step = node(LIVE, 1, { parentId: root.id, depth: 1, action: "A1", body: "Plan:\n1. add", visits: 1, valueSum: 0.5 })
        const code = node(LIVE, 2, { parentId: step.id, depth: 2, action: "A3", body: "```python\ndef add(a, b):\n    return a + b\n```", code: "def add(a, b):\n    return a + b", terminal: true, visits: 1, valueSum: 1, reward: 1, passed: 3, total: 3 })
        yield* searches.checkpoint({ searchId: LIVE, newNodes: [step], updated: [{ id: root.id, visits: 1, valueSum: 0.5 }], progress: progress(1) })
        yield* pw(() => tree.waitForSelector('svg.tree[data-nodes="2"]'))
        yield* searches.checkpoint({ searchId: LIVE, newNodes: [code], updated: [{ id: root.id, visits: 2, valueSum: 1.5 }], progress: progress(2) })
        yield* pw(() => tree.waitForSelector(`svg.tree[data-nodes="3"] [data-node-id="${LIVE}:2"].passed`))
        yield* shot(tree, shots, "01-tree-growing.png")

        // The run page's round 2 counters follow the search's checkpoints.
        yield* pw(() => page.waitForSelector('figure.chart[data-metric="tokens"] circle.point[data-round="2"][data-value="1000"]'))

        // The search ends: the tree says so and stops following.
        yield* searches.finish(LIVE, "completed", { ...progress(2), bestNodeId: code.id })
        yield* pw(() => tree.waitForSelector('[data-page="tree"] .live[data-live="off"]'))
        expect(yield* pw(() => tree.locator(".live").textContent())).toBe("finished · not updating")

        // The run moves through its stages, then completes.
        yield* runs.setStage(RUN, 2, "export", "mv-sft")
        yield* pw(() => page.locator('[data-table="rounds"] tbody tr:nth-child(2) .stage-current', { hasText: "export" }).waitFor())
        yield* runs.finishRound(RUN, 2)
        yield* runs.setStatus(RUN, "completed")
        yield* pw(() => page.waitForSelector('[data-page="run"] .live[data-live="off"]'))
        expect(yield* pw(() => page.locator('[data-page="run"] .page-head .pill').first().textContent())).toBe("completed")
        yield* shot(page, shots, "02-run-finished.png")

        // A finished run's page no longer follows the store: a row written now does not appear.
        yield* searches.create({ id: `${LIVE}-late`, problemId: PROBLEM, runId: RUN, round: 2, suiteId: null, policyVersion: "mv-sft", config: {}, seed: 3, root: node(`${LIVE}-late`, 0, { parentId: null, depth: 0 }) })
        yield* Effect.sleep("1500 millis")
        expect(yield* searchRows()).toBe(2)
        expect([...runErrors, ...treeErrors]).toEqual([])
      })
    )
  })
})

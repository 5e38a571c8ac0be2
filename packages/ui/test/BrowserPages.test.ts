import { expect, layer } from "@effect/vitest"
import { Effect, Layer } from "effect"
import * as NodeOs from "node:os"
import { describe } from "vitest"
import { baseUrl, browserLayer, chromiumMissing, CHROMIUM, openTab, pageOf, pw, screenshotDir, serverLayer, shot } from "./browser.ts"
import { FAILING_CODE, HELD_OUT_SECRET, PROBLEM, RUN, SEARCH, writeSyntheticSearch } from "./fixtures.ts"

/**
 * The UI in a real browser (Debian's chromium): a run page's charts, a tree opened from it, a
 * node's code and verdicts, a collapsed branch, a 2,000-node tree, and unknown ids.
 */
const BIG = "s-ui-big"
const BIG_SIZE = 2000
const shots = chromiumMissing ? "" : screenshotDir("browser-pages")

const METRICS = ["passAt1", "aspr", "passRate", "tokens", "executions", "seconds"] as const
type RoundJson = Record<(typeof METRICS)[number], number | null> & { round: number }

describe.skipIf(chromiumMissing)(chromiumMissing ? `o1coder ui in chromium (skipped: no ${CHROMIUM})` : "o1coder ui in chromium", () => {
  layer(Layer.merge(serverLayer(writeSyntheticSearch(BIG, PROBLEM, BIG_SIZE)), browserLayer), { timeout: 120_000, excludeTestServices: true })("pages", (it) => {
    it.scoped("a run page: a chart per round metric with one point per round, axes and labels; then its tree, a node's code and verdicts, a collapsed branch", () =>
      Effect.gen(function* () {
        const base = yield* baseUrl
        const { errors, page } = yield* openTab
        yield* pw(() => page.goto(`${base}/runs/${RUN}`))
        yield* pageOf(page, "run")
        const rounds = (yield* pw(() => page.request.get(`${base}/api/runs/${RUN}`).then((r) => r.json()))).rounds as ReadonlyArray<RoundJson>
        expect(rounds.map((r) => r.round)).toEqual([1, 2])
        for (const metric of METRICS) {
          const chart = page.locator(`figure.chart[data-metric="${metric}"]`)
          const points = yield* pw(() => chart.locator("circle.point").evaluateAll((cs) => cs.map((c) => Number(c.getAttribute("data-round")))))
          expect([metric, points]).toEqual([metric, rounds.filter((r) => r[metric] !== null).map((r) => r.round)])
          const labels = yield* pw(() => chart.locator("text.axis-label").allTextContents())
          expect(labels[0]).toBe("round")
          expect(labels[1]!.length).toBeGreaterThan(0)
        }
        // Counters have a value in every round, the round in progress included.
        expect(yield* pw(() => page.locator('figure.chart[data-metric="tokens"] circle.point').count())).toBe(rounds.length)
        expect(yield* pw(() => page.locator('[data-table="rounds"] tbody tr').count())).toBe(2)
        // Round 2 is still searching: the headline pass@1 is round 1's.
        expect(yield* pw(() => page.locator(".kpi").first().locator(".kpi-detail").textContent())).toBe("round 1")
        expect(yield* pw(() => page.locator('.lineage [data-version="mv-sft"]').textContent())).toContain("trained by the policy-sft job on sft (1 rows)")
        yield* shot(page, shots, "01-run.png")

        yield* pw(() => page.click(`[data-table="searches"] a[href="/searches/${SEARCH}"]`))
        yield* pageOf(page, "tree")
        yield* pw(() => page.waitForSelector(`svg.tree[data-render-ms][data-nodes="5"]`))
        expect(yield* pw(() => page.locator(`[data-node-id="${SEARCH}:2"]`).getAttribute("class"))).toMatch(/\banswer\b.*\bdplus\b/)
        expect(yield* pw(() => page.locator(`[data-node-id="${SEARCH}:3"]`).getAttribute("class"))).toMatch(/\bfailed\b/)

        yield* pw(() => page.click(`[data-node-id="${SEARCH}:3"]`))
        const panel = page.locator(`[data-panel="node"] [data-node="${SEARCH}:3"]`)
        yield* pw(() => panel.waitFor())
        const code = yield* pw(() => panel.locator("pre[data-code] .line").evaluateAll((ls) => ls.map((l) => l.childNodes[1]?.textContent ?? "")))
        expect(code.join("\n")).toBe(FAILING_CODE)
        const verdicts = yield* pw(() => panel.locator('[data-table="verdicts"] tbody tr').evaluateAll((rs) => rs.map((r) => r.getAttribute("data-status"))))
        expect(verdicts).toEqual(["failed", "passed", "failed"])
        expect(yield* pw(() => panel.locator('[data-table="verdicts"] tbody tr').first().textContent())).toMatch(/seen\s*2/)
        yield* shot(page, shots, "02-tree-node.png")

        yield* pw(() => page.click(`[data-node-id="${SEARCH}:1"]`))
        yield* pw(() => page.locator(`[data-node="${SEARCH}:1"] button[data-action="toggle"]`).click())
        yield* pw(() => page.waitForSelector(`svg.tree[data-nodes="3"]`))
        expect(yield* pw(() => page.locator(`[data-node-id="${SEARCH}:2"]`).count())).toBe(0)
        expect(yield* pw(() => page.locator(`[data-node-id="${SEARCH}:1"].collapsed .hidden-count`).textContent())).toBe("+2")
        yield* shot(page, shots, "03-tree-collapsed.png")
        yield* pw(() => page.locator(`[data-node="${SEARCH}:1"] button[data-action="toggle"]`).click())
        yield* pw(() => page.waitForSelector(`svg.tree[data-nodes="5"]`))
        expect(errors).toEqual([])
      })
    )

    it.scoped(`a ${BIG_SIZE}-node tree: drawn whole, its render time printed`, () =>
      Effect.gen(function* () {
        const base = yield* baseUrl
        const { errors, page } = yield* openTab
        const started = Date.now()
        yield* pw(() => page.goto(`${base}/searches/${BIG}`))
        const svg = page.locator(`svg.tree[data-nodes="${BIG_SIZE}"][data-render-ms]`)
        yield* pw(() => svg.waitFor())
        const loaded = Date.now() - started
        const drawn = Number(yield* pw(() => svg.getAttribute("data-render-ms")))
        expect(yield* pw(() => page.locator("svg.tree [data-node-id]").count())).toBe(BIG_SIZE)
        yield* shot(page, shots, "04-tree-2000.png")
        // A redraw: from the chosen answer (opened with the page) to its parent, whose branch is collapsed.
        const panel = page.locator('[data-panel="node"]')
        yield* pw(() => panel.locator("[data-node] .answer-badge").waitFor())
        yield* pw(() => panel.getByRole("button", { name: "Parent" }).click())
        yield* pw(() => panel.locator('[data-node] button[data-action="toggle"]').click())
        yield* pw(() => page.waitForSelector(`svg.tree[data-render-ms]:not([data-nodes="${BIG_SIZE}"])`))
        const redrawn = Number(yield* pw(() => page.locator("svg.tree").getAttribute("data-render-ms")))
        yield* shot(page, shots, "05-tree-2000-collapsed.png")
        console.log(
          `${BIG_SIZE}-node tree in chromium: drawn in ${drawn.toFixed(0)} ms (layout to painted frame), page ready ${loaded} ms after navigation; ` +
            `redrawn after a collapse in ${redrawn.toFixed(0)} ms (load average ${NodeOs.loadavg().map((l) => l.toFixed(2)).join(" ")})`
        )
        expect(errors).toEqual([])
      })
    )

    it.scoped("a problem page shows held-out tests only as counts", () =>
      Effect.gen(function* () {
        const base = yield* baseUrl
        const { errors, page } = yield* openTab
        yield* pw(() => page.goto(`${base}/problems/${PROBLEM}`))
        yield* pageOf(page, "problem")
        expect(yield* pw(() => page.locator("[data-held-out]").getAttribute("data-held-out"))).toBe("2/1")
        expect(yield* pw(() => page.locator('[data-table="suite-cases"] tbody tr').count())).toBe(3)
        expect(yield* pw(() => page.locator("body").innerText())).not.toContain(HELD_OUT_SECRET)
        yield* shot(page, shots, "06-problem.png")
        expect(errors).toEqual([])
      })
    )

    it.scoped("an unknown run or search: a clear page (status 404) and a 404 from the API, no stack trace", () =>
      Effect.gen(function* () {
        const base = yield* baseUrl
        const { page } = yield* openTab
        for (const [path, api, what] of [
          ["/runs/no-such-run", "/api/runs/no-such-run", "run"],
          ["/searches/no-such-search", "/api/searches/no-such-search", "search"]
        ] as const) {
          const response = yield* pw(() => page.goto(`${base}${path}`))
          expect([path, response?.status()]).toEqual([path, 404])
          yield* pageOf(page, "not-found")
          const id = path.split("/")[2]
          expect(yield* pw(() => page.locator('[data-page="not-found"] h1').textContent())).toBe(`No ${what} “${id}”`)
          const text = yield* pw(() => page.locator("body").innerText())
          expect(text).not.toMatch(/\bat .*\.(ts|js):\d+|Error:/)
          const json = yield* pw(() => page.request.get(`${base}${api}`).then(async (r) => ({ status: r.status(), body: await r.json() })))
          expect(json).toMatchObject({ status: 404, body: { _tag: "NotFound", what, id } })
        }
        yield* shot(page, shots, "07-not-found.png")
      })
    )
  })
})

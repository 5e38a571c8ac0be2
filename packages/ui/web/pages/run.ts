import { api, href, type RoundView, type RunPage, type SearchSummary } from "../api.ts"
import { lineChart } from "../charts.ts"
import { empty, h, link, pill, section, table } from "../dom.ts"
import { compact, date, duration, ratio, shortId } from "../format.ts"
import { lineage } from "../lineage.ts"
import { follow } from "../live.ts"
import { header, type Page } from "../page.ts"
import { roundOf } from "./runs.ts"

const kpi = (label: string, value: string, detail: string, hint: string) =>
  h("div", { class: "kpi", title: hint }, h("div", { class: "kpi-label" }, label), h("div", { class: "kpi-value" }, value), h("div", { class: "kpi-detail" }, detail))

/** A ratio's latest value (the last round that has one, so a round in progress shows its predecessor's) and its change. */
const rateKpi = (page: RunPage, label: string, pick: (r: RoundView) => number | null, hint: string) => {
  const valued = page.rounds.filter((r) => pick(r) !== null)
  const now = valued[valued.length - 1]
  const before = valued[valued.length - 2]
  const value = now === undefined ? null : pick(now)
  const detail =
    now === undefined || value === null
      ? "no value yet"
      : before === undefined
        ? `round ${now.round}`
        : `round ${now.round}: ${value >= pick(before)! ? "+" : "−"}${Math.abs(value - pick(before)!).toFixed(3)} vs round ${before.round}`
  return kpi(label, ratio(value), detail, hint)
}

const charts = (page: RunPage) => {
  const rounds = page.rounds.map((r) => r.round)
  const rate = (v: number) => v.toFixed(2)
  const specs = [
    { title: "pass@1 (held-out tests)", metric: "passAt1", yLabel: "pass@1", values: page.rounds.map((r) => r.passAt1), format: rate, yMax: 1 },
    { title: "ASPR (average sampling pass rate)", metric: "aspr", yLabel: "ASPR", values: page.rounds.map((r) => r.aspr), format: rate, yMax: 1 },
    { title: "Suite pass rate (terminal code)", metric: "passRate", yLabel: "pass rate", values: page.rounds.map((r) => r.passRate), format: rate, yMax: 1 },
    { title: "Tokens", metric: "tokens", yLabel: "tokens", values: page.rounds.map((r) => r.tokens), format: compact },
    { title: "Executions", metric: "executions", yLabel: "executions", values: page.rounds.map((r) => r.executions), format: compact },
    { title: "Seconds", metric: "seconds", yLabel: "seconds", values: page.rounds.map((r) => r.seconds), format: compact }
  ]
  return h("div", { class: "charts" }, specs.map((s) => lineChart({ ...s, rounds })))
}

const stageChip = (s: { name: string; state: string }) => h("span", { class: `stage stage-${s.state}`, title: s.state }, s.name)

const roundsTable = (page: RunPage) =>
  table(
    ["round", "stages", "policy", { text: "problems", num: true }, { text: "nodes", num: true }, { text: "datasets", num: true }, { text: "jobs", num: true }, { text: "versions", num: true }],
    page.rounds.map((r) => [
      h("strong", null, String(r.round)),
      h("div", { class: "stages" }, r.stages.map(stageChip)),
      h("span", { class: "mono small", title: r.policyVersion ?? "" }, r.policyVersion === null ? "–" : shortId(r.policyVersion, 34)),
      { cell: r.problems, num: true },
      { cell: compact(r.nodes), num: true },
      { cell: r.datasets, num: true },
      { cell: r.jobs, num: true },
      { cell: r.versions, num: true }
    ]),
    { "data-table": "rounds" }
  )

export const verdictCell = (s: SearchSummary) =>
  s.answer === null ? "–" : s.answer.total === null ? "no tests" : `${s.answer.passed}/${s.answer.total}`

export const searchesTable = (searches: ReadonlyArray<SearchSummary>, showProblem = true) =>
  searches.length === 0
    ? empty("No searches yet.")
    : table(
        [...(showProblem ? ["problem"] : []), { text: "round", num: true }, "status", { text: "nodes", num: true }, { text: "rollouts", num: true }, "solved", { text: "answer Q/N", num: true }, "answer tests", { text: "tokens", num: true }, { text: "seconds", num: true }, "tree"],
        searches.map((s) => [
          ...(showProblem ? [link(href.problem(s.problemId), s.problemId)] : []),
          { cell: s.round ?? "–", num: true },
          pill(s.status),
          { cell: s.nodes, num: true },
          { cell: s.rolloutsDone, num: true },
          s.solved ? h("span", { class: "ok" }, "✓ solved") : h("span", { class: "muted" }, "–"),
          { cell: s.answer === null ? "–" : ratio(s.answer.value), num: true },
          verdictCell(s),
          { cell: compact(s.tokens), num: true },
          { cell: duration(s.seconds), num: true },
          link(href.tree(s.id), "open tree →")
        ]),
        { "data-table": "searches" }
      )

const jobsTable = (page: RunPage) =>
  page.jobs.length === 0
    ? empty("No training jobs yet.")
    : table(
        ["job", "stage", "backend", "status", { text: "round", num: true }, { text: "took", num: true }, "log"],
        page.jobs.map((j) => [
          h("span", { class: "mono small" }, j.id),
          j.stage,
          j.backend,
          pill(j.status),
          { cell: j.round ?? "–", num: true },
          { cell: duration((Date.parse(j.updatedAt) - Date.parse(j.createdAt)) / 1000), num: true },
          h("span", { class: "mono small muted", title: j.logPath ?? "" }, j.logPath ?? j.message ?? "–")
        ]),
        { "data-table": "jobs" }
      )

const datasetsTable = (page: RunPage) =>
  page.datasets.length === 0
    ? empty("No datasets exported yet.")
    : table(
        ["dataset", "kind", "format", { text: "round", num: true }, { text: "rows", num: true }, "sha256", "file"],
        page.datasets.map((d) => [
          h("span", { class: "mono small" }, d.id),
          h("strong", null, d.kind),
          d.format,
          { cell: d.round ?? "–", num: true },
          { cell: d.rows, num: true },
          h("span", { class: "mono small", title: d.sha256 }, d.sha256.slice(0, 12)),
          h("span", { class: "mono small muted" }, d.path)
        ]),
        { "data-table": "datasets" }
      )

const versionsTable = (page: RunPage) =>
  table(
    ["version", "role", { text: "round", num: true }, "trained from", "by job", "datasets", "spec"],
    page.versions.map((v) => [
      h("span", { class: "mono small" }, v.id),
      v.role,
      { cell: v.round ?? "–", num: true },
      h("span", { class: "mono small" }, v.parentId ?? "–"),
      h("span", { class: "mono small" }, v.jobId ?? "–"),
      h("span", { class: "mono small" }, v.datasets.join(", ") || "–"),
      h("span", { class: "mono small muted", title: v.spec }, shortId(v.spec, 40))
    ]),
    { "data-table": "versions" }
  )

const content = (page: RunPage, round: { value: number | null }, rerender: () => void) => {
  const r = page.run
  const roundFilter = h(
    "div",
    { class: "tabs" },
    [null, ...page.rounds.map((x) => x.round)].map((value) =>
      h(
        "button",
        {
          class: round.value === value ? "tab active" : "tab",
          onclick: () => {
            round.value = value
            rerender()
          }
        },
        value === null ? "all rounds" : `round ${value}`
      )
    )
  )
  const shown = round.value === null ? page.searches : page.searches.filter((s) => s.round === round.value)
  return h(
    "div",
    null,
    h(
      "div",
      { class: "kpis" },
      rateKpi(page, "pass@1", (x) => x.passAt1, "pass@1 of the round's answers on the held-out tests"),
      rateKpi(page, "ASPR", (x) => x.aspr, "average sampling pass rate on correct paths"),
      rateKpi(page, "suite pass rate", (x) => x.passRate, "share of terminal code passing the generated suite"),
      kpi("searches", compact(r.searches), `${compact(page.rounds.reduce((n, x) => n + x.nodes, 0))} nodes`, "problems searched, over all rounds"),
      kpi("tokens", compact(r.tokens), `${compact(r.modelCalls)} model calls`, "prompt + completion tokens of every search"),
      kpi("executions", compact(r.executions), "sandbox runs in search", "code executions requested by the searches (cached or not)")
    ),
    section("Per round", page.rounds.length === 0 ? empty("No round has started yet.") : charts(page)),
    section("Rounds and stages", page.rounds.length === 0 ? empty("No round has started yet.") : roundsTable(page)),
    section("Model versions and lineage", lineage(page), page.versions.length > 0 && h("details", null, h("summary", null, "all versions"), versionsTable(page))),
    section("Training jobs", jobsTable(page)),
    section("Datasets", datasetsTable(page)),
    section(`Searches (${shown.length})`, roundFilter, searchesTable(shown))
  )
}

export const runPage = async (runId: string): Promise<Page> => {
  let page = await api.run(runId)
  const round = { value: null as number | null }
  const body = h("div", null)
  const head = h("div", null)
  const draw = () => {
    const r = page.run
    head.replaceChildren(
      header(
        h("span", null, r.name, " ", h("span", { title: r.statusText }, pill(r.status))),
        h("span", null, r.status === "interrupted" ? h("div", { class: "bad", "data-status-text": true }, r.statusText) : null, h("span", { class: "mono" }, r.id), ` · round ${roundOf(r)} · stage ${r.stage ?? "–"} · ${duration(r.elapsedSeconds)} · started ${date(r.createdAt)}`),
        live.badge
      )
    )
    body.replaceChildren(content(page, round, draw))
  }
  const live = follow(`/api/runs/${encodeURIComponent(runId)}/events`, page.run.live, async () => {
    page = await api.run(runId)
    draw()
  })
  draw()
  return { title: page.run.name, node: h("div", { "data-page": "run" }, head, body), dispose: live.close }
}

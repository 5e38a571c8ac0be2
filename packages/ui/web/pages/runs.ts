import { api, href, type RunSummary } from "../api.ts"
import { empty, h, link, pill, section, table } from "../dom.ts"
import { compact, date, duration } from "../format.ts"
import { header, type Page } from "../page.ts"

export const roundOf = (r: RunSummary) => (r.round === null ? "–" : r.rounds !== null ? `${r.round} / ${r.rounds}` : String(r.round))

export const runsPage = async (): Promise<Page> => {
  const runs = await api.runs()
  const body =
    runs.length === 0
      ? empty("No runs in this store yet. Start one with `npx o1coder demo` (offline) or `npx o1coder run --config FILE`.")
      : table(
          ["run", "status", { text: "round", num: true }, "stage", { text: "elapsed", num: true }, { text: "searches", num: true }, { text: "tokens", num: true }, { text: "executions", num: true }, "started"],
          runs.map((r) => [
            h("div", null, link(href.run(r.id), h("strong", null, r.name)), h("div", { class: "mono muted small" }, r.id)),
            pill(r.status),
            { cell: roundOf(r), num: true },
            r.stage ?? "–",
            { cell: duration(r.elapsedSeconds), num: true },
            { cell: compact(r.searches), num: true },
            { cell: compact(r.tokens), num: true },
            { cell: compact(r.executions), num: true },
            date(r.createdAt)
          ]),
          { "data-table": "runs" }
        )
  return {
    title: "runs",
    node: h("div", { "data-page": "runs" }, header("Runs", `${runs.length} self-play run${runs.length === 1 ? "" : "s"} in the store, newest first`), section("Self-play runs", body))
  }
}

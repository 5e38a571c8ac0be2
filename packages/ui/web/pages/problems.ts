import { api, href } from "../api.ts"
import { empty, h, link, section, table } from "../dom.ts"
import { int } from "../format.ts"
import { header, type Page } from "../page.ts"

export const problemsPage = async (): Promise<Page> => {
  const params = new URLSearchParams(location.search)
  const query = {
    ...(params.get("dataset") ? { dataset: params.get("dataset")! } : {}),
    ...(params.get("split") ? { split: params.get("split")! } : {}),
    ...(params.get("offset") ? { offset: Number(params.get("offset")) } : {})
  }
  const page = await api.problems(query)
  const to = (q: Record<string, string | number | undefined>) =>
    `/problems?${new URLSearchParams(Object.entries(q).filter((e): e is [string, string | number] => e[1] !== undefined).map(([k, v]) => [k, String(v)]))}`
  const chips = h(
    "div",
    { class: "tabs" },
    link("/problems", h("span", { class: query.dataset === undefined ? "tab active" : "tab" }, "all")),
    page.splits.map((s) =>
      link(
        to({ dataset: s.dataset, split: s.split }),
        h("span", { class: query.dataset === s.dataset && query.split === s.split ? "tab active" : "tab" }, `${s.dataset} / ${s.split} (${int(s.count)})`)
      )
    )
  )
  const pager = h(
    "div",
    { class: "pager" },
    `${page.total === 0 ? 0 : page.offset + 1}–${page.offset + page.problems.length} of ${int(page.total)}`,
    page.offset > 0 && link(to({ ...query, offset: Math.max(0, page.offset - page.limit) }), "← previous"),
    page.offset + page.limit < page.total && link(to({ ...query, offset: page.offset + page.limit }), "next →")
  )
  return {
    title: "problems",
    node: h(
      "div",
      { "data-page": "problems" },
      header("Problems", "Benchmarks imported into the store: statements, visible tests and generated suites (held-out tests only as counts)"),
      section(
        "Problems",
        chips,
        page.problems.length === 0
          ? empty("No problems here. Import some: `npx o1coder problems import FILE --format mbpp`.")
          : table(
              ["problem", "split", "kind", "statement"],
              page.problems.map((p) => [link(href.problem(p.id), p.id), p.split, p.kind, h("span", { class: "muted" }, p.title)]),
              { "data-table": "problems" }
            ),
        pager
      )
    )
  }
}

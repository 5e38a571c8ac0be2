import { api } from "../api.ts"
import { h, section } from "../dom.ts"
import { header, type Page } from "../page.ts"
import { searchesTable } from "./run.ts"

export const searchesPage = async (): Promise<Page> => {
  const all = await api.searches()
  const list = h("div", null, searchesTable(all))
  const filter = h("input", {
    type: "search",
    placeholder: "filter by problem, run or search id",
    class: "filter",
    oninput: (e: Event) => {
      const q = (e.target as HTMLInputElement).value.trim().toLowerCase()
      list.replaceChildren(searchesTable(q === "" ? all : all.filter((s) => [s.id, s.problemId, s.runId ?? ""].some((x) => x.toLowerCase().includes(q)))))
    }
  })
  return {
    title: "searches",
    node: h("div", { "data-page": "searches" }, header("Searches", `${all.length} MCTS searches in the store, newest first (runs and \`o1coder search\`)`), section("Search trees", filter, list))
  }
}

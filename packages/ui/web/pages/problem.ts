import { api, type SuiteView } from "../api.ts"
import { empty, h, section, table } from "../dom.ts"
import { date, percent } from "../format.ts"
import { header, type Page } from "../page.ts"
import { originBadge, testCode } from "../tests.ts"
import { searchesTable } from "./run.ts"

const num = (v: unknown) => (typeof v === "number" ? v : null)

/** The suite's validation: how many generated, kept after validation against the reference, dropped by reason. */
const suiteFacts = (suite: SuiteView) => {
  const st = suite.stats
  const dropped = typeof st.dropped === "object" && st.dropped !== null ? Object.entries(st.dropped as Record<string, unknown>).filter(([, n]) => typeof n === "number" && n > 0) : []
  const examples = Array.isArray(st.examples) ? (st.examples as Array<{ text?: unknown; reason?: unknown }>) : []
  return h(
    "div",
    { class: "suite-facts" },
    h(
      "div",
      { class: "facts" },
      num(st.generated) !== null && h("span", null, h("b", null, "generated "), String(st.generated)),
      num(st.validated) !== null && h("span", null, h("b", null, "validated "), String(st.validated)),
      h("span", null, h("b", null, "kept "), String(suite.cases.length)),
      num(st.validity) !== null && h("span", null, h("b", null, "validity "), percent(num(st.validity))),
      num(st.mutationScore) !== null && h("span", null, h("b", null, "mutation score "), percent(num(st.mutationScore))),
      dropped.length === 0 ? h("span", { class: "muted" }, "nothing dropped") : dropped.map(([reason, n]) => h("span", { class: "badge drop" }, `dropped ${reason.replace(/_/g, " ")}: ${n}`))
    ),
    examples.length > 0 &&
      h(
        "details",
        null,
        h("summary", null, `dropped cases (${examples.length} shown)`),
        h("ul", { class: "dropped" }, examples.map((x) => h("li", null, h("code", null, String(x.text ?? "")), " — ", String(x.reason ?? ""))))
      )
  )
}

export const problemPage = async (id: string): Promise<Page> => {
  const p = await api.problem(id)
  return {
    title: p.id,
    node: h(
      "div",
      { "data-page": "problem" },
      header(p.id, `${p.dataset} · split ${p.split} · task ${p.taskId} · ${p.kind}${p.entryPoint !== null ? ` · entry point ${p.entryPoint}` : ""}`),
      h(
        "div",
        { class: "two" },
        section(
          "Statement",
          h("pre", { class: "statement" }, p.statement),
          p.signature !== null && [h("h4", null, "Signature"), h("pre", { class: "code" }, p.signature)],
          p.setup !== null && [h("h4", null, "Set-up code"), h("pre", { class: "code" }, p.setup)]
        ),
        section(
          "Tests",
          h("h4", null, `Visible tests (${p.visibleTests.length}): the search may run these`),
          p.visibleTests.length === 0 ? empty("none") : h("ul", { class: "tests" }, p.visibleTests.map((t) => h("li", null, testCode(t, p.entryPoint)))),
          h("h4", null, "Held-out tests"),
          h(
            "p",
            { class: "held-out", "data-held-out": `${p.heldOutTests}/${p.heldOutInputs}` },
            h("strong", null, `${p.heldOutTests} held-out test${p.heldOutTests === 1 ? "" : "s"}`),
            p.heldOutInputs > 0 ? ` and ${p.heldOutInputs} held-out inputs` : "",
            ": they only score final answers and are not shown here."
          )
        )
      ),
      section(
        `Generated suites (${p.suites.length})`,
        p.suites.length === 0
          ? empty("No generated suite for this problem yet (`o1coder tcg`).")
          : p.suites.map((s) =>
              h(
                "div",
                { class: "suite", "data-suite": s.id },
                h("h3", null, `${s.generator} suite `, h("span", { class: "mono muted small" }, s.id), h("span", { class: "muted small" }, ` · ${date(s.createdAt)}`)),
                suiteFacts(s),
                table(
                  [{ text: "#", num: true }, "test", "origin", "validation"],
                  s.cases.map((c, i) => [{ cell: i + 1, num: true }, testCode(c.test, p.entryPoint), originBadge(c.origin), h("span", { class: "ok", title: "kept after validation (see the suite statistics above)" }, "✓ validated, kept")]),
                  { "data-table": "suite-cases" }
                )
              )
            )
      ),
      section(`Searches of this problem (${p.searches.length})`, searchesTable(p.searches, false))
    )
  }
}

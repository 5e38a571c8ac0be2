import type { Child } from "./dom.ts"
import { h, link } from "./dom.ts"

/** What a page gives the router: its content, and what to stop when the user leaves it. */
export interface Page {
  readonly title: string
  readonly node: HTMLElement
  readonly dispose?: () => void
}

export const header = (title: Child, subtitle: Child, ...right: ReadonlyArray<Child>) =>
  h("div", { class: "page-head" }, h("div", null, h("h1", null, title), h("div", { class: "sub" }, subtitle)), h("div", { class: "head-right" }, ...right))

export const notFoundPage = (what: string, id: string, store: string): Page => ({
  title: "not found",
  node: h(
    "div",
    { class: "card notfound", "data-page": "not-found" },
    h("h1", null, `No ${what} “${id}”`),
    h("p", null, `The store this UI reads (${store || "the store"}) has no ${what} with this id.`),
    h("p", null, "Check the id (", h("code", null, "o1coder runs"), " lists runs), or go back to ", link("/runs", "all runs"), ".")
  )
})

export const errorPage = (error: unknown): Page => ({
  title: "error",
  node: h(
    "div",
    { class: "card notfound", "data-page": "error" },
    h("h1", null, "This page could not be loaded"),
    h("p", null, error instanceof Error ? error.message : String(error)),
    h("p", null, link("/runs", "Back to the runs"))
  )
})

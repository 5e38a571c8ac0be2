/** A small DOM builder: elements from a tag, attributes and children; text is always text, never HTML. */

export type Child = Node | string | number | null | undefined | false | ReadonlyArray<Child>
export type Attrs = Record<string, string | number | boolean | null | undefined | EventListener>

const SVG_NS = "http://www.w3.org/2000/svg"

const append = (parent: Element, children: ReadonlyArray<Child>) => {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue
    if (Array.isArray(c)) append(parent, c)
    else parent.append(c instanceof Node ? c : String(c))
  }
}

const build = <E extends Element>(el: E, attrs: Attrs | null, children: ReadonlyArray<Child>): E => {
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === null || v === undefined || v === false) continue
    if (typeof v === "function") el.addEventListener(k.replace(/^on/, ""), v)
    else el.setAttribute(k, v === true ? "" : String(v))
  }
  append(el, children)
  return el
}

export const h = <K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs | null = null, ...children: ReadonlyArray<Child>) =>
  build(document.createElement(tag), attrs, children)

export const svg = <K extends keyof SVGElementTagNameMap>(tag: K, attrs: Attrs | null = null, ...children: ReadonlyArray<Child>) =>
  build(document.createElementNS(SVG_NS, tag), attrs, children)

/** A link inside the app (navigates without reloading the page). */
export const link = (href: string, ...children: ReadonlyArray<Child>) => h("a", { href, "data-link": true }, ...children)

export const pill = (text: string, kind: string = text) => h("span", { class: `pill pill-${kind}` }, text)

export const table = (
  headers: ReadonlyArray<string | { readonly text: string; readonly num?: boolean }>,
  rows: ReadonlyArray<ReadonlyArray<Child | { readonly cell: Child; readonly num?: boolean; readonly cls?: string }>>,
  attrs: Attrs = {}
) =>
  h(
    "table",
    { class: "grid", ...attrs },
    h("thead", null, h("tr", null, headers.map((x) => (typeof x === "string" ? h("th", null, x) : h("th", { class: x.num ? "num" : null }, x.text))))),
    h(
      "tbody",
      null,
      rows.map((r) =>
        h(
          "tr",
          null,
          r.map((c) =>
            c !== null && typeof c === "object" && "cell" in c ? h("td", { class: [c.num ? "num" : "", c.cls ?? ""].join(" ").trim() || null }, c.cell) : h("td", null, c)
          )
        )
      )
    )
  )

export const section = (title: string, ...children: ReadonlyArray<Child>) =>
  h("section", { class: "card" }, h("h2", null, title), ...children)

export const empty = (text: string) => h("p", { class: "muted" }, text)

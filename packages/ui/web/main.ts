import { api, NotFoundError } from "./api.ts"
import { h } from "./dom.ts"
import { errorPage, notFoundPage, type Page } from "./page.ts"
import { problemPage } from "./pages/problem.ts"
import { problemsPage } from "./pages/problems.ts"
import { runPage } from "./pages/run.ts"
import { runsPage } from "./pages/runs.ts"
import { searchesPage } from "./pages/searches.ts"
import { treePage } from "./pages/tree.ts"

/** The app: one page per address (history navigation, no reloads), each built from the JSON API. */

const app = document.getElementById("app")!
let store = ""
let current: Page | undefined
let generation = 0

const routes: ReadonlyArray<readonly [RegExp, (m: RegExpMatchArray) => Promise<Page>, string]> = [
  [/^\/(runs\/?)?$/, () => runsPage(), "runs"],
  [/^\/runs\/([^/]+)$/, (m) => runPage(decodeURIComponent(m[1]!)), "runs"],
  [/^\/searches\/?$/, () => searchesPage(), "searches"],
  [/^\/searches\/([^/]+)$/, (m) => treePage(decodeURIComponent(m[1]!)), "searches"],
  [/^\/problems\/?$/, () => problemsPage(), "problems"],
  [/^\/problems\/(.+)$/, (m) => problemPage(m[1]!.split("/").map(decodeURIComponent).join("/")), "problems"]
]

const render = async () => {
  const mine = ++generation
  current?.dispose?.()
  current = undefined
  const route = routes.find(([re]) => re.test(location.pathname))
  for (const a of document.querySelectorAll<HTMLAnchorElement>("[data-nav]")) a.classList.toggle("active", a.dataset.nav === route?.[2])
  let page: Page
  try {
    page = route === undefined ? notFoundPage("page", location.pathname, store) : await route[1](location.pathname.match(route[0])!)
  } catch (e) {
    page = e instanceof NotFoundError ? notFoundPage(e.what, e.id, store) : errorPage(e)
  }
  if (mine !== generation) return page.dispose?.()
  current = page
  document.title = `${page.title} · o1coder`
  app.replaceChildren(page.node)
  app.dataset.ready = String(mine)
}

const navigate = (to: string) => {
  history.pushState(null, "", to)
  window.scrollTo(0, 0)
  void render()
}

document.addEventListener("click", (e) => {
  const a = (e.target as Element).closest("a")
  if (a === null || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey) return
  const url = new URL(a.href, location.href)
  if (url.origin !== location.origin || url.pathname === location.pathname && url.hash !== "" ) return
  e.preventDefault()
  navigate(url.pathname + url.search + url.hash)
})
window.addEventListener("popstate", () => void render())

void api
  .health()
  .then((health) => {
    store = health.store
    document.getElementById("store")!.replaceChildren(h("span", { title: "the store this UI reads" }, health.store))
  })
  .catch(() => {})
  .finally(() => void render())

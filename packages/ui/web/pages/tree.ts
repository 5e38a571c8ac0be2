import { api, href, type NodeView, type TreeNode, type TreeView } from "../api.ts"
import { h, link, pill, svg } from "../dom.ts"
import { compact, duration, ratio } from "../format.ts"
import { follow } from "../live.ts"
import { header, type Page } from "../page.ts"
import { originBadge, testCode } from "../tests.ts"
import { descendants, type Layout, layout, nodeColour, ROW } from "../treeLayout.ts"

const ACTIONS: Record<string, string> = {
  A1: "define the algorithm's structure",
  A2: "refine the pseudocode",
  A3: "write the Python code"
}
/** Small trees get action labels under their nodes. */
const LABEL_LIMIT = 200
const PAD = 40
/** A tree that fits only below this scale opens at READABLE on its answer (Fit still shows it whole). */
const MIN_FIT = 0.25
const READABLE = 0.5

const isPassing = (n: TreeNode) => n.terminal && n.total !== null && n.total > 0 && n.passed === n.total

const nodeClass = (n: TreeNode) =>
  ["node", n.terminal ? (n.hasCode ? (isPassing(n) ? "passed" : "failed") : "dead-end") : "step"].join(" ")

/** Pan and zoom of the drawing: a translate and a scale on its viewport group. */
interface View {
  x: number
  y: number
  k: number
}

const legend = () =>
  h(
    "div",
    { class: "legend" },
    h("span", { class: "scale" }, h("span", null, "Q/N 0"), h("span", { class: "gradient" }), h("span", null, "1")),
    h("span", null, h("i", { class: "lg-step" }), "step (size = visits N)"),
    h("span", null, h("i", { class: "lg-passed" }), "code passed every test"),
    h("span", null, h("i", { class: "lg-failed" }), "code failed"),
    h("span", null, h("i", { class: "lg-answer" }), "chosen answer"),
    h("span", null, h("i", { class: "lg-dplus" }), "D+ path (to a passing terminal)"),
    h("span", null, h("i", { class: "lg-unvisited" }), "unvisited")
  )

const verdictsTable = (view: NodeView, entryPoint: string | null) => {
  const e = view.execution
  if (e === null) return h("p", { class: "muted", "data-execution": "none" }, view.executionNote ?? "no execution")
  return h(
    "div",
    { class: "verdicts" },
    h(
      "p",
      { class: "exec-summary" },
      h("strong", { class: e.passed === e.total && e.total > 0 ? "ok" : "bad" }, `${e.passed}/${e.total} tests passed`),
      ` · ${e.compiled ? "compiled" : "did not compile"} · ${e.ms.toFixed(0)} ms`
    ),
    h(
      "table",
      { class: "grid compact verdict-table", "data-table": "verdicts" },
      h("thead", null, h("tr", null, h("th", { class: "num" }, "#"), h("th", null, "verdict"), h("th", null, "test · origin · value seen"), h("th", { class: "num" }, "ms"))),
      h(
        "tbody",
        null,
        e.verdicts.map((v) =>
          h(
            "tr",
            { class: v.status === "passed" ? "" : "verdict-bad", "data-status": v.status },
            h("td", { class: "num" }, String(v.index + 1)),
            h("td", null, pill(v.status.replace("_", " "), v.status)),
            h(
              "td",
              null,
              v.test === null ? h("span", { class: "muted" }, "(test not stored)") : testCode(v.test, entryPoint),
              " ",
              originBadge(v.origin),
              (v.seen !== undefined || v.error !== undefined) &&
                h("div", { class: "seen" }, v.seen !== undefined ? ["seen ", h("code", null, v.seen)] : null, v.error !== undefined ? h("div", null, v.error) : null)
            ),
            h("td", { class: "num" }, v.ms.toFixed(1))
          )
        )
      )
    )
  )
}

const codeBlock = (code: string) =>
  h(
    "pre",
    { class: "code", "data-code": true },
    code.split("\n").map((line, i) => h("span", { class: "line" }, h("span", { class: "ln" }, String(i + 1)), line, "\n"))
  )

export const treePage = async (searchId: string): Promise<Page> => {
  let tree: TreeView = await api.tree(searchId)
  const collapsed = new Set<string>()
  let selected: string | null = decodeURIComponent(location.hash.slice(1)) || null
  let current: Layout | undefined
  let view: View | undefined
  let fitted = false

  const canvas = h("div", { class: "tree-canvas" })
  const panel = h("aside", { class: "node-panel", "data-panel": "node" }, h("p", { class: "muted" }, "Click a node to see its step, code and verdicts."))
  const stats = h("div", { class: "tree-stats" })
  const tooltip = h("div", { class: "tooltip", hidden: true })
  const svgEl = svg("svg", { class: "tree", "data-tree": searchId })
  const viewport = svg("g", { class: "viewport" })
  svgEl.append(viewport)
  canvas.append(svgEl, tooltip)

  const applyView = () => {
    if (view !== undefined) viewport.setAttribute("transform", `translate(${view.x} ${view.y}) scale(${view.k})`)
  }
  const fit = () => {
    if (current === undefined) return
    const w = canvas.clientWidth || 900
    const hgt = canvas.clientHeight || 560
    const k = Math.min(2, (w - 2 * PAD - 60) / Math.max(current.width, 1), (hgt - 2 * PAD - 20) / Math.max(current.height, 1))
    view = { k, x: (w - current.width * k) / 2 + 30, y: PAD }
    applyView()
  }

  const toggle = (id: string) => {
    if (collapsed.has(id)) collapsed.delete(id)
    else collapsed.add(id)
    draw()
    if (selected !== null) void select(selected, false)
  }

  const center = (id: string) => {
    const p = current?.byId.get(id)
    if (p === undefined || view === undefined) return
    const k = Math.max(view.k, 0.6)
    view = { k, x: canvas.clientWidth / 2 - p.x * k, y: canvas.clientHeight / 2 - p.y * k }
    applyView()
  }

  /** Draws the visible tree and reports how long it took (layout to painted frame). */
  const draw = () => {
    const started = performance.now()
    const laid = layout(tree.nodes, collapsed, tree.nodes.length <= LABEL_LIMIT ? 24 : 0)
    current = laid
    const dplus = new Set(tree.positivePath)
    const answer = tree.search.answer?.nodeId ?? null
    let edges = ""
    let dplusEdges = ""
    for (const p of laid.placed) {
      for (const kid of p.children) {
        const c = laid.byId.get(kid)!
        const my = (p.y + c.y) / 2
        const d = `M${p.x.toFixed(1)},${(p.y + p.r).toFixed(1)}C${p.x.toFixed(1)},${my.toFixed(1)} ${c.x.toFixed(1)},${my.toFixed(1)} ${c.x.toFixed(1)},${(c.y - c.r).toFixed(1)}`
        if (dplus.has(p.node.id) && dplus.has(kid)) dplusEdges += d
        else edges += d
      }
    }
    const labels = laid.placed.length <= LABEL_LIMIT
    const nodes = laid.placed.map((p) => {
      const n = p.node
      const shape = n.terminal
        ? svg("rect", { x: -p.r, y: -p.r, width: 2 * p.r, height: 2 * p.r, rx: 2.5, fill: nodeColour(n) })
        : svg("circle", { r: p.r, fill: nodeColour(n) })
      return svg(
        "g",
        {
          class: [nodeClass(n), n.id === answer ? "answer" : "", dplus.has(n.id) ? "dplus" : "", p.hidden > 0 ? "collapsed" : "", n.id === selected ? "selected" : ""].join(" ").trim(),
          transform: `translate(${p.x.toFixed(1)} ${p.y.toFixed(1)})`,
          "data-node-id": n.id
        },
        n.id === answer && svg("circle", { class: "halo", r: p.r + 6 }),
        shape,
        n.terminal && n.hasCode && !isPassing(n) && svg("path", { class: "cross", d: `M${-p.r * 0.55},${-p.r * 0.55}L${p.r * 0.55},${p.r * 0.55}M${p.r * 0.55},${-p.r * 0.55}L${-p.r * 0.55},${p.r * 0.55}` }),
        p.hidden > 0 && svg("text", { class: "hidden-count", x: p.r + 4, y: 4 }, `+${p.hidden}`),
        labels && n.action !== null && svg("text", { class: "action", y: p.r + 13, "text-anchor": "middle" }, n.action)
      )
    })
    const depthLabels = Array.from({ length: Math.round(laid.height / ROW) + 1 }, (_, d) =>
      svg("text", { class: "depth-label", x: -24, y: d * ROW + 4, "text-anchor": "end" }, d === 0 ? "root" : `depth ${d}`)
    )
    viewport.replaceChildren(
      svg("g", { class: "depths" }, depthLabels),
      svg("path", { class: "edges", d: edges }),
      svg("path", { class: "edges dplus", d: dplusEdges }),
      svg("g", { class: "nodes" }, nodes)
    )
    if (!fitted) {
      fit()
      if (view !== undefined && view.k < MIN_FIT) {
        const focus = laid.byId.get(answer ?? "") ?? laid.placed[laid.placed.length - 1]
        if (focus !== undefined) view = { k: READABLE, x: (canvas.clientWidth || 900) / 2 - focus.x * READABLE, y: PAD }
        applyView()
      }
      fitted = true
    } else applyView()
    // Measured to the first painted frame: the timeout queued in the frame's callback runs after the paint.
    requestAnimationFrame(() => setTimeout(() => {
      const ms = performance.now() - started
      svgEl.dataset.renderMs = ms.toFixed(1)
      svgEl.dataset.nodes = String(laid.placed.length)
      stats.textContent = `${tree.nodes.length.toLocaleString("en-US")} nodes (${laid.placed.length.toLocaleString("en-US")} shown) · drawn in ${ms.toFixed(0)} ms`
    }))
  }

  const select = async (id: string, move = true, remember = true) => {
    selected = id
    if (remember) history.replaceState(null, "", `${location.pathname}#${encodeURIComponent(id)}`)
    for (const el of viewport.querySelectorAll(".node.selected")) el.classList.remove("selected")
    viewport.querySelector(`[data-node-id="${CSS.escape(id)}"]`)?.classList.add("selected")
    if (move && current?.byId.get(id) === undefined) {
      // A node inside a collapsed branch: open the branch to show it.
      const byId = new Map(tree.nodes.map((n) => [n.id, n]))
      for (let cur = byId.get(id); cur?.parentId; cur = byId.get(cur.parentId)) collapsed.delete(cur.parentId)
      draw()
    }
    const n = await api.node(searchId, id)
    if (selected !== id) return
    const kids = current?.children.get(id)?.length ?? 0
    const hiddenUnder = collapsed.has(id) ? descendants(id, current?.children ?? new Map()) : 0
    panel.replaceChildren(
      h(
        "div",
        { "data-node": id },
      h(
        "div",
        { class: "panel-head" },
        h("h3", null, n.parentId === null ? "Root (the problem)" : `Step ${n.depth} · ${n.action ?? "?"}`),
        n.action !== null && h("div", { class: "muted" }, ACTIONS[n.action] ?? ""),
        h(
          "div",
          { class: "facts" },
          h("span", null, h("b", null, "N "), String(n.visits)),
          h("span", null, h("b", null, "Q/N "), ratio(n.value)),
          n.reward !== null && h("span", null, h("b", null, "reward "), ratio(n.reward)),
          n.total !== null && h("span", { class: n.passed === n.total && n.total > 0 ? "ok" : "bad" }, h("b", null, "tests "), `${n.passed}/${n.total}`),
          n.prior !== null && h("span", null, h("b", null, "prior "), ratio(n.prior)),
          id === tree.search.answer?.nodeId && h("span", { class: "badge answer-badge" }, "chosen answer"),
          tree.positivePath.includes(id) && h("span", { class: "badge dplus-badge" }, "on a D+ path")
        ),
        h(
          "div",
          { class: "buttons" },
          kids > 0 &&
            h(
              "button",
              { "data-action": "toggle", onclick: () => toggle(id) },
              collapsed.has(id) ? `Expand (${hiddenUnder} hidden)` : `Collapse subtree (${descendants(id, current?.children ?? new Map())} nodes)`
            ),
          n.parentId !== null && h("button", { onclick: () => void select(n.parentId!) }, "Parent"),
          h("button", { onclick: () => center(id) }, "Centre")
        )
      ),
      n.path.length > 0 &&
        h(
          "ol",
          { class: "path" },
          n.path.map((s) => h("li", { class: s.id === id ? "here" : "" }, h("a", { href: `#${encodeURIComponent(s.id)}`, onclick: (e: Event) => (e.preventDefault(), void select(s.id)) }, `${s.action ?? "?"} `, s.title)))
        ),
      n.body !== "" && n.code === null && h("div", null, h("h4", null, "Step text"), h("pre", { class: "step", "data-step": true }, n.body)),
      n.code !== null && h("div", null, h("h4", null, "Code"), codeBlock(n.code)),
      n.code !== null && h("h4", null, "Verdicts per test"),
      verdictsTable(n, tree.entryPoint)
      )
    )
  }

  // Clicks, hovers, drags and wheel zoom, delegated from the drawing.
  viewport.addEventListener("click", (e) => {
    const g = (e.target as Element).closest("[data-node-id]")
    if (g !== null) void select(g.getAttribute("data-node-id")!)
  })
  viewport.addEventListener("dblclick", (e) => {
    const g = (e.target as Element).closest("[data-node-id]")
    if (g !== null) toggle(g.getAttribute("data-node-id")!)
  })
  viewport.addEventListener("mouseover", (e) => {
    const id = (e.target as Element).closest("[data-node-id]")?.getAttribute("data-node-id")
    const p = id === undefined || id === null ? undefined : current?.byId.get(id)
    if (p === undefined) return
    const n = p.node
    tooltip.replaceChildren(
      h("strong", null, n.parentId === null ? "root" : `${n.action} · depth ${n.depth}`),
      h("div", null, n.title || "(empty)"),
      h("div", { class: "muted" }, `N ${n.visits} · Q/N ${ratio(n.value)}${n.total !== null ? ` · tests ${n.passed}/${n.total}` : ""}${p.hidden > 0 ? ` · ${p.hidden} hidden` : ""}`)
    )
    tooltip.hidden = false
  })
  viewport.addEventListener("mouseout", () => (tooltip.hidden = true))
  canvas.addEventListener("mousemove", (e) => {
    const box = canvas.getBoundingClientRect()
    tooltip.style.left = `${e.clientX - box.left + 14}px`
    tooltip.style.top = `${e.clientY - box.top + 14}px`
  })
  let drag: { x: number; y: number } | null = null
  svgEl.addEventListener("pointerdown", (e) => {
    if ((e.target as Element).closest("[data-node-id]") !== null || view === undefined) return
    drag = { x: e.clientX - view.x, y: e.clientY - view.y }
    svgEl.setPointerCapture(e.pointerId)
  })
  svgEl.addEventListener("pointermove", (e) => {
    if (drag === null || view === undefined) return
    view.x = e.clientX - drag.x
    view.y = e.clientY - drag.y
    applyView()
  })
  svgEl.addEventListener("pointerup", () => (drag = null))
  svgEl.addEventListener(
    "wheel",
    (e) => {
      if (view === undefined) return
      e.preventDefault()
      const box = svgEl.getBoundingClientRect()
      const mx = e.clientX - box.left
      const my = e.clientY - box.top
      const k = Math.min(8, Math.max(0.02, view.k * Math.exp(-e.deltaY * 0.0015)))
      view = { k, x: mx - ((mx - view.x) * k) / view.k, y: my - ((my - view.y) * k) / view.k }
      applyView()
    },
    { passive: false }
  )
  const zoom = (f: number) => () => {
    if (view === undefined) return
    const cx = canvas.clientWidth / 2
    const cy = canvas.clientHeight / 2
    const k = view.k * f
    view = { k, x: cx - ((cx - view.x) * k) / view.k, y: cy - ((cy - view.y) * k) / view.k }
    applyView()
  }

  const s = () => tree.search
  const head = h("div", null)
  const drawHead = () =>
    head.replaceChildren(
      header(
        h("span", null, "Search tree ", pill(s().status), s().solved ? h("span", { class: "badge dplus-badge" }, "solved") : null),
        h(
          "span",
          null,
          link(href.problem(s().problemId), s().problemId),
          ` · ${tree.problemTitle}`,
          h("br"),
          h("span", { class: "mono" }, s().id),
          s().runId !== null ? [" · run ", link(href.run(s().runId!), s().runId!), ` round ${s().round}`] : null,
          ` · ${s().rolloutsDone} rollouts · ${compact(s().tokens)} tokens · ${s().executions} executions · ${duration(s().seconds)}`
        ),
        live.badge
      )
    )
  const live = follow(`/api/searches/${encodeURIComponent(searchId)}/events`, tree.live, async () => {
    tree = await api.tree(searchId)
    drawHead()
    draw()
  })
  drawHead()

  const toolbar = h(
    "div",
    { class: "toolbar" },
    h("button", { onclick: fit }, "Fit"),
    h("button", { onclick: zoom(1.4) }, "+"),
    h("button", { onclick: zoom(1 / 1.4) }, "−"),
    h(
      "button",
      {
        onclick: () => {
          collapsed.clear()
          draw()
        }
      },
      "Expand all"
    ),
    tree.search.answer !== null &&
      h(
        "button",
        {
          "data-action": "answer",
          onclick: () => {
            const id = tree.search.answer?.nodeId
            if (id) void select(id).then(() => center(id))
          }
        },
        "Show the answer"
      ),
    stats
  )

  const node = h(
    "div",
    { "data-page": "tree" },
    head,
    legend(),
    h("div", { class: "tree-layout" }, h("div", { class: "tree-main card" }, toolbar, canvas), panel)
  )
  // Drawn once the page is in the document (the fit needs the canvas size).
  requestAnimationFrame(() => {
    draw()
    // The node in the address, else the chosen answer: its code and verdicts are the first thing to read.
    const first = selected !== null && tree.nodes.some((n) => n.id === selected) ? selected : tree.search.answer?.nodeId
    if (first !== undefined) void select(first, true, false)
  })
  return { title: `tree ${searchId}`, node, dispose: live.close }
}

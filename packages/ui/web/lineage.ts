import type { RunPage, VersionView } from "./api.ts"
import { h, svg } from "./dom.ts"
import { shortId } from "./format.ts"

/**
 * The model versions of a run as a graph: a column per round, a row per role, an arrow from each
 * version to the one trained from it; each box says which job trained it on which datasets.
 */
const ROLES = ["policy", "prm", "tcg"] as const
const BOX_W = 270
const BOX_H = 62
const COL = 340
const ROW = 84

export const lineage = (page: RunPage): HTMLElement => {
  const versions = page.versions
  if (versions.length === 0) return h("p", { class: "muted" }, "No model versions yet.")
  const rounds = [...new Set(versions.map((v) => v.round ?? 0))].sort((a, b) => a - b)
  const roles = [...ROLES.filter((r) => versions.some((v) => v.role === r)), ...new Set(versions.map((v) => v.role).filter((r) => !(ROLES as ReadonlyArray<string>).includes(r)))]
  // Versions of one (round, role) stack inside their row.
  const slots = new Map<string, number>()
  const rowsOf = new Map<string, number>()
  for (const role of roles) {
    const most = Math.max(...rounds.map((r) => versions.filter((v) => v.role === role && (v.round ?? 0) === r).length))
    rowsOf.set(role, Math.max(1, most))
  }
  const rowTop = new Map<string, number>()
  let acc = 30
  for (const role of roles) {
    rowTop.set(role, acc)
    acc += rowsOf.get(role)! * ROW
  }
  const pos = new Map<string, { x: number; y: number }>()
  for (const v of versions) {
    const key = `${v.round ?? 0}/${v.role}`
    const i = slots.get(key) ?? 0
    slots.set(key, i + 1)
    pos.set(v.id, { x: 20 + rounds.indexOf(v.round ?? 0) * COL, y: rowTop.get(v.role)! + i * ROW })
  }
  const width = 40 + (rounds.length - 1) * COL + BOX_W
  const height = acc
  const datasetLabel = (id: string) => {
    const d = page.datasets.find((x) => x.id === id)
    return d === undefined ? shortId(id, 18) : `${d.kind} (${d.rows} rows)`
  }
  const jobOf = (v: VersionView) => page.jobs.find((j) => j.id === v.jobId)
  const edges = versions.flatMap((v): Array<SVGElement> => {
    const from = v.parentId === null ? undefined : pos.get(v.parentId)
    const to = pos.get(v.id)
    if (from === undefined || to === undefined) return []
    const x1 = from.x + BOX_W
    const y1 = from.y + BOX_H / 2
    const x2 = to.x
    const y2 = to.y + BOX_H / 2
    const mx = (x1 + x2) / 2
    return [svg("path", { class: "edge", d: `M${x1},${y1} C${mx},${y1} ${mx},${y2} ${x2 - 6},${y2}`, "marker-end": "url(#arrow)" })]
  })
  /** How a version came to be: the job's stage and the datasets it read, or the spec of a base model. */
  const origin = (v: VersionView) => {
    const job = jobOf(v)
    if (v.jobId === null) return `base · ${shortId(v.spec, 34)}`
    return `trained by the ${job?.stage ?? "?"} job${v.datasets.length > 0 ? ` on ${v.datasets.map(datasetLabel).join(", ")}` : ""}`
  }
  return h(
    "div",
    { class: "lineage-wrap" },
    svg(
      "svg",
      { class: "lineage", viewBox: `0 0 ${width} ${height}`, width, height, role: "img", "aria-label": "model version lineage" },
      svg("defs", null, svg("marker", { id: "arrow", viewBox: "0 0 10 10", refX: 8, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" }, svg("path", { d: "M0,0 L10,5 L0,10 z" }))),
      rounds.map((r, i) => svg("text", { class: "col-label", x: 20 + i * COL + BOX_W / 2, y: 16, "text-anchor": "middle" }, r === 0 ? "base (round 0)" : `after round ${r}`)),
      edges,
      versions.map((v) => {
        const p = pos.get(v.id)!
        return svg(
          "g",
          { class: `version role-${v.role}`, transform: `translate(${p.x} ${p.y})`, "data-version": v.id },
          svg("title", null, `${v.id}\n${v.spec}${v.jobId ? `\njob ${v.jobId}` : ""}`),
          svg("rect", { width: BOX_W, height: BOX_H, rx: 8 }),
          svg("text", { class: "role", x: 12, y: 18 }, v.role),
          svg("text", { class: "vid", x: 12, y: 36 }, shortId(v.id, 36)),
          svg("text", { class: "origin", x: 12, y: 53 }, origin(v))
        )
      })
    )
  )
}

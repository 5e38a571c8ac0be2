import { h, svg } from "./dom.ts"

/** Per-round line charts in SVG: axes with ticks and labels, one point per round that has a value. */

export interface ChartSpec {
  readonly title: string
  /** Names the chart for tests and styles (`data-metric`). */
  readonly metric: string
  readonly yLabel: string
  readonly rounds: ReadonlyArray<number>
  readonly values: ReadonlyArray<number | null>
  readonly format: (v: number) => string
  /** Fixed top of the y axis (1 for ratios); otherwise from the data. */
  readonly yMax?: number
}

const W = 360
const H = 200
const M = { left: 48, right: 16, top: 16, bottom: 40 }

/** 4-6 round numbers covering [0, max]. */
export const niceTicks = (max: number): Array<number> => {
  if (!(max > 0)) return [0, 1]
  const rough = max / 4
  const pow = 10 ** Math.floor(Math.log10(rough))
  const step = [1, 2, 2.5, 5, 10].map((m) => m * pow).find((s) => s >= rough) ?? 10 * pow
  const ticks: Array<number> = []
  for (let v = 0; v < max + step * 0.999; v += step) ticks.push(Number(v.toPrecision(12)))
  return ticks
}

export const lineChart = (spec: ChartSpec): HTMLElement => {
  const present = spec.values.filter((v): v is number => v !== null)
  const ticks = spec.yMax !== undefined ? niceTicks(spec.yMax) : niceTicks(Math.max(0, ...present))
  const top = ticks[ticks.length - 1]!
  const pw = W - M.left - M.right
  const ph = H - M.top - M.bottom
  const first = spec.rounds[0] ?? 0
  const last = spec.rounds[spec.rounds.length - 1] ?? 0
  const x = (round: number) => M.left + (last === first ? pw / 2 : ((round - first) / (last - first)) * pw)
  const y = (v: number) => M.top + ph - (v / top) * ph
  const points = spec.rounds.flatMap((round, i) => {
    const v = spec.values[i]
    return v === null || v === undefined ? [] : [{ round, v }]
  })
  // Breaks in the line where a round has no value yet.
  let d = ""
  spec.rounds.forEach((round, i) => {
    const v = spec.values[i]
    if (v === null || v === undefined) return
    d += `${i > 0 && spec.values[i - 1] !== null ? "L" : "M"}${x(round).toFixed(1)},${y(v).toFixed(1)}`
  })
  const area =
    points.length > 1
      ? `M${x(points[0]!.round)},${y(0)}${points.map((p) => `L${x(p.round).toFixed(1)},${y(p.v).toFixed(1)}`).join("")}L${x(points[points.length - 1]!.round)},${y(0)}Z`
      : ""
  const labels = points.length <= 12
  return h(
    "figure",
    { class: "chart", "data-metric": spec.metric },
    h("figcaption", null, spec.title),
    svg(
      "svg",
      { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": `${spec.title} by round` },
      // y grid, ticks and labels
      ticks.map((t) =>
        svg(
          "g",
          { class: "tick" },
          svg("line", { x1: M.left, x2: W - M.right, y1: y(t), y2: y(t), class: t === 0 ? "axis" : "grid" }),
          svg("text", { x: M.left - 6, y: y(t) + 4, "text-anchor": "end" }, spec.format(t))
        )
      ),
      // x ticks and labels
      spec.rounds.map((round) =>
        svg(
          "g",
          { class: "tick" },
          svg("line", { x1: x(round), x2: x(round), y1: M.top + ph, y2: M.top + ph + 5, class: "axis" }),
          svg("text", { x: x(round), y: M.top + ph + 18, "text-anchor": "middle" }, String(round))
        )
      ),
      svg("line", { x1: M.left, x2: M.left, y1: M.top, y2: M.top + ph, class: "axis" }),
      svg("text", { class: "axis-label", x: M.left + pw / 2, y: H - 4, "text-anchor": "middle" }, "round"),
      svg(
        "text",
        { class: "axis-label", transform: `translate(12 ${M.top + ph / 2}) rotate(-90)`, "text-anchor": "middle" },
        spec.yLabel
      ),
      area !== "" && svg("path", { d: area, class: "area" }),
      svg("path", { d, class: "line" }),
      points.map((p) =>
        svg(
          "g",
          null,
          svg(
            "circle",
            { class: "point", cx: x(p.round), cy: y(p.v), r: 4.5, "data-round": p.round, "data-value": p.v },
            svg("title", null, `round ${p.round}: ${spec.format(p.v)}`)
          ),
          // Above the point, or below it near the top of the plot.
          labels && svg("text", { class: "point-label", x: x(p.round), y: y(p.v) - M.top < 16 ? y(p.v) + 18 : y(p.v) - 9, "text-anchor": "middle" }, spec.format(p.v))
        )
      )
    )
  )
}

/** Number, ratio, duration and date formats of the UI. */

export const int = (n: number | null | undefined) => (n === null || n === undefined ? "–" : Math.round(n).toLocaleString("en-US"))

export const ratio = (x: number | null | undefined, digits = 3) => (x === null || x === undefined ? "–" : x.toFixed(digits))

export const percent = (x: number | null | undefined) => (x === null || x === undefined ? "–" : `${(100 * x).toFixed(1)}%`)

export const compact = (n: number | null | undefined) => {
  if (n === null || n === undefined) return "–"
  const a = Math.abs(n)
  if (a >= 1e9) return `${(n / 1e9).toFixed(a >= 1e10 ? 0 : 1)}G`
  if (a >= 1e6) return `${(n / 1e6).toFixed(a >= 1e7 ? 0 : 1)}M`
  if (a >= 1e4) return `${(n / 1e3).toFixed(a >= 1e5 ? 0 : 1)}k`
  if (Number.isInteger(n)) return n.toLocaleString("en-US")
  return a >= 100 ? n.toFixed(0) : a >= 10 ? n.toFixed(1) : n.toFixed(2)
}

export const duration = (seconds: number | null | undefined) => {
  if (seconds === null || seconds === undefined) return "–"
  const s = Math.round(seconds)
  if (s < 60) return `${seconds < 10 ? seconds.toFixed(1) : s}s`
  const m = Math.floor(s / 60)
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, "0")}s`
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, "0")}m`
}

export const date = (iso: string) => {
  const d = new Date(iso)
  const pad = (n: number) => String(n).padStart(2, "0")
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`
}

/** A long id shortened in the middle, for tight places (the full id goes in the title). */
export const shortId = (id: string, max = 28) => (id.length <= max ? id : `${id.slice(0, max - 9)}…${id.slice(-8)}`)

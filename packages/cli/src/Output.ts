import { Console, Effect } from "effect"

/** Output conventions of every command: an aligned table for people, `--json` for programs. */

export type Cell = string | number | boolean | null | undefined | Date | bigint

export const formatCell = (value: Cell): string => {
  if (value === null || value === undefined) return ""
  if (value instanceof Date) return value.toISOString().replace("T", " ").slice(0, 19)
  if (typeof value === "number") {
    if (Number.isInteger(value)) return String(value)
    return Math.abs(value) >= 1000 ? value.toFixed(0) : value.toFixed(3)
  }
  return String(value)
}

const isNumeric = (value: Cell) => typeof value === "number" || typeof value === "bigint"

/** Renders rows as an aligned text table (numbers right-aligned), columns in the order given. */
export const renderTable = (rows: ReadonlyArray<Record<string, unknown>>, columns?: ReadonlyArray<string>): string => {
  const cols = columns ?? (rows.length > 0 ? Object.keys(rows[0]!) : [])
  if (cols.length === 0) return "(no rows)"
  const cells = rows.map((row) =>
    cols.map((c) => {
      const v = row[c]
      return typeof v === "object" && v !== null && !(v instanceof Date) ? JSON.stringify(v) : formatCell(v as Cell)
    })
  )
  const widths = cols.map((c, i) => Math.min(80, Math.max(c.length, ...cells.map((r) => r[i]!.length))))
  const numeric = cols.map((c) => rows.length > 0 && rows.every((r) => r[c] === null || r[c] === undefined || isNumeric(r[c] as Cell)))
  const fit = (s: string, i: number) => {
    const t = s.length > widths[i]! ? s.slice(0, widths[i]! - 1) + "…" : s
    return numeric[i] ? t.padStart(widths[i]!) : t.padEnd(widths[i]!)
  }
  const line = (r: ReadonlyArray<string>) => r.map(fit).join("  ").replace(/\s+$/, "")
  const header = line(cols)
  const rule = widths.map((w) => "-".repeat(w)).join("  ")
  const body = cells.map((r) => line(r.map((s) => s.replace(/\n/g, "⏎"))))
  return [header, rule, ...body, `(${rows.length} row${rows.length === 1 ? "" : "s"})`].join("\n")
}

export const toJson = (value: unknown): string =>
  JSON.stringify(value, (_k, v) => (typeof v === "bigint" ? v.toString() : v), 2)

export const printTable = (rows: ReadonlyArray<Record<string, unknown>>, columns?: ReadonlyArray<string>) =>
  Console.log(renderTable(rows, columns))

export const printJson = (value: unknown) => Console.log(toJson(value))

/** Prints `value` as JSON when `json` is set, else runs `human`. */
export const output = (json: boolean, value: unknown, human: Effect.Effect<void>) =>
  json ? printJson(value) : human

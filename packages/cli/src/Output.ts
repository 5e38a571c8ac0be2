import { Console, Context, Effect } from "effect"
import { fitWidth } from "./Progress.ts"

/** Output conventions of every command: an aligned table for people, `--json` for programs. */

export type Cell = string | number | boolean | null | undefined | Date | bigint

/**
 * How wide tables may be: the terminal's width (80 when stdout is not a terminal), or unlimited
 * with the global `--wide` option. Set once by main.
 */
export class TableLayout extends Context.Reference<TableLayout>()("o1coder/cli/TableLayout", {
  defaultValue: (): { readonly width: number | undefined } => ({ width: 80 })
}) {}

/** What a column's metric means, printed under the table for the columns shown. */
export type Legend = Readonly<Record<string, string>>

export const formatCell = (value: Cell): string => {
  if (value === null || value === undefined) return ""
  if (value instanceof Date) return value.toISOString().replace("T", " ").slice(0, 19)
  if (typeof value === "number") {
    if (Number.isInteger(value)) return String(value)
    return Math.abs(value) >= 1000 ? value.toFixed(0) : value.toFixed(3)
  }
  return String(value)
}

const isNumeric = (value: unknown) => typeof value === "number" || typeof value === "bigint"
const textOf = (v: unknown) =>
  (typeof v === "object" && v !== null && !(v instanceof Date) ? JSON.stringify(v) : formatCell(v as Cell)).replace(/\n/g, "⏎")

/** A cell wider than this is cut (the full value is in `--json`). */
const MAX_CELL = 60
const GAP = 2

/** Words wrapped to `width` columns, each line prefixed with `indent` (a longer word is cut). */
export const wrap = (text: string, width: number, indent = ""): Array<string> => {
  const room = Math.max(10, width - indent.length)
  const words = text
    .split(/\s+/)
    .filter((w) => w !== "")
    .flatMap((w) => (w.length <= room ? [w] : Array.from({ length: Math.ceil(w.length / room) }, (_, i) => w.slice(i * room, (i + 1) * room))))
  const lines: Array<string> = []
  let line = ""
  for (const word of words) {
    if (line !== "" && indent.length + line.length + 1 + word.length > width) {
      lines.push(indent + line)
      line = word
    } else line = line === "" ? word : `${line} ${word}`
  }
  if (line !== "") lines.push(indent + line)
  return lines
}

export interface TableOptions {
  /** Maximum line width; `undefined` for no limit (`--wide`). */
  readonly width?: number | undefined
  readonly legend?: Legend | undefined
}

/**
 * Renders rows as an aligned text table (numbers right-aligned), columns in the order given, which
 * is also their priority: columns that do not fit the width are left out and named under the
 * table (`--wide` shows them). A single row too wide for a table is printed as `name  value` lines.
 */
export const renderTable = (
  rows: ReadonlyArray<Record<string, unknown>>,
  columns?: ReadonlyArray<string>,
  options: TableOptions = {}
): string => {
  const cols = columns ?? (rows.length > 0 ? Object.keys(rows[0]!) : [])
  if (cols.length === 0 || rows.length === 0) return "(no rows)"
  const width = options.width
  const cells = rows.map((row) => cols.map((c) => textOf(row[c])))
  const natural = cols.map((c, i) => Math.max(c.length, ...cells.map((r) => Math.min(MAX_CELL, r[i]!.length))))
  const numeric = cols.map((c) => rows.every((r) => r[c] === null || r[c] === undefined || isNumeric(r[c])))

  // Columns in priority order while they fit; a text column may take the rest of the line, cut.
  const shown: Array<{ index: number; width: number }> = []
  let used = 0
  for (let i = 0; i < cols.length; i++) {
    const need = natural[i]! + (shown.length > 0 ? GAP : 0)
    if (width === undefined || used + need <= width) {
      shown.push({ index: i, width: natural[i]! })
      used += need
    } else {
      const room = width - used - (shown.length > 0 ? GAP : 0)
      if (!numeric[i] && room >= Math.max(cols[i]!.length, 12)) {
        shown.push({ index: i, width: room })
        used = width
      }
    }
  }
  const hidden = cols.filter((_, i) => !shown.some((s) => s.index === i))
  if (rows.length === 1 && hidden.length > 0) {
    return [renderRecord(rows[0]!, cols, width ?? 200), ...legendLines(options.legend, cols, width ?? 80)].join("\n")
  }

  const fit = (s: string, { index, width: w }: { index: number; width: number }) => {
    const t = fitWidth(s, w)
    return numeric[index] ? t.padStart(w) : t.padEnd(w)
  }
  const line = (r: ReadonlyArray<string>) => shown.map((s) => fit(r[s.index]!, s)).join(" ".repeat(GAP)).trimEnd()
  const out = [line(cols), shown.map((s) => "-".repeat(s.width)).join(" ".repeat(GAP)), ...cells.map(line)]
  out.push(`(${rows.length} row${rows.length === 1 ? "" : "s"})`)
  if (hidden.length > 0) out.push(...wrap(`not shown, to fit ${width} columns: ${hidden.join(", ")} (--wide shows every column)`, width ?? 80))
  return [...out, ...legendLines(options.legend, shown.map((s) => cols[s.index]!), width ?? 80)].join("\n")
}

/** One record as aligned `name  value` lines, long values wrapped under their start. */
export const renderRecord = (row: Record<string, unknown>, columns: ReadonlyArray<string>, width: number): string => {
  const pad = Math.max(...columns.map((c) => c.length)) + GAP
  return columns
    .flatMap((c) => {
      const text = textOf(row[c])
      const room = Math.max(20, width - pad)
      const parts = text.length <= room ? [text] : Array.from({ length: Math.ceil(text.length / room) }, (_, i) => text.slice(i * room, (i + 1) * room))
      return parts.map((p, i) => `${i === 0 ? c.padEnd(pad) : " ".repeat(pad)}${p}`.trimEnd())
    })
    .join("\n")
}

const legendLines = (legend: Legend | undefined, shown: ReadonlyArray<string>, width: number): Array<string> => {
  const entries = shown.filter((c) => legend?.[c] !== undefined)
  if (entries.length === 0) return []
  const pad = Math.max(...entries.map((c) => c.length)) + GAP
  return entries.flatMap((c) => {
    const [first, ...rest] = wrap(legend![c]!, width - pad)
    return [`${c.padEnd(pad)}${first ?? ""}`, ...rest.map((l) => " ".repeat(pad) + l)]
  })
}

export const toJson = (value: unknown): string =>
  JSON.stringify(value, (_k, v) => (typeof v === "bigint" ? v.toString() : v), 2)

/** The table at the width of the terminal (or `--wide`). */
export const tableText = (rows: ReadonlyArray<Record<string, unknown>>, columns?: ReadonlyArray<string>, legend?: Legend) =>
  Effect.map(TableLayout, ({ width }) => renderTable(rows, columns, { width, legend }))

export const printTable = (rows: ReadonlyArray<Record<string, unknown>>, columns?: ReadonlyArray<string>, legend?: Legend) =>
  Effect.flatMap(tableText(rows, columns, legend), Console.log)

export const printJson = (value: unknown) => Console.log(toJson(value))

/** Prints `value` as JSON when `json` is set, else runs `human`. */
export const output = <E, R>(json: boolean, value: unknown, human: Effect.Effect<void, E, R>) =>
  json ? printJson(value) : human

import type { SqlError } from "@effect/sql/SqlError"
import { Schema } from "effect"

/** What the database itself said about a failed statement (Postgres and PGlite report the same fields). */
export interface DatabaseMessage {
  readonly sqlstate: string | undefined
  readonly message: string
  /** 1-based character offset into the statement, when the error points at one. */
  readonly position: number | undefined
  readonly detail: string | undefined
  readonly hint: string | undefined
}

const text = (v: unknown) => (typeof v === "string" && v !== "" ? v : undefined)

/** The database's message inside a SqlError (its `cause`), or in a driver error itself. */
export const databaseMessage = (error: unknown): DatabaseMessage | undefined => {
  // By tag, not instanceof: the CLI's error report reads this without loading @effect/sql.
  const tagged = typeof error === "object" && error !== null && (error as { _tag?: unknown })._tag === "SqlError"
  const e = tagged ? (error as { cause?: unknown }).cause : error
  if (typeof e !== "object" || e === null) return undefined
  const fields = e as Record<string, unknown>
  const message = text(fields.message)
  const sqlstate = text(fields.code)
  if (message === undefined || sqlstate === undefined || !/^[0-9A-Z]{5}$/.test(sqlstate)) return undefined
  const position = Number(fields.position)
  return { sqlstate, message, position: Number.isFinite(position) && position > 0 ? position : undefined, detail: text(fields.detail), hint: text(fields.hint) }
}

/** The statement's line holding `position`, with a caret under it. */
const pointAt = (statement: string, position: number): Array<string> => {
  const before = statement.slice(0, position - 1)
  const start = before.lastIndexOf("\n") + 1
  const end = statement.indexOf("\n", start)
  const line = statement.slice(start, end === -1 ? undefined : end)
  return [`  ${line}`, `  ${" ".repeat(position - 1 - start)}^`]
}

/** `SQLSTATE 42601: syntax error at or near "selec" (position 1)`, the line with a caret, detail and hint. */
export const describeDatabaseMessage = (m: DatabaseMessage, statement?: string): string =>
  [
    `SQLSTATE ${m.sqlstate}: ${m.message}${m.position !== undefined ? ` (position ${m.position})` : ""}`,
    ...(m.position !== undefined && statement !== undefined ? pointAt(statement, m.position) : []),
    ...(m.detail !== undefined ? [`detail: ${m.detail}`] : []),
    ...(m.hint !== undefined ? [`hint: ${m.hint}`] : [])
  ].join("\n")

/** A statement the database refused, with the database's own words. */
export class QueryFailed extends Schema.TaggedError<QueryFailed>()("QueryFailed", {
  sqlstate: Schema.optional(Schema.String),
  reason: Schema.String,
  cause: Schema.optional(Schema.Defect)
}) {
  override get message(): string {
    return this.reason
  }
}

/** A SqlError as the user should read it: the database's message when there is one. */
export const queryFailed = (error: SqlError, statement?: string): QueryFailed => {
  const m = databaseMessage(error)
  return new QueryFailed({
    sqlstate: m?.sqlstate,
    reason: m !== undefined ? describeDatabaseMessage(m, statement) : error.message,
    cause: error
  })
}

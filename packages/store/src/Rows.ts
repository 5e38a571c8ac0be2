import { Cause, Effect, ParseResult, Schema } from "effect"

const snakeCase = (field: string) => field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)

/**
 * The select list that reads a row schema's fields from their snake_case columns: `problemId`
 * from `problem_id as "problemId"`. `expressions` gives the SQL of fields that are not plain
 * columns (casts, aggregates); `table` qualifies the plain columns (`s.problem_id`). Every
 * repository selects through this, so a row's schema names what is read and how it decodes.
 */
export const selectList = (
  fields: Schema.Struct.Fields,
  options: { readonly expressions?: Readonly<Record<string, string>>; readonly table?: string } = {}
): string =>
  Object.keys(fields)
    .map((field) => {
      const expression = options.expressions?.[field]
      if (expression !== undefined) return `${expression} as "${field}"`
      const column = `${options.table !== undefined ? `${options.table}.` : ""}${snakeCase(field)}`
      return snakeCase(field) === field && options.table === undefined ? column : `${column} as "${field}"`
    })
    .join(", ")

const isBadRows = (e: unknown): e is ParseResult.ParseError | Cause.NoSuchElementException =>
  ParseResult.isParseError(e) || Cause.isNoSuchElementException(e)

/**
 * A stored row that does not decode, or no row from a query that always returns one (a count), is
 * a defect (the table and the row's schema disagree), in every repository alike: callers see the
 * SQL errors and NotFound, never a ParseError.
 */
export const orDieOnBadRows = <A, E, R>(self: Effect.Effect<A, E, R>) =>
  Effect.catchIf(self, (e): e is Extract<E, ParseResult.ParseError | Cause.NoSuchElementException> => isBadRows(e), Effect.die)

/** The row of a `count(*)::int as n` query. */
export const Count = Schema.Struct({ n: Schema.Number })

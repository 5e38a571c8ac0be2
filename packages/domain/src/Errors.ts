import { Schema } from "effect"

/** A record of an input file that could not be used: names the file, line and field. */
export class InputError extends Schema.TaggedError<InputError>()("InputError", {
  file: Schema.String,
  line: Schema.optional(Schema.Number),
  field: Schema.optional(Schema.String),
  reason: Schema.String
}) {
  override get message(): string {
    const where = [this.file, this.line !== undefined ? `line ${this.line}` : undefined, this.field]
      .filter((x) => x !== undefined)
      .join(": ")
    return `${where}: ${this.reason}`
  }
}

export class NotFound extends Schema.TaggedError<NotFound>()("NotFound", {
  what: Schema.String,
  id: Schema.String,
  /** What does exist (e.g. the runs in the store), for the message; absent when not looked up. */
  known: Schema.optional(Schema.Array(Schema.String)),
  /** How many more exist than `known` names. */
  more: Schema.optional(Schema.Number)
}) {
  override get message(): string {
    const base = `${this.what} not found: ${this.id}`
    if (this.known === undefined) return base
    if (this.known.length === 0) return `${base} (the store has none)`
    const more = (this.more ?? 0) + Math.max(0, this.known.length - 12)
    return `${base}; the store has: ${this.known.slice(0, 12).join(", ")}${more > 0 ? `, and ${more} more` : ""}`
  }
}

/** One line for any failure: an Error's message (tagged errors build theirs), else a `reason` field, else its text. */
export const describeError = (e: unknown): string => {
  if (e instanceof Error) return e.message
  if (typeof e === "object" && e !== null && "reason" in e) return String(e.reason)
  return String(e)
}

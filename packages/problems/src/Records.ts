import { InputError, Problem } from "@o1coder/domain"
import type { ProblemRecord } from "@o1coder/store/ProblemsRepo"
import { Effect, Either, ParseResult, Schema } from "effect"
import * as NodeFs from "node:fs"
import * as NodeZlib from "node:zlib"
import { JsonSyntaxError, parseRawJson, type RawJson, toPlain } from "./Json.ts"

/** Records skipped on purpose (not errors), grouped by reason. */
export interface Skipped {
  readonly reason: string
  readonly count: number
}

/** What reading one benchmark file gives: the problems, the rejected records, the skipped ones. */
export interface ParsedFile {
  readonly file: string
  readonly problems: ReadonlyArray<ProblemRecord>
  readonly rejected: ReadonlyArray<InputError>
  readonly skipped: ReadonlyArray<Skipped>
}

/** One record of a file with its 1-based line (the line its JSON value starts on). */
export interface RawRecord {
  readonly line: number
  readonly value: RawJson
}

/** What a format makes of one decoded record. */
export type Conversion =
  | { readonly _tag: "problem"; readonly problem: Problem }
  | { readonly _tag: "skip"; readonly reason: string }
  | { readonly _tag: "reject"; readonly field: string; readonly reason: string }

export const skip = (reason: string): Conversion => ({ _tag: "skip", reason })
export const reject = (field: string, reason: string): Conversion => ({ _tag: "reject", field, reason })

const readText = (file: string): Effect.Effect<string, InputError> =>
  Effect.try({
    try: () => {
      const bytes = NodeFs.readFileSync(file)
      return (file.endsWith(".gz") ? NodeZlib.gunzipSync(bytes) : bytes).toString("utf8")
    },
    catch: (e) => new InputError({ file, reason: `cannot read: ${(e as Error).message}` })
  })

/** One JSON value per non-blank line; a line that is not JSON becomes an InputError naming it. */
export const readJsonLines = (file: string) =>
  Effect.map(readText(file), (text) => {
    const records: Array<RawRecord> = []
    const rejected: Array<InputError> = []
    text.split("\n").forEach((lineText, index) => {
      if (lineText.trim() === "") return
      try {
        records.push({ line: index + 1, value: parseRawJson(lineText) })
      } catch (e) {
        const reason = e instanceof JsonSyntaxError ? e.message : String(e)
        rejected.push(new InputError({ file, line: index + 1, reason: `invalid JSON: ${reason}` }))
      }
    })
    return { records, rejected }
  })

/** A file holding one JSON array of records; each record's line is where its value starts. */
export const readJsonArray = (file: string) =>
  Effect.map(readText(file), (text) => {
    const lineOf = (position: number) => text.slice(0, position).split("\n").length
    try {
      const starts: Array<number> = []
      const value = parseRawJson(text, starts)
      if (!Array.isArray(value)) {
        return { records: [], rejected: [new InputError({ file, line: 1, reason: "expected a JSON array of records" })] }
      }
      return { records: value.map((v, i) => ({ line: lineOf(starts[i]!), value: v })), rejected: [] }
    } catch (e) {
      const err = e as JsonSyntaxError
      return { records: [], rejected: [new InputError({ file, line: lineOf(err.position ?? 0), reason: `invalid JSON: ${err.message}` })] }
    }
  })

/** JSON Lines, or one JSON array when the file's first non-blank character is `[`. */
export const readJsonRecords = (file: string) =>
  Effect.flatMap(readText(file), (text) => (text.trimStart().startsWith("[") ? readJsonArray(file) : readJsonLines(file)))

/** The first decoding problem as (field path, message). */
const firstIssue = (error: ParseResult.ParseError): { readonly field: string; readonly reason: string } => {
  const issue = ParseResult.ArrayFormatter.formatErrorSync(error)[0]
  if (issue === undefined) return { field: "", reason: error.message }
  const field = issue.path.map(String).join(".")
  return { field, reason: issue._tag === "Missing" ? "is missing" : issue.message }
}

/**
 * Decodes every record with `schema` and converts it; invalid records become InputErrors with
 * file, line and field; duplicate ids are rejected after the first.
 */
export const convertRecords = <A, I>(
  file: string,
  input: { readonly records: ReadonlyArray<RawRecord>; readonly rejected: ReadonlyArray<InputError> },
  schema: Schema.Schema<A, I>,
  convert: (record: A, raw: RawRecord) => Conversion
): ParsedFile => {
  const decode = Schema.decodeUnknownEither(schema, { errors: "first", onExcessProperty: "ignore" })
  const problems: Array<ProblemRecord> = []
  const rejected: Array<InputError> = [...input.rejected]
  const skipped = new Map<string, number>()
  const firstLine = new Map<string, { readonly line: number; readonly encoded: string }>()
  for (const raw of input.records) {
    const decoded = decode(toPlain(raw.value))
    if (Either.isLeft(decoded)) {
      const { field, reason } = firstIssue(decoded.left)
      rejected.push(new InputError({ file, line: raw.line, ...(field !== "" ? { field } : {}), reason }))
      continue
    }
    let result: Conversion
    try {
      result = convert(decoded.right, raw)
    } catch (e) {
      result = reject("", e instanceof ParseResult.ParseError ? firstIssue(e).reason : String((e as Error)?.message ?? e))
    }
    if (result._tag === "skip") skipped.set(result.reason, (skipped.get(result.reason) ?? 0) + 1)
    else if (result._tag === "reject") {
      rejected.push(new InputError({ file, line: raw.line, ...(result.field !== "" ? { field: result.field } : {}), reason: result.reason }))
    } else {
      const seen = firstLine.get(result.problem.id)
      if (seen !== undefined) {
        // A repeated identical record (APPS's vendored file has three) is skipped; a clash is an error.
        if (encodeProblem(result.problem) === seen.encoded) {
          const reason = "identical repeat of an earlier record (same id and content)"
          skipped.set(reason, (skipped.get(reason) ?? 0) + 1)
        } else {
          rejected.push(new InputError({ file, line: raw.line, field: "id", reason: `duplicate id ${result.problem.id} with different content (first on line ${seen.line})` }))
        }
        continue
      }
      firstLine.set(result.problem.id, { line: raw.line, encoded: encodeProblem(result.problem) })
      problems.push({ problem: result.problem, sourceFile: file, sourceLine: raw.line })
    }
  }
  rejected.sort((a, b) => (a.line ?? 0) - (b.line ?? 0))
  return { file, problems, rejected, skipped: [...skipped].map(([reason, count]) => ({ reason, count })) }
}

const encodeProblem = (p: Problem): string => JSON.stringify(Schema.encodeSync(Problem)(p))

/** The raw (number-preserving) value of a field of a record. */
export const rawField = (raw: RawRecord, field: string): RawJson | undefined =>
  typeof raw.value === "object" && raw.value !== null && !Array.isArray(raw.value)
    ? (raw.value as { readonly [k: string]: RawJson })[field]
    : undefined

/** MBPP's split by task number: 1-10 prompt, 11-510 test, 511-600 validation, 601-974 train. */
export const mbppSplit = (task: number): string =>
  task <= 10 ? "prompt" : task <= 510 ? "test" : task <= 600 ? "validation" : "train"

/** Normalises CRLF (MBPP's code) to LF. */
export const lf = (text: string): string => text.replace(/\r\n?/g, "\n")

/** The `def name(...):` line(s) of `name` in `code`, if present. */
export const signatureOf = (code: string, name: string | undefined): string | undefined => {
  if (name === undefined) return undefined
  const m = new RegExp(`^[ \\t]*(?:async\\s+)?def\\s+${name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\s*\\([^]*?\\)[^:\\n]*:`, "m").exec(code)
  return m?.[0].trim()
}

/** The first `def` name of `code`. */
export const firstDefName = (code: string): string | undefined => /^\s*def\s+([A-Za-z_]\w*)\s*\(/m.exec(code)?.[1]

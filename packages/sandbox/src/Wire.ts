import type { PyValue } from "@o1coder/domain"
import { Either, ParseResult, Schema } from "effect"

/**
 * The protocol between a worker (Worker.ts) and its server (python/o1c/server.py): one JSON request per
 * line on the server's stdin; per request, one line per expected value (`x`) and per test (`r`), then
 * `done` (or `error`). Every line is size-checked, then decoded here before any field is used.
 */

/** Weight (nodes + characters of str and bytes) above which a value crosses as a digest; the server gets it from us. */
export const DIGEST_WEIGHT = 20_000
/** Longest reply line we parse; the server never writes a longer one (it answers `killed` instead). */
export const LINE_MAX = 32 * 1024 * 1024
const MAX_INT_DIGITS = 100_000
const MAX_DEPTH = 256
const MAX_NODES = 2_000_000

export interface WireLimits {
  readonly test_s: number
  /** Per-test deadlines (one per test, seconds); `test_s` applies where absent. */
  readonly tests_s?: ReadonlyArray<number> | undefined
  readonly total_s: number
  readonly mem: number
  readonly out: number
}

export type WireTest =
  | { readonly k: "call"; readonly a: string; readonly w?: string | undefined }
  | { readonly k: "assert"; readonly s: string }
  | { readonly k: "stdio"; readonly i: string }

export interface WireJob {
  readonly kind: "function" | "stdio"
  /** Which clean template forks the code's process: scored candidates never share one with reference runs. */
  readonly tpl: "cand" | "ref"
  readonly code: string
  readonly setup?: string | undefined
  readonly entry?: string | undefined
  readonly tests: ReadonlyArray<WireTest>
  readonly exp?: ReadonlyArray<string> | undefined
  readonly lim: WireLimits
  /** Fast scoring: stop at the first test that does not run to completion (the rest are `not_run`). */
  readonly ff?: boolean | undefined
  /** Stdio: keep what the program printed also when it raised or timed out (`captureStdout`). */
  readonly keep?: boolean | undefined
  /** Stdio: files written into the working directory first (path: base64), and the paths read back after. */
  readonly files?: Readonly<Record<string, string>> | undefined
  readonly fetch?: ReadonlyArray<string> | undefined
}

const INT = /^-?(0|[1-9][0-9]*)$/
const HEX64 = /^[0-9a-f]{64}$/
const B64 = /^[A-Za-z0-9+/]*={0,2}$/

const finite = (x: unknown): x is number => typeof x === "number" && Number.isFinite(x)
const keys = (o: object, allowed: ReadonlyArray<string>) => Object.keys(o).every((k) => allowed.includes(k))

/** One node of a PyValue (its children are checked by the caller's loop). */
const validNode = (x: Record<string, unknown>): boolean => {
  switch (x.t) {
    case "none":
      return keys(x, ["t"])
    case "bool":
      return typeof x.v === "boolean" && keys(x, ["t", "v"])
    case "int":
      return typeof x.v === "string" && x.v.length <= MAX_INT_DIGITS + 1 && INT.test(x.v) && x.v !== "-0" && keys(x, ["t", "v"])
    case "float":
      return (finite(x.v) || x.v === "nan" || x.v === "inf" || x.v === "-inf") && keys(x, ["t", "v"])
    case "complex":
      return finite(x.re) && finite(x.im) && keys(x, ["t", "re", "im"])
    case "str":
    case "bytes":
      return typeof x.v === "string" && keys(x, ["t", "v"])
    case "unrepresentable":
      return typeof x.type === "string" && x.type.length <= 100 && keys(x, ["t", "type"])
    case "digest":
      return (
        typeof x.h === "string" && HEX64.test(x.h) && Number.isSafeInteger(x.w) && Number.isSafeInteger(x.n) && typeof x.c === "string" &&
        x.c.length <= 20 && (x.q === undefined || (typeof x.q === "string" && x.q.length === 4 * Math.ceil((8 * (x.n as number)) / 3) && B64.test(x.q))) &&
        keys(x, ["t", "h", "w", "c", "n", "q"])
      )
    default:
      return false
  }
}

/** A linear, iterative check (no recursion, no Schema union per node: values can have a million nodes). */
export const isPyValue = (u: unknown): u is PyValue => {
  const stack: Array<readonly [unknown, number]> = [[u, 0]]
  let nodes = 0
  while (stack.length > 0) {
    const [x, depth] = stack.pop()!
    if (++nodes > MAX_NODES || depth > MAX_DEPTH || typeof x !== "object" || x === null || Array.isArray(x)) return false
    const o = x as Record<string, unknown>
    if (o.t === "list" || o.t === "tuple" || o.t === "set") {
      if (!Array.isArray(o.v) || !keys(o, ["t", "v"])) return false
      for (const e of o.v) stack.push([e, depth + 1])
    } else if (o.t === "dict") {
      if (!Array.isArray(o.v) || !keys(o, ["t", "v"])) return false
      for (const pair of o.v) {
        if (!Array.isArray(pair) || pair.length !== 2) return false
        stack.push([pair[0], depth + 1], [pair[1], depth + 1])
      }
    } else if (!validNode(o)) return false
  }
  return true
}

export const WireValue: Schema.Schema<PyValue> = Schema.declare(isPyValue, {
  identifier: "PyValue",
  // Not the value itself: a malformed one may hold a million nodes.
  message: () => `not a well-formed value (a PyValue of at most ${MAX_NODES} nodes, depth ${MAX_DEPTH}, ints of ${MAX_INT_DIGITS} digits)`
})

export const WireStatus = Schema.Literal("ok", "failed", "runtime_error", "memory_exceeded", "timeout", "killed", "compile_error", "output_limit", "not_run")
export type WireStatus = typeof WireStatus.Type

const RequestId = Schema.Int.pipe(Schema.positive())

// Optional fields are exact (absent, never `undefined`: JSON has none), so a bad value is reported once, as itself.
export const ExpectedEntry = Schema.Struct({
  v: Schema.optionalWith(WireValue, { exact: true }),
  e: Schema.optionalWith(Schema.String, { exact: true }),
  lost: Schema.optionalWith(Schema.Boolean, { exact: true })
})
export type ExpectedEntry = typeof ExpectedEntry.Type

export const ResultEntry = Schema.Struct({
  s: WireStatus,
  ms: Schema.Number,
  v: Schema.optionalWith(WireValue, { exact: true }),
  e: Schema.optionalWith(Schema.String, { exact: true }),
  o: Schema.optionalWith(Schema.String, { exact: true }),
  f: Schema.optionalWith(Schema.Record({ key: Schema.String, value: Schema.String }), { exact: true })
})
export type ResultEntry = typeof ResultEntry.Type

/** The lines the server writes, told apart by the key each alone has. */
const Lines = {
  ready: Schema.Struct({
    id: Schema.Literal(0),
    ready: Schema.Struct({ pid: Schema.Int, uid: Schema.Int, python: Schema.String, status: Schema.Array(Schema.String) })
  }),
  /** A whole reply (up to 1 MiB). */
  res: Schema.Struct({ id: RequestId, exp: Schema.Array(ExpectedEntry), res: Schema.Array(ResultEntry), compiled: Schema.Boolean, ms: Schema.Number }),
  /** A larger reply: a line per expected value (`x`) and per test (`r`), then `done`. */
  x: Schema.extend(ExpectedEntry, Schema.Struct({ id: RequestId, x: Schema.NonNegativeInt })),
  r: Schema.extend(ResultEntry, Schema.Struct({ id: RequestId, r: Schema.NonNegativeInt })),
  done: Schema.Struct({ id: RequestId, done: Schema.Literal(1), compiled: Schema.Boolean, ms: Schema.Number }),
  error: Schema.Struct({ id: RequestId, error: Schema.String })
} as const

export type ServerLine = { readonly [K in keyof typeof Lines]: { readonly _tag: K; readonly line: (typeof Lines)[K]["Type"] } }[keyof typeof Lines]

const decoders = Object.fromEntries(Object.entries(Lines).map(([k, schema]) => [k, Schema.decodeUnknownEither(schema as Schema.Schema<unknown>)])) as {
  readonly [K in keyof typeof Lines]: (u: unknown) => Either.Either<(typeof Lines)[K]["Type"], ParseResult.ParseError>
}
const TAGS = ["res", "r", "x", "done", "error", "ready"] as const

/** `res[0].v` for the path ["res", 0, "v"]. */
const fieldOf = (path: ReadonlyArray<PropertyKey>): string =>
  path.map((k, i) => (typeof k === "number" ? `[${k}]` : i === 0 ? String(k) : `.${String(k)}`)).join("") || "(the line)"

/** What is wrong with a frame, field by field: `a "r" frame: field ms: Expected number, actual "x"`. */
const describeIssues = (tag: string, e: ParseResult.ParseError): string => {
  const seen = new Set<string>()
  // One message per field (the first: a union's later alternatives say the same thing less well).
  const issues = ParseResult.ArrayFormatter.formatErrorSync(e).filter((i) => !seen.has(fieldOf(i.path)) && seen.add(fieldOf(i.path)))
  const fields = issues.slice(0, 3).map((i) => `field ${fieldOf(i.path)}: ${i.message.slice(0, 200)}`)
  return `a "${tag}" frame: ${fields.join("; ")}${issues.length > 3 ? ` (and ${issues.length - 3} more)` : ""}`
}

/** A line of the server's output, decoded; Left with the reason when it is too long or malformed. */
export const decodeLine = (line: string): Either.Either<ServerLine, string> => {
  if (line.length > LINE_MAX) return Either.left(`a reply line of ${line.length} characters (limit ${LINE_MAX})`)
  let json: unknown
  try {
    json = JSON.parse(line)
  } catch (e) {
    return Either.left(`not JSON: ${e instanceof Error ? e.message : String(e)}`)
  }
  const tag = typeof json === "object" && json !== null ? TAGS.find((k) => k in json) : undefined
  if (tag === undefined) return Either.left(`a line of no known kind: ${line.slice(0, 200)}`)
  const decoded: Either.Either<unknown, ParseResult.ParseError> = decoders[tag](json)
  return Either.mapBoth(decoded, {
    onLeft: (e) => describeIssues(tag, e),
    onRight: (line) => ({ _tag: tag, line }) as ServerLine
  })
}

/** A whole reply: what the server said of each expected value and each test, by index. */
export interface WireReply {
  readonly exp: ReadonlyArray<ExpectedEntry | undefined>
  readonly res: ReadonlyArray<ResultEntry | undefined>
  readonly compiled: boolean
  readonly ms: number
}

/**
 * Splits a byte stream into lines in linear time: each chunk is searched once, and a line's pieces are
 * joined once, when its newline arrives (an earlier reader re-scanned its whole buffer on every chunk).
 */
export class LineSplitter {
  private parts: Array<Buffer> = []
  private size = 0

  /** The complete lines in `chunk`; `onOverflow` when a line grows past `max` bytes (the rest of it is dropped). */
  push(chunk: Buffer, max: number, onOverflow: () => void): Array<string> {
    const lines: Array<string> = []
    let start = 0
    for (let nl = chunk.indexOf(10); nl >= 0; nl = chunk.indexOf(10, start)) {
      this.parts.push(chunk.subarray(start, nl))
      lines.push(Buffer.concat(this.parts).toString("utf8"))
      this.parts = []
      this.size = 0
      start = nl + 1
    }
    if (start < chunk.length) {
      this.size += chunk.length - start
      if (this.size > max) {
        this.parts = []
        this.size = 0
        onOverflow()
      } else this.parts.push(chunk.subarray(start))
    }
    return lines
  }
}

/**
 * A JSON reader for benchmark files that keeps every number's source text and accepts the
 * `NaN`, `Infinity` and `-Infinity` tokens Python's `json.dump` writes (EvalPlus inputs hold
 * both, and ints beyond 2^53 that a JS number would round). `toPlain` turns the result into
 * ordinary JS values; `toPython` renders it as Python source.
 */

/** A number as written in the file. */
export class RawNumber {
  constructor(readonly raw: string) {}
  get value(): number {
    if (this.raw === "NaN") return NaN
    if (this.raw === "Infinity") return Infinity
    if (this.raw === "-Infinity") return -Infinity
    return Number(this.raw)
  }
}

export type RawJson = null | boolean | string | RawNumber | ReadonlyArray<RawJson> | { readonly [key: string]: RawJson }

export class JsonSyntaxError extends Error {
  constructor(readonly reason: string, readonly position: number) {
    super(`${reason} at column ${position + 1}`)
  }
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y

/**
 * Parses one JSON text (with the Python extensions above); throws JsonSyntaxError. When
 * `elementStarts` is given and the text is an array, it receives each element's start offset.
 */
export const parseRawJson = (text: string, elementStarts?: Array<number>): RawJson => {
  let i = 0
  let depth = 0
  const fail = (reason: string): never => {
    throw new JsonSyntaxError(reason, i)
  }
  const ws = () => {
    while (i < text.length && (text[i] === " " || text[i] === "\t" || text[i] === "\n" || text[i] === "\r")) i++
  }
  const word = (w: string) => {
    if (text.startsWith(w, i)) {
      i += w.length
      return true
    }
    return false
  }
  const string = (): string => {
    // The JSON string grammar is JS's: find the closing quote, let JSON.parse unescape.
    const start = i
    i++
    while (i < text.length && text[i] !== '"') {
      if (text[i] === "\\") i++
      else if (text.charCodeAt(i) < 0x20) fail("control character in string")
      i++
    }
    if (i >= text.length) fail("unterminated string")
    i++
    try {
      return JSON.parse(text.slice(start, i)) as string
    } catch {
      i = start
      return fail("invalid string escape")
    }
  }
  const value = (): RawJson => {
    ws()
    const c = text[i]
    if (c === "{") {
      i++
      const out: Record<string, RawJson> = {}
      ws()
      if (text[i] === "}") {
        i++
        return out
      }
      for (;;) {
        ws()
        if (text[i] !== '"') fail("expected a property name")
        const key = string()
        ws()
        if (text[i] !== ":") fail("expected ':'")
        i++
        out[key] = value()
        ws()
        if (text[i] === ",") i++
        else if (text[i] === "}") {
          i++
          return out
        } else fail("expected ',' or '}'")
      }
    }
    if (c === "[") {
      i++
      depth++
      const out: Array<RawJson> = []
      ws()
      if (text[i] === "]") {
        i++
        depth--
        return out
      }
      for (;;) {
        ws()
        if (depth === 1) elementStarts?.push(i)
        out.push(value())
        ws()
        if (text[i] === ",") i++
        else if (text[i] === "]") {
          i++
          depth--
          return out
        } else fail("expected ',' or ']'")
      }
    }
    if (c === '"') return string()
    if (word("true")) return true
    if (word("false")) return false
    if (word("null")) return null
    if (word("NaN")) return new RawNumber("NaN")
    if (word("Infinity")) return new RawNumber("Infinity")
    if (word("-Infinity")) return new RawNumber("-Infinity")
    NUMBER.lastIndex = i
    const m = NUMBER.exec(text)
    if (m !== null) {
      i += m[0].length
      return new RawNumber(m[0])
    }
    return fail(i >= text.length ? "unexpected end of input" : `unexpected character ${JSON.stringify(c)}`)
  }
  const result = value()
  ws()
  if (i < text.length) fail("unexpected text after the value")
  return result
}

const isRecord = (v: RawJson): v is { readonly [key: string]: RawJson } =>
  typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof RawNumber)

/** Ordinary JS values (numbers as JS numbers). */
export const toPlain = (v: RawJson): unknown => {
  if (v instanceof RawNumber) return v.value
  if (Array.isArray(v)) return v.map(toPlain)
  if (isRecord(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toPlain(x)]))
  return v
}

/** Python source for a JSON value: true -> True, null -> None, arrays stay lists, NaN/Infinity as floats. */
export const toPython = (v: RawJson): string => {
  if (v === null) return "None"
  if (v === true) return "True"
  if (v === false) return "False"
  if (typeof v === "string") return pythonString(v)
  if (v instanceof RawNumber) {
    if (v.raw === "NaN") return "float('nan')"
    if (v.raw === "Infinity") return "float('inf')"
    if (v.raw === "-Infinity") return "float('-inf')"
    return v.raw
  }
  if (Array.isArray(v)) return `[${v.map(toPython).join(", ")}]`
  return `{${Object.entries(v as Record<string, RawJson>).map(([k, x]) => `${pythonString(k)}: ${toPython(x)}`).join(", ")}}`
}

/**
 * A Python string literal. JSON.stringify's escapes (\" \\ \n \t \b \f \r \uXXXX, lone surrogates
 * as \uDXXX) all mean the same in a Python str literal.
 */
export const pythonString = (s: string): string => JSON.stringify(s)

/** An argument list (a JSON array of arguments) as the text inside a call's parentheses. */
export const toPythonArgs = (args: ReadonlyArray<RawJson>): string => args.map(toPython).join(", ")

import { AssertTest, CallTest, type PyValue } from "@o1coder/domain"

/**
 * Judging outside the sandbox. Equality follows Python's `==` on the encoded values (so `1 == 1.0 == True`,
 * `[1] != (1,)`, sets and dicts order-free), except that floats compare with a tolerance and NaN equals NaN.
 * An unrepresentable value equals nothing.
 */
export interface Tolerance {
  readonly rel: number
  readonly abs: number
}

export const DEFAULT_TOLERANCE: Tolerance = { rel: 1e-6, abs: 1e-9 }

export const toleranceFor = (atol: number | undefined): Tolerance =>
  atol === undefined ? DEFAULT_TOLERANCE : { rel: DEFAULT_TOLERANCE.rel, abs: atol }

type Num = { readonly kind: "int"; readonly v: bigint } | { readonly kind: "float"; readonly v: number } | { readonly kind: "complex"; readonly re: number; readonly im: number }

const asNumber = (x: PyValue): Num | undefined => {
  switch (x.t) {
    case "bool":
      return { kind: "int", v: x.v ? 1n : 0n }
    case "int":
      return { kind: "int", v: BigInt(x.v) }
    case "float":
      return { kind: "float", v: x.v === "nan" ? NaN : x.v === "inf" ? Infinity : x.v === "-inf" ? -Infinity : x.v }
    case "complex":
      return { kind: "complex", re: x.re, im: x.im }
    default:
      return undefined
  }
}

const close = (a: number, b: number, tol: Tolerance): boolean => {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b)
  if (a === b) return true
  if (!Number.isFinite(a) || !Number.isFinite(b)) return false
  return Math.abs(a - b) <= Math.max(tol.rel * Math.max(Math.abs(a), Math.abs(b)), tol.abs)
}

const numEqual = (a: Num, b: Num, tol: Tolerance): boolean => {
  if (a.kind === "int" && b.kind === "int") return a.v === b.v
  const re = (n: Num) => (n.kind === "complex" ? n.re : Number(n.v))
  const im = (n: Num) => (n.kind === "complex" ? n.im : 0)
  return close(re(a), re(b), tol) && close(im(a), im(b), tol)
}

/** A key equal for values that are exactly equal (ints and integral floats share keys); used to match sets fast. */
const exactKey = (x: PyValue): string | undefined => {
  switch (x.t) {
    case "none":
      return "n"
    case "bool":
      return x.v ? "i1" : "i0"
    case "int":
      return "i" + x.v
    case "float":
      return typeof x.v === "number" && Number.isInteger(x.v) && Math.abs(x.v) < 2 ** 53 ? "i" + x.v : undefined
    case "str":
      return "s" + x.v
    case "bytes":
      return "b" + x.v
    case "tuple": {
      const parts = x.v.map(exactKey)
      return parts.every((p) => p !== undefined) ? "t[" + parts.map((p) => JSON.stringify(p)).join(",") + "]" : undefined
    }
    default:
      return undefined
  }
}

/** Each element of `expected` matched to a distinct equal element of `seen` (same sizes assumed). */
const matchAll = (
  expected: ReadonlyArray<PyValue>,
  seen: ReadonlyArray<PyValue>,
  eq: (a: PyValue, b: PyValue) => boolean
): ReadonlyArray<number> | undefined => {
  const used = new Array<boolean>(seen.length).fill(false)
  const byKey = new Map<string, Array<number>>()
  seen.forEach((s, i) => {
    const k = exactKey(s)
    if (k !== undefined) {
      const list = byKey.get(k)
      if (list) list.push(i)
      else byKey.set(k, [i])
    }
  })
  const pairs = new Array<number>(expected.length).fill(-1)
  const rest: Array<number> = []
  expected.forEach((e, i) => {
    const k = exactKey(e)
    const list = k === undefined ? undefined : byKey.get(k)
    const j = list?.pop()
    if (j !== undefined) {
      used[j] = true
      pairs[i] = j
    } else rest.push(i)
  })
  for (const i of rest) {
    const j = seen.findIndex((s, j) => !used[j] && eq(expected[i]!, s))
    if (j < 0) return undefined
    used[j] = true
    pairs[i] = j
  }
  return pairs
}

export const pyEqual = (expected: PyValue, seen: PyValue, tol: Tolerance = DEFAULT_TOLERANCE): boolean => {
  const eq = (a: PyValue, b: PyValue): boolean => pyEqual(a, b, tol)
  const na = asNumber(expected)
  const nb = asNumber(seen)
  if (na !== undefined || nb !== undefined) return na !== undefined && nb !== undefined && numEqual(na, nb, tol)
  switch (expected.t) {
    case "none":
      return seen.t === "none"
    case "str":
    case "bytes":
      return seen.t === expected.t && seen.v === expected.v
    case "list":
    case "tuple":
      return seen.t === expected.t && seen.v.length === expected.v.length && expected.v.every((e, i) => eq(e, seen.v[i]!))
    case "set":
      return seen.t === "set" && seen.v.length === expected.v.length && matchAll(expected.v, seen.v, eq) !== undefined
    case "dict": {
      if (seen.t !== "dict" || seen.v.length !== expected.v.length) return false
      const pairs = matchAll(expected.v.map(([k]) => k), seen.v.map(([k]) => k), eq)
      return pairs !== undefined && pairs.every((j, i) => eq(expected.v[i]![1], seen.v[j]![1]))
    }
    default:
      return false
  }
}

// ------------------------------------------------------------------ rendering

const floatSource = (x: number): string => {
  if (Number.isNaN(x)) return "float('nan')"
  if (x === Infinity) return "float('inf')"
  if (x === -Infinity) return "-float('inf')"
  if (Object.is(x, -0)) return "-0.0"
  const exp = Math.floor(Math.log10(Math.abs(x)))
  if (x !== 0 && (exp < -4 || exp >= 16)) {
    const [m, e] = x.toExponential().split("e")
    const n = Number(e)
    return `${m}e${n < 0 ? "-" : "+"}${String(Math.abs(n)).padStart(2, "0")}`
  }
  const s = String(x)
  return /[.e]/.test(s) ? s : s + ".0"
}

const strSource = (s: string, prefix = ""): string => {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'"
  let out = ""
  for (const ch of s) {
    const c = ch.codePointAt(0)!
    if (ch === "\\") out += "\\\\"
    else if (ch === quote) out += "\\" + quote
    else if (ch === "\n") out += "\\n"
    else if (ch === "\r") out += "\\r"
    else if (ch === "\t") out += "\\t"
    else if (c < 0x20 || c === 0x7f || (prefix === "b" && c > 0x7e)) out += "\\x" + c.toString(16).padStart(2, "0")
    else if (c >= 0xd800 && c <= 0xdfff) out += "\\u" + c.toString(16).padStart(4, "0")
    else out += ch
  }
  return prefix + quote + out + quote
}

const render = (v: PyValue, forSource: boolean): string => {
  const r = (x: PyValue) => render(x, forSource)
  switch (v.t) {
    case "none":
      return "None"
    case "bool":
      return v.v ? "True" : "False"
    case "int":
      return v.v
    case "float":
      return v.v === "nan" ? "float('nan')" : v.v === "inf" ? "float('inf')" : v.v === "-inf" ? "-float('inf')" : floatSource(v.v)
    case "complex":
      return `complex(${floatSource(v.re)}, ${floatSource(v.im)})`
    case "str":
      return strSource(v.v)
    case "bytes":
      return strSource(v.v, "b")
    case "list":
      return "[" + v.v.map(r).join(", ") + "]"
    case "tuple":
      return v.v.length === 1 ? "(" + r(v.v[0]!) + ",)" : "(" + v.v.map(r).join(", ") + ")"
    case "set":
      return v.v.length === 0 ? "set()" : "{" + v.v.map(r).join(", ") + "}"
    case "dict":
      return "{" + v.v.map(([k, x]) => r(k) + ": " + r(x)).join(", ") + "}"
    case "unrepresentable":
      if (forSource) throw new UnrepresentableValue(v.type)
      return `<unrepresentable ${v.type}>`
  }
}

export class UnrepresentableValue extends Error {
  constructor(readonly type: string) {
    super(`a value of type ${type} has no Python source form`)
  }
}

/** Python source that evaluates to `value` (e.g. to turn a labelled output into a CallTest `expected`); throws UnrepresentableValue. */
export const pyValueToSource = (value: PyValue): string => render(value, true)

/** A Python-like repr for people, truncated to `max` characters. */
export const pyRepr = (value: PyValue, max = 200): string => {
  const s = render(value, false)
  return s.length > max ? s.slice(0, max - 1) + "…" : s
}

/** Stdout equality after trimming trailing whitespace per line and trailing blank lines (CRLF = LF). */
export const normalizeStdout = (text: string): string => {
  const lines = text.replace(/\r\n?/g, "\n").split("\n").map((l) => l.replace(/\s+$/, ""))
  while (lines.length > 0 && lines[lines.length - 1] === "") lines.pop()
  return lines.join("\n")
}

export const stdoutEqual = (expected: string, seen: string): boolean => normalizeStdout(expected) === normalizeStdout(seen)

/** A CallTest whose expected value is `value` (e.g. the reference's output on `args`). Throws UnrepresentableValue. */
export const callTestFor = (args: string, value: PyValue, atol?: number): CallTest =>
  new CallTest({ args, expected: pyValueToSource(value), ...(atol !== undefined ? { atol } : {}) })

/** The same check as an assert statement, for harnesses that only take asserts (it compares inside the candidate's process). */
export const assertTestFor = (entryPoint: string, args: string, value: PyValue): AssertTest =>
  new AssertTest({ source: `assert ${entryPoint}(${args}) == ${pyValueToSource(value)}` })

import type { PyValue } from "./Value.ts"

/**
 * Python literals in TypeScript, for every package that handles PyValues: reading a literal value or
 * an argument list, writing a PyValue back as Python source, Python's `==` on encoded values (with a
 * float tolerance), and a repr for people. Pure: no Python runs here.
 *
 * Reading has two modes.
 * - `strict` (the sandbox, which reads expected values in TypeScript instead of evaluating them in
 *   Python): only what is known to read exactly as Python would, in any program. Names and calls fail
 *   (the program under test may shadow `float` or `set`), as do comments (the expression is embedded
 *   in generated code), hex/octal/binary and imaginary numbers, `\N{...}`, and sets or dicts whose
 *   elements might merge (`{1, 1.0}`: which one survives is not reproduced). The sandbox checks this
 *   mode against Python on every MBPP expected value (packages/sandbox/test/PyLiteral.test.ts).
 * - default (test generation: seeds, generated arguments): also comments, hex/octal/binary ints,
 *   imaginary numbers, and the builtins `float(...)`, `set(...)`, `frozenset(...)`, `list(...)`,
 *   `tuple(...)` as they appear in asserts; sets and dicts merge equal elements as Python does
 *   (a set keeps the first element, a dict the first key with the last value).
 * In both modes whatever is accepted means what Python means (e.g. `012` is a syntax error, a set
 * element must be hashable, `list({...})` fails because Python's set order is not reproduced).
 */

// ------------------------------------------------------------------ reading

/** Why a text is not a literal (the caller skips it, or evaluates it in Python), and where. */
export class PyParseFailure {
  readonly _tag = "PyParseFailure"
  constructor(readonly reason: string, readonly at: number) {}
}

export interface PyParseOptions {
  /** Accept only the subset known to read exactly as Python would in any program (see above). */
  readonly strict?: boolean
}

/** Parses one Python literal. */
export const parsePyValue = (source: string, options: PyParseOptions = {}): PyValue | PyParseFailure =>
  run(source, options, (p) => {
    const v = p.value()
    p.end()
    return v
  })

/** Parses the source of an argument list (`1, [2, 3], 'x'`, no parentheses); keyword arguments fail. */
export const parsePyArgs = (source: string, options: PyParseOptions = {}): ReadonlyArray<PyValue> | PyParseFailure =>
  run(source, options, (p) => {
    const values: Array<PyValue> = []
    if (p.atEndAfterSpace()) return values
    for (;;) {
      if (p.atKeyword()) p.fail("keyword argument")
      values.push(p.value())
      if (!p.eat(",") || p.atEndAfterSpace()) break
    }
    p.end()
    return values
  })

const run = <A>(source: string, options: PyParseOptions, f: (p: Parser) => A): A | PyParseFailure => {
  const p = new Parser(source, options.strict === true)
  try {
    return f(p)
  } catch (e) {
    if (e instanceof PyParseFailure) return e
    // e.g. RangeError on absurdly deep nesting: still just "not a literal we read".
    return new PyParseFailure(String(e), p.i)
  }
}

const MAX_SET_PAIRWISE = 2_000

const isHashable = (v: PyValue): boolean =>
  v.t === "list" || v.t === "dict" || v.t === "set" ? false : v.t === "tuple" ? v.v.every(isHashable) : true

const hasNaN = (v: PyValue): boolean =>
  v.t === "float" ? v.v === "nan" || Number.isNaN(v.v) : v.t === "complex" ? Number.isNaN(v.re) || Number.isNaN(v.im) : v.t === "tuple" ? v.v.some(hasNaN) : false

const EXACT: Tolerance = { rel: 0, abs: 0 }

/** Python's hash-equality of two parsed (hence distinct, so NaN equals nothing) hashable values. */
const sameKey = (a: PyValue, b: PyValue): boolean => !hasNaN(a) && !hasNaN(b) && pyEqual(a, b, EXACT)

/** Elements that Python would merge (1 == 1.0 == True, equal tuples). */
const mayCollide = (xs: ReadonlyArray<PyValue>): boolean => {
  if (xs.length > MAX_SET_PAIRWISE) return true
  for (let i = 0; i < xs.length; i++) for (let j = i + 1; j < xs.length; j++) if (pyEqual(xs[i]!, xs[j]!, EXACT)) return true
  return false
}

/** For each key, the index of the first key Python would merge it with (itself if none). */
const groupsOf = (keys: ReadonlyArray<PyValue>): Array<number> => {
  const firstByExact = new Map<string, number>()
  const firsts: Array<number> = []
  const inexactFirsts: Array<number> = []
  return keys.map((k, i) => {
    const ek = exactKey(k)
    const known = ek === undefined ? undefined : firstByExact.get(ek)
    if (known !== undefined) return known
    // A key with an exact key can still equal an inexact one (1 == complex(1, 0)).
    const same = (ek === undefined ? firsts : inexactFirsts).find((f) => sameKey(keys[f]!, k))
    if (same !== undefined) return same
    firsts.push(i)
    if (ek === undefined) inexactFirsts.push(i)
    else firstByExact.set(ek, i)
    return i
  })
}

const NUMBER = /(?:(\d+(?:_\d+)*)?\.(\d+(?:_\d+)*)?(?:[eE][+-]?\d+(?:_\d+)*)?|\d+(?:_\d+)*[eE][+-]?\d+(?:_\d+)*|(\d+(?:_\d+)*))/y
const RADIX_INT = /0(?:[xX](?:_?[0-9a-fA-F])+|[oO](?:_?[0-7])+|[bB](?:_?[01])+)/y
const WORD = /[A-Za-z_]\w*/y
const STRING_START = /([rRuUbB]{0,2})('''|"""|'|")/y
const KEYWORD = /\s*[A-Za-z_]\w*\s*=(?!=)/y
const FLOAT_TEXT = /^[+-]?(?:\d+(?:_\d+)*(?:\.(?:\d+(?:_\d+)*)?)?|\.\d+(?:_\d+)*)(?:[eE][+-]?\d+(?:_\d+)*)?$/
const BUILTINS = new Set(["float", "set", "frozenset", "list", "tuple"])

const matchAt = (re: RegExp, s: string, i: number): RegExpExecArray | null => {
  re.lastIndex = i
  return re.exec(s)
}

class Parser {
  i = 0
  constructor(readonly s: string, readonly strict: boolean) {}

  fail(reason: string): never {
    throw new PyParseFailure(reason, this.i)
  }

  skipSpace(): void {
    while (this.i < this.s.length) {
      const c = this.s[this.i]!
      if (c === " " || c === "\t" || c === "\n" || c === "\r") this.i++
      else if (c === "\\" && this.s[this.i + 1] === "\n") this.i += 2
      else if (c === "#") {
        if (this.strict) this.fail("comment")
        while (this.i < this.s.length && this.s[this.i] !== "\n") this.i++
      } else break
    }
  }

  atEndAfterSpace(): boolean {
    this.skipSpace()
    return this.i >= this.s.length
  }

  end(): void {
    if (!this.atEndAfterSpace()) this.fail("trailing text")
  }

  atKeyword(): boolean {
    return matchAt(KEYWORD, this.s, this.i) !== null
  }

  private peek(): string {
    this.skipSpace()
    return this.s[this.i] ?? ""
  }

  eat(ch: string): boolean {
    if (this.peek() === ch) {
      this.i++
      return true
    }
    return false
  }

  private expect(ch: string): void {
    if (!this.eat(ch)) this.fail(`expected ${ch}`)
  }

  value(): PyValue {
    const c = this.peek()
    if (c === "[") {
      this.i++
      return { t: "list", v: this.items("]") }
    }
    if (c === "(") return this.paren()
    if (c === "{") return this.braces()
    if (c === "-" || c === "+") {
      this.i++
      return unary(c, this.value(), this)
    }
    if (/[0-9.]/.test(c)) return this.number()
    if (c === "'" || c === '"') return this.strings()
    const word = matchAt(WORD, this.s, this.i)?.[0]
    if (word !== undefined) {
      const after = this.s[this.i + word.length] ?? ""
      if (/^[rRuUbB]{1,2}$/.test(word) && (after === "'" || after === '"')) return this.strings()
      this.i += word.length
      if (word === "True") return { t: "bool", v: true }
      if (word === "False") return { t: "bool", v: false }
      if (word === "None") return { t: "none" }
      if (!this.strict && BUILTINS.has(word) && this.peek() === "(") return this.builtin(word)
      return this.fail(`name ${word} is not a literal`)
    }
    return this.fail(c === "" ? "unexpected end" : `unexpected ${c}`)
  }

  /** Comma-separated values up to `close` (a trailing comma allowed). */
  private items(close: string): Array<PyValue> {
    const out: Array<PyValue> = []
    for (;;) {
      if (this.eat(close)) return out
      out.push(this.value())
      if (this.eat(",")) continue
      this.expect(close)
      return out
    }
  }

  private paren(): PyValue {
    this.i++
    if (this.eat(")")) return { t: "tuple", v: [] }
    const first = this.value()
    if (this.eat(")")) return first
    this.expect(",")
    return { t: "tuple", v: [first, ...this.items(")")] }
  }

  private braces(): PyValue {
    this.i++
    if (this.eat("}")) return { t: "dict", v: [] }
    const first = this.value()
    if (this.eat(":")) {
      const pairs: Array<readonly [PyValue, PyValue]> = [[first, this.value()]]
      for (;;) {
        if (this.eat("}")) break
        this.expect(",")
        if (this.eat("}")) break
        const k = this.value()
        this.expect(":")
        pairs.push([k, this.value()])
      }
      return { t: "dict", v: this.dictOf(pairs) }
    }
    const xs = [first]
    if (!this.eat("}")) {
      this.expect(",")
      xs.push(...this.items("}"))
    }
    return { t: "set", v: this.setOf(xs) }
  }

  private setOf(xs: ReadonlyArray<PyValue>): Array<PyValue> {
    if (!xs.every(isHashable)) this.fail("unhashable set element")
    if (this.strict) return mayCollide(xs) ? this.fail("set elements that may merge") : [...xs]
    const groups = groupsOf(xs)
    return xs.filter((_, i) => groups[i] === i)
  }

  private dictOf(pairs: ReadonlyArray<readonly [PyValue, PyValue]>): Array<readonly [PyValue, PyValue]> {
    const keys = pairs.map(([k]) => k)
    if (!keys.every(isHashable)) this.fail("unhashable dict key")
    if (this.strict) return mayCollide(keys) ? this.fail("dict keys that may merge") : [...pairs]
    // Python keeps the first key object, in its place, with the last value assigned to it.
    const groups = groupsOf(keys)
    const lastValue = new Map<number, PyValue>()
    groups.forEach((g, i) => lastValue.set(g, pairs[i]![1]))
    return pairs.flatMap(([k], i): Array<readonly [PyValue, PyValue]> => (groups[i] === i ? [[k, lastValue.get(i)!]] : []))
  }

  private builtin(name: string): PyValue {
    this.expect("(")
    if (this.eat(")")) {
      if (name === "float") return { t: "float", v: 0 }
      return name === "list" ? { t: "list", v: [] } : name === "tuple" ? { t: "tuple", v: [] } : { t: "set", v: [] }
    }
    const inner = this.value()
    this.eat(",")
    this.expect(")")
    if (name === "float") return floatOf(inner) ?? this.fail("float() of a non-literal")
    const elements =
      inner.t === "list" || inner.t === "tuple"
        ? inner.v
        : inner.t === "str"
          ? [...inner.v].map((ch): PyValue => ({ t: "str", v: ch }))
          : inner.t === "set" && (name === "set" || name === "frozenset")
            ? inner.v
            : this.fail(`${name}() of a ${inner.t}`) // list(a set) would need Python's iteration order
    return name === "list" ? { t: "list", v: elements } : name === "tuple" ? { t: "tuple", v: elements } : { t: "set", v: this.setOf(elements) }
  }

  private number(): PyValue {
    if (!this.strict) {
      const r = matchAt(RADIX_INT, this.s, this.i)
      if (r !== null) {
        this.i += r[0].length
        if (/[A-Za-z_0-9.]/.test(this.s[this.i] ?? "")) this.fail("bad number")
        return { t: "int", v: BigInt(r[0].replace(/_/g, "")).toString() }
      }
    }
    const m = matchAt(NUMBER, this.s, this.i)
    if (m === null || m[0] === ".") return this.fail("bad number")
    const text = m[0]
    this.i += text.length
    const plain = text.replace(/_/g, "")
    const next = this.s[this.i] ?? ""
    if (!this.strict && (next === "j" || next === "J")) {
      this.i++
      if (/[A-Za-z_0-9.]/.test(this.s[this.i] ?? "")) this.fail("bad number")
      return { t: "complex", re: 0, im: Number(plain) }
    }
    if (/[A-Za-z_0-9.]/.test(next)) return this.fail("bad number") // 0x.., 1j (strict), 1.2.3
    if (m[3] !== undefined) {
      if (plain.length > 1 && plain.startsWith("0") && !/^0+$/.test(plain)) return this.fail("leading zero") // 012 is a syntax error
      return { t: "int", v: BigInt(plain).toString() }
    }
    const x = Number(plain)
    return { t: "float", v: Number.isFinite(x) ? x : "inf" }
  }

  /** Adjacent string literals concatenate; str and bytes cannot mix. */
  private strings(): PyValue {
    let kind: "str" | "bytes" | undefined
    let text = ""
    for (;;) {
      const save = this.i
      this.skipSpace()
      const m = matchAt(STRING_START, this.s, this.i)
      if (m === null) {
        this.i = save
        break
      }
      const prefix = m[1]!.toLowerCase()
      if (!["", "r", "u", "b", "br", "rb"].includes(prefix)) return this.fail(`string prefix ${m[1]}`)
      const isBytes = prefix.includes("b")
      const k = isBytes ? "bytes" : "str"
      if (kind !== undefined && kind !== k) return this.fail("str and bytes concatenated")
      kind = k
      this.i += m[0].length
      text += this.body(m[2]!, prefix.includes("r"), isBytes)
    }
    if (kind === undefined) return this.fail("expected a string")
    return { t: kind, v: text }
  }

  private body(quote: string, raw: boolean, bytes: boolean): string {
    const triple = quote.length === 3
    let out = ""
    for (;;) {
      if (this.i >= this.s.length) return this.fail("unterminated string")
      if (this.s.startsWith(quote, this.i)) {
        this.i += quote.length
        return out
      }
      const c = this.s[this.i]!
      if (!triple && c === "\n") return this.fail("newline in string")
      if (bytes && c.charCodeAt(0) > 0x7f) return this.fail("non-ASCII character in bytes")
      if (c === "\r") return this.fail("carriage return in string") // Python's reader would normalise it
      if (c !== "\\") {
        out += c
        this.i++
        continue
      }
      const n = this.s[this.i + 1]
      if (n === undefined) return this.fail("unterminated string")
      if (raw) {
        // A raw string keeps the backslash; it still cannot end the literal.
        out += c + n
        this.i += 2
        continue
      }
      this.i += 2
      out += this.escape(n, bytes)
    }
  }

  private escape(n: string, bytes: boolean): string {
    const simple = SIMPLE_ESCAPES[n]
    if (simple !== undefined) return simple
    if (n === "x") return String.fromCharCode(parseInt(this.hex(2), 16))
    if (n === "u" || n === "U") {
      if (bytes) return "\\" + n
      const cp = parseInt(this.hex(n === "u" ? 4 : 8), 16)
      return cp > 0x10ffff ? this.fail("escape out of range") : String.fromCodePoint(cp)
    }
    if (/[0-7]/.test(n)) {
      const more = /^[0-7]{0,2}/.exec(this.s.slice(this.i, this.i + 2))![0]
      const v = parseInt(n + more, 8)
      if (v > 0xff) return this.fail("octal escape above \\377")
      this.i += more.length
      return String.fromCharCode(v)
    }
    if (n === "N" && !bytes) return this.fail("\\N{...} escape")
    return "\\" + n // unknown escapes keep their backslash
  }

  private hex(len: number): string {
    const h = this.s.slice(this.i, this.i + len)
    if (h.length !== len || !/^[0-9a-fA-F]+$/.test(h)) return this.fail("bad escape")
    this.i += len
    return h
  }
}

const SIMPLE_ESCAPES: Record<string, string> = {
  "\n": "",
  "\\": "\\",
  "'": "'",
  '"': '"',
  n: "\n",
  t: "\t",
  r: "\r",
  a: "\x07",
  b: "\b",
  f: "\f",
  v: "\v"
}

/** Python's unary `-`/`+`: numbers only, and a bool becomes an int. */
const unary = (op: "-" | "+", v: PyValue, p: Parser): PyValue => {
  const neg = op === "-"
  switch (v.t) {
    case "bool":
      return { t: "int", v: v.v ? (neg ? "-1" : "1") : "0" }
    case "int":
      return neg ? { t: "int", v: (-BigInt(v.v)).toString() } : v
    case "float":
      if (!neg) return v
      return { t: "float", v: v.v === "inf" ? "-inf" : v.v === "-inf" ? "inf" : v.v === "nan" ? "nan" : -v.v }
    case "complex":
      return neg ? { t: "complex", re: -v.re, im: -v.im } : v
    default:
      return p.fail(`unary ${op} on a ${v.t}`)
  }
}

/** `float(x)` for a literal x, as Python computes it; undefined where Python raises. */
const floatOf = (x: PyValue): PyValue | undefined => {
  switch (x.t) {
    case "float":
      return x
    case "bool":
      return { t: "float", v: x.v ? 1 : 0 }
    case "int": {
      const n = Number(x.v)
      return Number.isFinite(n) ? { t: "float", v: n } : undefined // OverflowError
    }
    case "str": {
      const text = x.v.trim().toLowerCase()
      const unsigned = text.replace(/^[+-]/, "")
      if (unsigned === "inf" || unsigned === "infinity") return { t: "float", v: text.startsWith("-") ? "-inf" : "inf" }
      if (unsigned === "nan") return { t: "float", v: "nan" }
      if (!FLOAT_TEXT.test(text)) return undefined
      const n = Number(text.replace(/_/g, ""))
      return { t: "float", v: n === Infinity ? "inf" : n === -Infinity ? "-inf" : n }
    }
    default:
      return undefined
  }
}

// ------------------------------------------------------------------ equality

/**
 * Python's `==` on encoded values (so `1 == 1.0 == True`, `[1] != (1,)`, sets and dicts order-free),
 * except that floats compare with a tolerance and NaN equals NaN. An unrepresentable value equals
 * nothing. These are the sandbox's judging rules: every caller compares as the judge does.
 */
export interface Tolerance {
  readonly rel: number
  readonly abs: number
  /** NaN equals NaN (the sandbox's default); false: Python's own `==` on floats. */
  readonly nanEqual?: boolean | undefined
}

export const DEFAULT_TOLERANCE: Tolerance = { rel: 1e-6, abs: 1e-9 }

export const toleranceFor = (atol: number | undefined): Tolerance =>
  atol === undefined ? DEFAULT_TOLERANCE : { rel: DEFAULT_TOLERANCE.rel, abs: atol }

/** Ints keep their canonical decimal text: converting a long one (BigInt) is quadratic. */
type Num = { readonly kind: "int"; readonly v: string } | { readonly kind: "float"; readonly v: number } | { readonly kind: "complex"; readonly re: number; readonly im: number }

const asNumber = (x: PyValue): Num | undefined => {
  switch (x.t) {
    case "bool":
      return { kind: "int", v: x.v ? "1" : "0" }
    case "int":
      return { kind: "int", v: x.v }
    case "float":
      return { kind: "float", v: x.v === "nan" ? NaN : x.v === "inf" ? Infinity : x.v === "-inf" ? -Infinity : x.v }
    case "complex":
      return { kind: "complex", re: x.re, im: x.im }
    default:
      return undefined
  }
}

const close = (a: number, b: number, tol: Tolerance): boolean => {
  if (Number.isNaN(a) || Number.isNaN(b)) return tol.nanEqual !== false && Number.isNaN(a) && Number.isNaN(b)
  if (a === b) return true
  if (!Number.isFinite(a) || !Number.isFinite(b)) return false
  return Math.abs(a - b) <= Math.max(tol.rel * Math.max(Math.abs(a), Math.abs(b)), tol.abs)
}

/** An int of more than 309 digits is beyond every finite float (and no int equals an infinite one). */
const MAX_FLOAT_DIGITS = 309

/** Python's exact int == float: the float is integral and its value is the int's (no rounding of the int). */
const intEqualsFloat = (i: string, f: number): boolean => Number.isInteger(f) && BigInt(f).toString() === i

const numEqual = (a: Num, b: Num, tol: Tolerance): boolean => {
  if (a.kind === "int" && b.kind === "int") return a.v === b.v
  if (tol.rel === 0 && tol.abs === 0) {
    // Exact comparison (EvalPlus's ==): ints are never rounded to a float.
    if (a.kind === "int" && b.kind === "float") return intEqualsFloat(a.v, b.v)
    if (a.kind === "float" && b.kind === "int") return intEqualsFloat(b.v, a.v)
  }
  if ((a.kind === "int" && a.v.replace("-", "").length > MAX_FLOAT_DIGITS) || (b.kind === "int" && b.v.replace("-", "").length > MAX_FLOAT_DIGITS)) return false
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
    case "digest":
      return seen.t === "digest" && digestEqual(expected, seen, tol)
    default:
      return false
  }
}

/** Little-endian float64s of a digest's `q`. */
export const digestFloats = (q: string): Float64Array => {
  const bytes = Buffer.from(q, "base64")
  const out = new Float64Array(bytes.length >> 3)
  for (let i = 0; i < out.length; i++) out[i] = bytes.readDoubleLE(i * 8)
  return out
}

/** Equal canonical digests; else, for two flat float sequences of the same kind and length, every float within tolerance. */
const digestEqual = (a: Extract<PyValue, { t: "digest" }>, b: Extract<PyValue, { t: "digest" }>, tol: Tolerance): boolean => {
  if (a.h === b.h) return true
  if (a.q === undefined || b.q === undefined || a.c !== b.c || a.n !== b.n) return false
  const xs = digestFloats(a.q)
  const ys = digestFloats(b.q)
  return xs.length === ys.length && xs.every((x, i) => close(x, ys[i]!, tol))
}

// ------------------------------------------------------------------ writing

/** Python's repr of a finite float (shortest round-trip digits; exponent below 1e-4 and from 1e16). */
const floatSource = (x: number): string => {
  if (Number.isNaN(x)) return "float('nan')"
  if (x === Infinity) return "float('inf')"
  if (x === -Infinity) return "-float('inf')"
  if (Object.is(x, -0)) return "-0.0"
  if (x !== 0) {
    const [m, e] = x.toExponential().split("e")
    const exp = Number(e)
    if (exp < -4 || exp >= 16) return `${m}e${exp < 0 ? "-" : "+"}${String(Math.abs(exp)).padStart(2, "0")}`
  }
  const s = String(x)
  return /[.e]/.test(s) ? s : s + ".0"
}

/** Python's repr quoting; bytes are code points 0-255 (latin-1, as the runner encodes them). */
const strSource = (s: string, bytes: boolean, forSource: boolean): string | undefined => {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'"
  let out = ""
  for (const ch of s) {
    const c = ch.codePointAt(0)!
    if (ch === "\\") out += "\\\\"
    else if (ch === quote) out += "\\" + quote
    else if (ch === "\n") out += "\\n"
    else if (ch === "\r") out += "\\r"
    else if (ch === "\t") out += "\\t"
    else if (bytes && c > 0xff) {
      if (forSource) return undefined
      out += "\\u" + c.toString(16).padStart(4, "0")
    } else if (c < 0x20 || c === 0x7f || (bytes && c > 0x7e)) out += "\\x" + c.toString(16).padStart(2, "0")
    else if (c >= 0xd800 && c <= 0xdfff) out += "\\u" + c.toString(16).padStart(4, "0")
    else out += ch
  }
  return (bytes ? "b" : "") + quote + out + quote
}

const render = (v: PyValue, forSource: boolean): string | undefined => {
  const all = (xs: ReadonlyArray<PyValue>): Array<string> | undefined => {
    const out: Array<string> = []
    for (const x of xs) {
      const s = render(x, forSource)
      if (s === undefined) return undefined
      out.push(s)
    }
    return out
  }
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
      return strSource(v.v, false, forSource)
    case "bytes":
      return strSource(v.v, true, forSource)
    case "list":
    case "tuple":
    case "set": {
      const parts = all(v.v)
      if (parts === undefined) return undefined
      if (v.t === "list") return "[" + parts.join(", ") + "]"
      if (v.t === "tuple") return parts.length === 1 ? "(" + parts[0] + ",)" : "(" + parts.join(", ") + ")"
      return parts.length === 0 ? "set()" : "{" + parts.join(", ") + "}"
    }
    case "dict": {
      const keys = all(v.v.map(([k]) => k))
      const values = all(v.v.map(([, x]) => x))
      if (keys === undefined || values === undefined) return undefined
      return "{" + keys.map((k, i) => k + ": " + values[i]).join(", ") + "}"
    }
    case "unrepresentable":
      return forSource ? undefined : `<unrepresentable ${v.type}>`
    case "digest":
      return forSource ? undefined : `<${v.c} of weight ${v.w}${v.c === "list" || v.c === "tuple" || v.c === "set" || v.c === "dict" ? `, ${v.n} elements` : ""}, sha256 ${v.h.slice(0, 12)}>`
  }
}

/**
 * Python source that evaluates to `value`, written as Python's repr would (strings quoted as repr quotes
 * them, floats in repr's notation, `float('nan')` / `-float('inf')` for the non-finite); undefined if it
 * contains a value with no literal: `unrepresentable`, or bytes beyond latin-1 (the runner never sends those).
 */
export const pySource = (value: PyValue): string | undefined => render(value, true)

/** Source of an argument list (no surrounding parentheses); undefined if an argument has no literal. */
export const pyArgsSource = (args: ReadonlyArray<PyValue>): string | undefined => {
  const parts: Array<string> = []
  for (const a of args) {
    const s = pySource(a)
    if (s === undefined) return undefined
    parts.push(s)
  }
  return parts.join(", ")
}

export class UnrepresentableValue extends Error {
  constructor(readonly type: string) {
    super(`a value of type ${type} has no Python source form`)
  }
}

const firstUnrepresentable = (v: PyValue): string => {
  switch (v.t) {
    case "unrepresentable":
      return v.type
    case "digest":
      return `${v.c} (known by its digest only)`
    case "list":
    case "tuple":
    case "set":
      for (const x of v.v) if (pySource(x) === undefined) return firstUnrepresentable(x)
      return v.t
    case "dict":
      for (const [k, x] of v.v) for (const y of [k, x]) if (pySource(y) === undefined) return firstUnrepresentable(y)
      return v.t
    default:
      return v.t
  }
}

/** `pySource` for callers that treat a value with no literal as an error: throws UnrepresentableValue. */
export const pyValueToSource = (value: PyValue): string => {
  const s = pySource(value)
  if (s === undefined) throw new UnrepresentableValue(firstUnrepresentable(value))
  return s
}

/** A Python-like repr for people, truncated to `max` characters. */
export const pyRepr = (value: PyValue, max = 200): string => {
  const s = render(value, false)!
  return s.length > max ? s.slice(0, max - 1) + "…" : s
}

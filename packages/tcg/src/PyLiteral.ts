import type { PyValue } from "@o1coder/domain"
import { canonicalJson } from "@o1coder/domain"

/**
 * Python literals in TypeScript: a parser for argument lists and values as they appear in test
 * asserts (`[1, (2, 'a')], {3: None}, -1.5e3, float('inf'), set()`), and the inverse, Python
 * source text for a PyValue. What is not a literal (a call, a name, an operator other than unary
 * minus and `+`/`-` in complex literals) is a ParseFailure: the caller skips that seed.
 */
export class ParseFailure {
  constructor(readonly reason: string, readonly at: number) {}
}

class Parser {
  i = 0
  constructor(readonly s: string) {}

  fail(reason: string): never {
    throw new ParseFailure(reason, this.i)
  }

  ws() {
    while (this.i < this.s.length) {
      const c = this.s[this.i]!
      if (c === " " || c === "\t" || c === "\n" || c === "\r" || c === "\\") this.i++
      else if (c === "#") {
        while (this.i < this.s.length && this.s[this.i] !== "\n") this.i++
      } else break
    }
  }

  peek(): string {
    this.ws()
    return this.s[this.i] ?? ""
  }

  eat(text: string): boolean {
    this.ws()
    if (this.s.startsWith(text, this.i)) {
      this.i += text.length
      return true
    }
    return false
  }

  expect(text: string) {
    if (!this.eat(text)) this.fail(`expected ${text}`)
  }

  /** Comma-separated values until `close`; returns the items and whether a trailing comma was seen. */
  items(close: string): { values: Array<PyValue>; trailingComma: boolean; sawComma: boolean } {
    const values: Array<PyValue> = []
    let trailingComma = false
    let sawComma = false
    while (!this.eat(close)) {
      values.push(this.value())
      trailingComma = false
      if (this.eat(",")) {
        trailingComma = true
        sawComma = true
      } else {
        this.expect(close)
        break
      }
    }
    return { values, trailingComma, sawComma }
  }

  value(): PyValue {
    const c = this.peek()
    if (c === "-" || c === "+") {
      this.i++
      const v = this.value()
      if (c === "+") return v
      if (v.t === "int") return { t: "int", v: v.v.startsWith("-") ? v.v.slice(1) : v.v === "0" ? "0" : `-${v.v}` }
      if (v.t === "float") return { t: "float", v: v.v === "inf" ? "-inf" : v.v === "-inf" ? "inf" : v.v === "nan" ? "nan" : -v.v }
      if (v.t === "complex") return { t: "complex", re: -v.re, im: -v.im }
      if (v.t === "bool") return { t: "int", v: v.v ? "-1" : "0" }
      this.fail("unary minus on a non-number")
    }
    if (c === "[") {
      this.i++
      return { t: "list", v: this.items("]").values }
    }
    if (c === "(") {
      this.i++
      const { sawComma, values } = this.items(")")
      if (values.length === 1 && !sawComma) return values[0]!
      return { t: "tuple", v: values }
    }
    if (c === "{") return this.braces()
    if (c === "'" || c === '"') return this.strings("str")
    if (/[0-9.]/.test(c)) return this.number()
    if (/[A-Za-z_]/.test(c)) return this.word()
    return this.fail(c === "" ? "unexpected end" : `unexpected ${c}`)
  }

  braces(): PyValue {
    this.expect("{")
    if (this.eat("}")) return { t: "dict", v: [] }
    const first = this.value()
    if (this.eat(":")) {
      const entries: Array<readonly [PyValue, PyValue]> = [[first, this.value()]]
      while (this.eat(",")) {
        if (this.peek() === "}") break
        const k = this.value()
        this.expect(":")
        entries.push([k, this.value()])
      }
      this.expect("}")
      return { t: "dict", v: dedupeDict(entries) }
    }
    const values = [first]
    while (this.eat(",")) {
      if (this.peek() === "}") break
      values.push(this.value())
    }
    this.expect("}")
    return { t: "set", v: dedupeSet(values) }
  }

  word(): PyValue {
    const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(this.s.slice(this.i))!
    const w = m[0]
    // String prefixes: r, b, rb, br, u (f-strings are not literals).
    const next = this.s[this.i + w.length]
    if ((next === "'" || next === '"') && /^(r|u|b|rb|br)$/i.test(w)) {
      const raw = /r/i.test(w)
      this.i += w.length
      return this.strings(/b/i.test(w) ? "bytes" : "str", raw)
    }
    this.i += w.length
    switch (w) {
      case "True":
        return { t: "bool", v: true }
      case "False":
        return { t: "bool", v: false }
      case "None":
        return { t: "none" }
      case "float": {
        this.expect("(")
        const inner = this.value()
        this.expect(")")
        if (inner.t === "str") {
          const x = inner.v.trim().toLowerCase().replace(/^\+/, "")
          if (x === "inf" || x === "infinity") return { t: "float", v: "inf" }
          if (x === "-inf" || x === "-infinity") return { t: "float", v: "-inf" }
          if (x === "nan" || x === "-nan") return { t: "float", v: "nan" }
          const n = Number(x)
          if (x !== "" && Number.isFinite(n)) return { t: "float", v: n }
        }
        if (inner.t === "int") return { t: "float", v: Number(inner.v) }
        if (inner.t === "float") return inner
        return this.fail("float() of a non-literal")
      }
      case "set":
      case "frozenset":
      case "tuple":
      case "list": {
        this.expect("(")
        if (this.eat(")")) return w === "list" ? { t: "list", v: [] } : w === "tuple" ? { t: "tuple", v: [] } : { t: "set", v: [] }
        const inner = this.value()
        this.expect(")")
        const elements = inner.t === "list" || inner.t === "tuple" || inner.t === "set" ? inner.v : inner.t === "str" ? [...inner.v].map((ch): PyValue => ({ t: "str", v: ch })) : this.fail(`${w}() of a non-sequence`)
        return w === "list" ? { t: "list", v: elements } : w === "tuple" ? { t: "tuple", v: elements } : { t: "set", v: dedupeSet(elements) }
      }
      default:
        return this.fail(`name ${w} is not a literal`)
    }
  }

  number(): PyValue {
    const rest = this.s.slice(this.i)
    const m = /^(0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|(?:\d[\d_]*)?(?:\.\d[\d_]*|\.)?(?:[eE][+-]?\d+)?)([jJ])?/.exec(rest)
    if (m === null || m[0] === "" || m[1] === ".") this.fail("bad number")
    const text = m![1]!.replace(/_/g, "")
    this.i += m![0].length
    if (m![2] !== undefined) return { t: "complex", re: 0, im: Number(text) }
    if (/^0[xXoObB]/.test(text)) return { t: "int", v: BigInt(text).toString() }
    if (/[.eE]/.test(text)) {
      const v = Number(text)
      return { t: "float", v: v === Infinity ? "inf" : v }
    }
    return { t: "int", v: BigInt(text).toString() }
  }

  /** One or more adjacent string literals (implicit concatenation). */
  strings(kind: "str" | "bytes", raw = false): PyValue {
    let out = this.oneString(raw)
    for (;;) {
      const save = this.i
      this.ws()
      const m = /^([rRbBuU]{0,2})(['"])/.exec(this.s.slice(this.i))
      if (m === null) {
        this.i = save
        break
      }
      this.i += m[1]!.length
      out += this.oneString(/r/i.test(m[1]!))
    }
    return { t: kind, v: out }
  }

  oneString(raw: boolean): string {
    const q = this.s[this.i]!
    const triple = this.s.startsWith(q.repeat(3), this.i)
    const delim = triple ? q.repeat(3) : q
    this.i += delim.length
    let out = ""
    while (this.i < this.s.length) {
      if (this.s.startsWith(delim, this.i)) {
        this.i += delim.length
        return out
      }
      const c = this.s[this.i]!
      if (c === "\\") {
        const n = this.s[this.i + 1] ?? ""
        if (raw) {
          out += c + n
          this.i += 2
          continue
        }
        this.i += 2
        const simple: Record<string, string> = { n: "\n", t: "\t", r: "\r", "\\": "\\", "'": "'", '"': '"', "0": "\0", a: "\x07", b: "\b", f: "\f", v: "\v", "\n": "" }
        if (n in simple && !(n === "0" && /[0-7]/.test(this.s[this.i] ?? ""))) out += simple[n]
        else if (n === "x") {
          out += String.fromCharCode(parseInt(this.s.slice(this.i, this.i + 2), 16))
          this.i += 2
        } else if (n === "u") {
          out += String.fromCharCode(parseInt(this.s.slice(this.i, this.i + 4), 16))
          this.i += 4
        } else if (n === "U") {
          out += String.fromCodePoint(parseInt(this.s.slice(this.i, this.i + 8), 16))
          this.i += 8
        } else if (/[0-7]/.test(n)) {
          const m = /^[0-7]{0,2}/.exec(this.s.slice(this.i))![0]
          out += String.fromCharCode(parseInt(n + m, 8))
          this.i += m.length
        } else out += "\\" + n
        continue
      }
      if (!triple && c === "\n") this.fail("newline in string")
      out += c
      this.i++
    }
    return this.fail("unterminated string")
  }
}

const keyOf = (v: PyValue) => canonicalJson(v)

const dedupeSet = (values: ReadonlyArray<PyValue>): Array<PyValue> => {
  const seen = new Set<string>()
  return values.filter((v) => {
    const k = keyOf(v)
    if (seen.has(k)) return false
    seen.add(k)
    return true
  })
}

const dedupeDict = (entries: ReadonlyArray<readonly [PyValue, PyValue]>): Array<readonly [PyValue, PyValue]> => {
  const map = new Map<string, readonly [PyValue, PyValue]>()
  for (const e of entries) map.set(keyOf(e[0]), e)
  return [...map.values()]
}

/** Parses one Python literal. */
export const parseValue = (source: string): PyValue | ParseFailure => {
  const p = new Parser(source)
  try {
    const v = p.value()
    if (p.peek() !== "") return new ParseFailure("trailing text", p.i)
    return v
  } catch (e) {
    if (e instanceof ParseFailure) return e
    return new ParseFailure(String(e), p.i)
  }
}

/** Parses the source of an argument list (`1, [2, 3], 'x'`); keyword arguments are not supported. */
export const parseArgs = (source: string): ReadonlyArray<PyValue> | ParseFailure => {
  const p = new Parser(source)
  try {
    const values: Array<PyValue> = []
    if (p.peek() === "") return values
    for (;;) {
      if (/^\s*[A-Za-z_]\w*\s*=[^=]/.test(p.s.slice(p.i))) return new ParseFailure("keyword argument", p.i)
      values.push(p.value())
      if (!p.eat(",")) break
      if (p.peek() === "") break
    }
    if (p.peek() !== "") return new ParseFailure("trailing text", p.i)
    return values
  } catch (e) {
    if (e instanceof ParseFailure) return e
    return new ParseFailure(String(e), p.i)
  }
}

const strSource = (s: string): string => {
  let out = "'"
  for (const ch of s) {
    const code = ch.codePointAt(0)!
    if (ch === "\\") out += "\\\\"
    else if (ch === "'") out += "\\'"
    else if (ch === "\n") out += "\\n"
    else if (ch === "\r") out += "\\r"
    else if (ch === "\t") out += "\\t"
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, "0")}`
    else if (code >= 0xd800 && code <= 0xdfff) out += `\\u${code.toString(16).padStart(4, "0")}`
    else out += ch
  }
  return out + "'"
}

const floatSource = (v: number | "nan" | "inf" | "-inf"): string => {
  if (v === "nan") return "float('nan')"
  if (v === "inf") return "float('inf')"
  if (v === "-inf") return "float('-inf')"
  if (Object.is(v, -0)) return "-0.0"
  const s = String(v)
  // JS prints 1e+21 / 1e-7; Python accepts both. Integral floats need a dot to stay floats.
  return /[.eE]|Infinity|NaN/.test(s) ? s.replace("e+", "e") : `${s}.0`
}

/** Python source text that evaluates to `value`; undefined for unrepresentable values. */
export const toSource = (value: PyValue): string | undefined => {
  switch (value.t) {
    case "none":
      return "None"
    case "bool":
      return value.v ? "True" : "False"
    case "int":
      return value.v
    case "float":
      return floatSource(value.v)
    case "complex":
      return `complex(${floatSource(value.re)}, ${floatSource(value.im)})`
    case "str":
      return strSource(value.v)
    case "bytes": {
      let out = "b'"
      for (const ch of value.v) {
        const code = ch.charCodeAt(0)
        if (code > 0xff) return undefined
        if (ch === "\\" || ch === "'") out += "\\" + ch
        else if (code < 0x20 || code >= 0x7f) out += `\\x${code.toString(16).padStart(2, "0")}`
        else out += ch
      }
      return out + "'"
    }
    case "list":
    case "tuple":
    case "set": {
      const parts = value.v.map(toSource)
      if (parts.some((p) => p === undefined)) return undefined
      const body = parts.join(", ")
      if (value.t === "list") return `[${body}]`
      if (value.t === "tuple") return parts.length === 1 ? `(${body},)` : `(${body})`
      return parts.length === 0 ? "set()" : `{${body}}`
    }
    case "dict": {
      const parts = value.v.map(([k, v]) => {
        const ks = toSource(k)
        const vs = toSource(v)
        return ks === undefined || vs === undefined ? undefined : `${ks}: ${vs}`
      })
      if (parts.some((p) => p === undefined)) return undefined
      return `{${parts.join(", ")}}`
    }
    case "unrepresentable":
      return undefined
  }
}

/** Source of an argument list (no surrounding parentheses). */
export const argsToSource = (args: ReadonlyArray<PyValue>): string | undefined => {
  const parts = args.map(toSource)
  return parts.some((p) => p === undefined) ? undefined : parts.join(", ")
}

/** Structural equality (sets and dicts compare as unordered; nan equals nan: same observable output). */
export const pyEqual = (a: PyValue, b: PyValue): boolean => {
  if (a.t !== b.t) return false
  switch (a.t) {
    case "list":
    case "tuple": {
      const bv = (b as typeof a).v
      return a.v.length === bv.length && a.v.every((x, i) => pyEqual(x, bv[i]!))
    }
    case "set": {
      const bk = new Set((b as typeof a).v.map(keyOf))
      return a.v.length === bk.size && a.v.every((x) => bk.has(keyOf(x)))
    }
    case "dict": {
      const bm = new Map((b as typeof a).v.map(([k, v]) => [keyOf(k), v] as const))
      return a.v.length === bm.size && a.v.every(([k, v]) => bm.has(keyOf(k)) && pyEqual(v, bm.get(keyOf(k))!))
    }
    default:
      return keyOf(a) === keyOf(b)
  }
}

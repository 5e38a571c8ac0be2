import type { PyValue } from "@o1coder/domain"
import { pyEqual } from "./Compare.ts"

/**
 * Python literal expressions (numbers, strings, bytes, True/False/None, lists, tuples, sets, dicts,
 * nested; unary signs on numbers) read directly into a PyValue, so most dataset expected values
 * need no Python at all. Anything outside this conservative subset (names, calls, operators,
 * hex/complex numbers, f-strings, `\N{...}`, sets or dicts whose elements might collide, comments)
 * returns undefined and is evaluated in the sandbox instead. `PyLiteral.test.ts` checks the result
 * against Python on every MBPP expected value.
 */
export const parsePyLiteral = (source: string): PyValue | undefined => {
  try {
    const p = new Parser(source)
    const value = p.expression()
    p.skipSpace()
    return p.atEnd() ? value : undefined
  } catch (e) {
    if (e instanceof NotLiteral) return undefined
    throw e
  }
}

class NotLiteral extends Error {}

const fail = (): never => {
  throw new NotLiteral()
}

const MAX_SET_PAIRWISE = 2_000

const isHashable = (v: PyValue): boolean =>
  v.t === "list" || v.t === "dict" || v.t === "set" ? false : v.t === "tuple" ? v.v.every(isHashable) : true

/** Elements that Python would merge (1 == 1.0 == True, equal tuples): we do not reproduce which one survives. */
const mayCollide = (xs: ReadonlyArray<PyValue>): boolean => {
  if (xs.length > MAX_SET_PAIRWISE) return true
  const exact = { rel: 0, abs: 0 }
  for (let i = 0; i < xs.length; i++) for (let j = i + 1; j < xs.length; j++) if (pyEqual(xs[i]!, xs[j]!, exact)) return true
  return false
}

class Parser {
  private i = 0
  constructor(private readonly s: string) {}

  atEnd(): boolean {
    return this.i >= this.s.length
  }

  skipSpace(): void {
    while (this.i < this.s.length) {
      const c = this.s[this.i]!
      if (c === " " || c === "\t" || c === "\n" || c === "\r") this.i++
      else if (c === "\\" && this.s[this.i + 1] === "\n") this.i += 2
      else if (c === "#") fail()
      else break
    }
  }

  private peek(): string {
    return this.s[this.i] ?? ""
  }

  private eat(ch: string): boolean {
    this.skipSpace()
    if (this.s[this.i] === ch) {
      this.i++
      return true
    }
    return false
  }

  expression(): PyValue {
    this.skipSpace()
    const c = this.peek()
    if (c === "[") return this.sequence("[", "]", "list")
    if (c === "(") return this.paren()
    if (c === "{") return this.braces()
    if (c === "-" || c === "+") {
      this.i++
      this.skipSpace()
      const n = this.number()
      return c === "-" ? negate(n) : n
    }
    if (/[0-9.]/.test(c)) return this.number()
    const word = /^[A-Za-z_]\w*/.exec(this.s.slice(this.i))?.[0]
    if (word !== undefined) {
      const after = this.s[this.i + word.length] ?? ""
      if (/^[rRuUbB]{1,2}$/.test(word) && (after === "'" || after === '"')) return this.strings()
      this.i += word.length
      if (word === "True") return { t: "bool", v: true }
      if (word === "False") return { t: "bool", v: false }
      if (word === "None") return { t: "none" }
      return fail()
    }
    if (c === "'" || c === '"') return this.strings()
    return fail()
  }

  private items(close: string): Array<PyValue> {
    const out: Array<PyValue> = []
    for (;;) {
      if (this.eat(close)) return out
      out.push(this.expression())
      if (this.eat(",")) continue
      if (this.eat(close)) return out
      return fail()
    }
  }

  private sequence(open: string, close: string, t: "list"): PyValue {
    this.i++ // open
    void open
    return { t, v: this.items(close) }
  }

  private paren(): PyValue {
    this.i++
    if (this.eat(")")) return { t: "tuple", v: [] }
    const first = this.expression()
    if (this.eat(")")) return first
    if (!this.eat(",")) return fail()
    const rest = this.items(")")
    return { t: "tuple", v: [first, ...rest] }
  }

  private braces(): PyValue {
    this.i++
    if (this.eat("}")) return { t: "dict", v: [] }
    const first = this.expression()
    if (this.eat(":")) {
      const pairs: Array<readonly [PyValue, PyValue]> = [[first, this.expression()]]
      for (;;) {
        if (this.eat("}")) break
        if (!this.eat(",")) return fail()
        if (this.eat("}")) break
        const k = this.expression()
        if (!this.eat(":")) return fail()
        pairs.push([k, this.expression()])
      }
      const keys = pairs.map(([k]) => k)
      if (!keys.every(isHashable) || mayCollide(keys)) return fail()
      return { t: "dict", v: pairs }
    }
    const xs = [first]
    if (!this.eat("}")) {
      if (!this.eat(",")) return fail()
      xs.push(...this.items("}"))
    }
    if (!xs.every(isHashable) || mayCollide(xs)) return fail()
    return { t: "set", v: xs }
  }

  private number(): PyValue {
    const m = /^(?:(\d+(?:_\d+)*)?\.(\d+(?:_\d+)*)?(?:[eE][+-]?\d+(?:_\d+)*)?|\d+(?:_\d+)*[eE][+-]?\d+(?:_\d+)*|(\d+(?:_\d+)*))/.exec(this.s.slice(this.i))
    if (m === null || m[0] === ".") return fail()
    const text = m[0]
    this.i += text.length
    if (/^[A-Za-z_0-9.]/.test(this.peek())) return fail() // 0x.., 1j, 1.2.3
    const plain = text.replace(/_/g, "")
    if (m[3] !== undefined) {
      if (plain.length > 1 && plain.startsWith("0") && !/^0+$/.test(plain)) return fail() // 012 is a syntax error
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
      this.skipSpace()
      const m = /^([rRuUbB]{0,2})('''|"""|'|")/.exec(this.s.slice(this.i))
      if (m === null) break
      const prefix = m[1]!.toLowerCase()
      if (!["", "r", "u", "b", "br", "rb"].includes(prefix)) return fail()
      const isBytes = prefix.includes("b")
      const k = isBytes ? "bytes" : "str"
      if (kind !== undefined && kind !== k) return fail()
      kind = k
      this.i += m[0].length
      text += this.body(m[2]!, prefix.includes("r"), isBytes)
    }
    if (kind === undefined) return fail()
    return { t: kind, v: text }
  }

  private body(quote: string, raw: boolean, bytes: boolean): string {
    const triple = quote.length === 3
    let out = ""
    for (;;) {
      if (this.i >= this.s.length) return fail()
      if (this.s.startsWith(quote, this.i)) {
        this.i += quote.length
        return out
      }
      const c = this.s[this.i]!
      if (!triple && c === "\n") return fail()
      if (bytes && c.charCodeAt(0) > 0x7f) return fail()
      if (c !== "\\") {
        out += c === "\r" ? fail() : c
        this.i++
        continue
      }
      const n = this.s[this.i + 1]
      if (n === undefined) return fail()
      if (raw) {
        // A raw string keeps the backslash; it still cannot end the literal.
        out += c + n
        this.i += 2
        continue
      }
      this.i += 2
      switch (n) {
        case "\n":
          break
        case "\\":
        case "'":
        case '"':
          out += n
          break
        case "n":
          out += "\n"
          break
        case "t":
          out += "\t"
          break
        case "r":
          out += "\r"
          break
        case "a":
          out += "\x07"
          break
        case "b":
          out += "\b"
          break
        case "f":
          out += "\f"
          break
        case "v":
          out += "\v"
          break
        case "x": {
          const h = /^[0-9a-fA-F]{2}/.exec(this.s.slice(this.i))?.[0] ?? fail()
          out += String.fromCharCode(parseInt(h, 16))
          this.i += 2
          break
        }
        case "u":
        case "U": {
          if (bytes) {
            out += "\\" + n
            break
          }
          const len = n === "u" ? 4 : 8
          const h = new RegExp(`^[0-9a-fA-F]{${len}}`).exec(this.s.slice(this.i))?.[0] ?? fail()
          const cp = parseInt(h, 16)
          if (cp > 0x10ffff) return fail()
          out += String.fromCodePoint(cp)
          this.i += len
          break
        }
        default:
          if (/[0-7]/.test(n)) {
            const o = /^[0-7]{0,2}/.exec(this.s.slice(this.i))![0]
            const v = parseInt(n + o, 8)
            if (v > 0xff) return fail()
            out += String.fromCharCode(v)
            this.i += o.length
          } else if (n === "N") {
            return fail()
          } else {
            out += "\\" + n // unknown escapes keep their backslash
          }
      }
    }
  }
}

const negate = (v: PyValue): PyValue => {
  if (v.t === "int") return { t: "int", v: (-BigInt(v.v)).toString() }
  if (v.t === "float") return { t: "float", v: v.v === "inf" ? "-inf" : typeof v.v === "number" ? -v.v : fail() }
  return fail()
}

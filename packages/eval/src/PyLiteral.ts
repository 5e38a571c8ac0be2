import type { PyValue } from "@o1coder/domain"

/**
 * The Python source of a value returned by the sandbox, so that a labelled input becomes a
 * `CallTest` whose `expected` evaluates back to the same value. Undefined for values that
 * have no literal (`unrepresentable`).
 */
export const pyLiteral = (value: PyValue): string | undefined => {
  switch (value.t) {
    case "none":
      return "None"
    case "bool":
      return value.v ? "True" : "False"
    case "int":
      return value.v
    case "float":
      return floatLiteral(value.v)
    case "complex":
      return `complex(${floatLiteral(value.re)}, ${floatLiteral(value.im)})`
    case "str":
      return JSON.stringify(value.v)
    case "bytes":
      return bytesLiteral(value.v)
    case "list":
      return seq(value.v, "[", "]")
    case "tuple": {
      if (value.v.length === 1) {
        const one = pyLiteral(value.v[0]!)
        return one === undefined ? undefined : `(${one},)`
      }
      return seq(value.v, "(", ")")
    }
    case "set":
      return value.v.length === 0 ? "set()" : seq(value.v, "{", "}")
    case "dict": {
      const parts: Array<string> = []
      for (const [k, v] of value.v) {
        const ks = pyLiteral(k)
        const vs = pyLiteral(v)
        if (ks === undefined || vs === undefined) return undefined
        parts.push(`${ks}: ${vs}`)
      }
      return `{${parts.join(", ")}}`
    }
    case "unrepresentable":
      return undefined
  }
}

const seq = (items: ReadonlyArray<PyValue>, open: string, close: string): string | undefined => {
  const parts: Array<string> = []
  for (const item of items) {
    const s = pyLiteral(item)
    if (s === undefined) return undefined
    parts.push(s)
  }
  return `${open}${parts.join(", ")}${close}`
}

const floatLiteral = (v: number | "nan" | "inf" | "-inf"): string => {
  if (v === "nan") return "float('nan')"
  if (v === "inf") return "float('inf')"
  if (v === "-inf") return "float('-inf')"
  if (!Number.isFinite(v)) return Number.isNaN(v) ? "float('nan')" : v > 0 ? "float('inf')" : "float('-inf')"
  if (Object.is(v, -0)) return "-0.0"
  // JavaScript's shortest round-trip form equals Python's repr up to notation; make sure it reads as a float.
  const s = String(v)
  return /[.eE]/.test(s) ? s : `${s}.0`
}

/** Bytes cross the boundary as a string of code points 0-255 (latin-1), or base64 if the runner says so. */
const bytesLiteral = (v: string): string => {
  let out = "b'"
  for (let i = 0; i < v.length; i++) {
    const code = v.charCodeAt(i)
    if (code > 255) return `bytes(${JSON.stringify(v)}, 'utf-8')`
    const ch = v[i]!
    if (ch === "\\" || ch === "'") out += `\\${ch}`
    else if (code >= 32 && code < 127) out += ch
    else out += `\\x${code.toString(16).padStart(2, "0")}`
  }
  return `${out}'`
}

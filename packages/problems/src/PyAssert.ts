import { AssertTest, CallTest, type Test } from "@o1coder/domain"

/**
 * Python-aware reading of dataset assert statements. MBPP-style tests are single `assert`
 * statements; the common shapes become `CallTest`s (call the entry point, compare values) so
 * that the sandbox compares structurally and mutation can reuse the arguments. Anything else is
 * kept verbatim as an `AssertTest`.
 */

/** Positions of the top-level (outside strings and brackets) characters of `source`, per index. */
const topLevelMask = (source: string): ReadonlyArray<boolean> | undefined => {
  const top: Array<boolean> = new Array(source.length).fill(false)
  let depth = 0
  let i = 0
  while (i < source.length) {
    const c = source[i]!
    // A string literal, with optional prefix letters (r, b, u, f and pairs).
    const prefix = /^[rRbBuUfF]{0,2}(?='|")/.exec(source.slice(i, i + 3))
    const prevIsWord = i > 0 && /[\w]/.test(source[i - 1]!)
    if (prefix !== null && !prevIsWord) {
      let j = i + prefix[0].length
      const q = source[j]!
      const triple = source.startsWith(q.repeat(3), j)
      const close = triple ? q.repeat(3) : q
      j += close.length
      for (;;) {
        if (j >= source.length) return undefined
        if (source[j] === "\\") {
          j += 2
          continue
        }
        if (!triple && source[j] === "\n") return undefined
        if (source.startsWith(close, j)) {
          j += close.length
          break
        }
        j++
      }
      if (depth === 0) for (let k = i; k < j; k++) top[k] = false
      i = j
      continue
    }
    if (c === "#") return undefined // a comment: leave such statements alone
    if (c === "(" || c === "[" || c === "{") {
      top[i] = depth === 0
      depth++
    } else if (c === ")" || c === "]" || c === "}") {
      depth--
      if (depth < 0) return undefined
      top[i] = depth === 0
    } else top[i] = depth === 0
    i++
  }
  return depth === 0 ? top : undefined
}

/** Splits `source` at top-level occurrences of `sep` (outside strings and brackets). */
export const splitTopLevel = (source: string, sep: string): ReadonlyArray<string> | undefined => {
  const top = topLevelMask(source)
  if (top === undefined) return undefined
  const parts: Array<string> = []
  let start = 0
  for (let i = 0; i + sep.length <= source.length; i++) {
    if (top[i] && source.startsWith(sep, i)) {
      parts.push(source.slice(start, i))
      start = i + sep.length
      i += sep.length - 1
    }
  }
  parts.push(source.slice(start))
  return parts
}

/** Does `source` hold a top-level comparison or boolean operator (so it is not one plain value)? */
const hasTopLevelOperator = (source: string): boolean => {
  const top = topLevelMask(source)
  if (top === undefined) return true
  let masked = ""
  for (let i = 0; i < source.length; i++) masked += top[i] ? source[i] : " "
  return /==|!=|<|>|(^|\W)(and|or|not|in|is|if|else|lambda)(\W|$)/.test(masked)
}

/** `name(args)` with the call's closing parenthesis at the end: the name and the argument text. */
const asCall = (expr: string): { readonly name: string; readonly args: string } | undefined => {
  const m = /^([A-Za-z_][\w.]*)\s*\(/.exec(expr)
  if (m === null || !expr.endsWith(")")) return undefined
  // The parenthesis opened after the name must be the one that closes at the end.
  const top = topLevelMask(expr)
  if (top === undefined) return undefined
  for (let i = m[0].length; i < expr.length - 1; i++) if (top[i]) return undefined
  return { name: m[1]!, args: expr.slice(m[0].length, -1).trim() }
}

/** Removes redundant outer parentheses: `((f(x)))` -> `f(x)`; keeps tuples like `(1, 2)`. */
const unwrap = (expr: string): string => {
  let e = expr.trim()
  for (;;) {
    if (!(e.startsWith("(") && e.endsWith(")"))) return e
    const inner = e.slice(1, -1)
    const top = topLevelMask(e)
    if (top === undefined) return e
    // The opening parenthesis must close at the very end.
    let closesAtEnd = true
    for (let i = 1; i < e.length - 1; i++) if (top[i]) closesAtEnd = false
    const commas = splitTopLevel(inner, ",")
    if (!closesAtEnd || commas === undefined || commas.length > 1 || inner.trim() === "") return e
    e = inner.trim()
  }
}

/** The float literal value of `text`, if it is one (a signed int or float literal). */
const numberLiteral = (text: string): number | undefined => {
  const t = text.trim().replace(/_/g, "")
  return /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t) ? Number(t) : undefined
}

/** Reads `math.isclose(f(x), y, rel_tol=r, abs_tol=a)` into a call with an absolute tolerance. */
const isCloseTest = (body: string, entryPoint: string | undefined): CallTest | undefined => {
  const call = asCall(body)
  if (call === undefined || (call.name !== "math.isclose" && call.name !== "isclose")) return undefined
  const parts = splitTopLevel(call.args, ",")?.map((p) => p.trim()).filter((p) => p !== "")
  if (parts === undefined || parts.length < 2) return undefined
  const target = asCall(unwrap(parts[0]!))
  const expected = parts[1]!
  if (target === undefined || (entryPoint !== undefined && target.name !== entryPoint)) return undefined
  if (hasTopLevelOperator(expected) || target.name.includes(".")) return undefined
  let rel = 1e-9
  let abs = 0
  for (const kw of parts.slice(2)) {
    const m = /^(rel_tol|abs_tol)\s*=\s*(.+)$/.exec(kw)
    const v = m ? numberLiteral(m[2]!) : undefined
    if (m === null || v === undefined) return undefined
    if (m[1] === "rel_tol") rel = v
    else abs = v
  }
  const y = numberLiteral(expected)
  if (y === undefined || rel >= 1 || rel < 0) return undefined
  // isclose passes when |a-y| <= max(rel*max(|a|,|y|), abs). The largest such |a-y| is
  // rel*|y|/(1-rel) (at |a| > |y|): that absolute tolerance accepts every value isclose accepts.
  return new CallTest({ args: target.args, expected: expected.trim(), atol: Math.max((rel * Math.abs(y)) / (1 - rel), abs) })
}

/**
 * One dataset assert as a test. With `entryPoint` given, only calls of that function become
 * CallTests (a call of another helper must stay an assert).
 *
 * Recognised: `assert f(a) == y`, `assert (f(a)) == y`, `assert y == f(a)` (y a plain value),
 * `assert math.isclose(f(a), y, rel_tol=r, abs_tol=t)` (an absolute tolerance that accepts what
 * isclose accepts), each with an optional `, message`. Truthiness asserts (`assert f(a)`,
 * `assert not f(a)`) stay AssertTests.
 */
export const parseAssert = (source: string, entryPoint?: string): Test => {
  const fallback = new AssertTest({ source })
  const text = source.trim().replace(/;\s*$/, "")
  const m = /^assert\s+([\s\S]+)$/.exec(text)
  if (m === null || text.includes("\n")) return fallback
  const withMessage = splitTopLevel(m[1]!, ",")
  if (withMessage === undefined || withMessage.length > 2) return fallback
  const body = withMessage[0]!.trim()
  const matches = (name: string) => !name.includes(".") && (entryPoint === undefined || name === entryPoint)
  // `expected` is evaluated apart from the candidate, so it must not call the entry point.
  const callsEntry = (expr: string) =>
    entryPoint !== undefined && new RegExp(`(?<![\\w.])${entryPoint}\\s*\\(`).test(expr)

  const sides = splitTopLevel(body, "==")
  if (sides !== undefined && sides.length === 2) {
    const [left, right] = [unwrap(sides[0]!), unwrap(sides[1]!)]
    if (hasTopLevelOperator(left) || hasTopLevelOperator(right)) return fallback
    const l = asCall(left)
    if (l !== undefined && matches(l.name) && !callsEntry(right)) return new CallTest({ args: l.args, expected: right })
    const r = asCall(right)
    if (r !== undefined && matches(r.name) && entryPoint !== undefined && !callsEntry(left))
      return new CallTest({ args: r.args, expected: left })
    return fallback
  }
  if (sides === undefined || sides.length !== 1) return fallback

  const close = isCloseTest(unwrap(body), entryPoint)
  if (close !== undefined) return close

  // `assert f(a)` / `assert not f(a)` test truthiness, not a value: references return
  // re.Match objects, None or 0/1 there (MBPP sanitized 737, 787, 794), so they stay asserts.
  return fallback
}

/** The function most asserts call: the entry point of an MBPP problem. */
export const calledName = (asserts: ReadonlyArray<string>): string | undefined => {
  const counts = new Map<string, number>()
  for (const a of asserts) {
    for (const m of a.matchAll(/(?<![\w.])([A-Za-z_]\w*)\s*\(/g)) {
      const name = m[1]!
      if (["assert", "set", "math", "isclose", "round", "sorted", "list", "tuple", "abs", "len", "str", "int", "float", "not", "type", "all", "any", "frozenset", "dict"].includes(name)) continue
      counts.set(name, (counts.get(name) ?? 0) + 1)
      break
    }
  }
  let best: string | undefined
  for (const [name, n] of counts) if (best === undefined || n > counts.get(best)!) best = name
  return best
}

/** The assert statements of a test script (one per line; other lines, e.g. imports, are setup). */
export const splitAssertScript = (script: string): { readonly asserts: ReadonlyArray<string>; readonly setup: string } => {
  const lines = script.split(/\r?\n/)
  const asserts = lines.filter((l) => l.startsWith("assert ")).map((l) => l.trim())
  const setup = lines.filter((l) => !l.startsWith("assert ") && l.trim() !== "").join("\n")
  return { asserts, setup }
}

import { AssertTest, CallTest, type CallWrap, type Test } from "@o1coder/domain"

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

/** Builtins that may wrap the call on the compared side: `assert set(f(x)) == y` compares `set(f(x))`. */
const WRAPS: Readonly<Record<string, CallWrap>> = {
  set: "set", frozenset: "frozenset", list: "list", tuple: "tuple", sorted: "sorted", int: "int", float: "float",
  str: "str", len: "len", abs: "abs", round: "round", bool: "bool"
}

interface Reader {
  /** A name the tests call as the function under test. */
  readonly matches: (name: string) => boolean
  /** Whether `expr` calls the function under test (an expected value must not: it is evaluated apart from it). */
  readonly callsEntry: (expr: string) => boolean
}

/** `f(a)` or `W(f(a))` with W a wrapping builtin: the argument text and the wrap. */
const readSeen = (expr: string, r: Reader): { readonly args: string; readonly wrap?: CallWrap } | undefined => {
  const call = asCall(unwrap(expr))
  if (call === undefined) return undefined
  const wrap = WRAPS[call.name]
  if (wrap !== undefined) {
    const inner = asCall(unwrap(call.args))
    if (inner !== undefined && r.matches(inner.name) && splitTopLevel(call.args, ",")?.length === 1) return { args: inner.args, wrap }
  }
  return r.matches(call.name) ? { args: call.args } : undefined
}

/** An expected-value side: one value, not calling the function under test. */
const plainSide = (expr: string, r: Reader): string | undefined => {
  const e = unwrap(expr)
  return e === "" || hasTopLevelOperator(e) || r.callsEntry(e) ? undefined : e
}

/** Reads `math.isclose(f(x), y, rel_tol=r, abs_tol=a)`: a call test with exactly those tolerances. */
const isCloseTest = (body: string, r: Reader): CallTest | undefined => {
  const call = asCall(body)
  if (call === undefined || (call.name !== "math.isclose" && call.name !== "isclose")) return undefined
  const parts = splitTopLevel(call.args, ",")?.map((p) => p.trim()).filter((p) => p !== "")
  if (parts === undefined || parts.length < 2) return undefined
  const seen = readSeen(parts[0]!, r)
  const expected = plainSide(parts[1]!, r)
  if (seen === undefined || expected === undefined) return undefined
  let rtol = 1e-9
  let atol = 0
  for (const kw of parts.slice(2)) {
    const m = /^(rel_tol|abs_tol)\s*=\s*(.+)$/.exec(kw)
    const v = m ? numberLiteral(m[2]!) : undefined
    if (m === null || v === undefined || v < 0) return undefined
    if (m[1] === "rel_tol") rtol = v
    else atol = v
  }
  // isclose passes when |a-y| <= max(rel*max(|a|,|y|), abs): the judge's float rule with these two tolerances.
  return new CallTest({ ...seen, expected, atol, rtol })
}

/** Reads `abs(f(x) - y) < t` (or `<=`, `math.fabs`, `abs(y - f(x))`): a call test with absolute tolerance t. */
const absDiffTest = (body: string, r: Reader): CallTest | undefined => {
  const m = /^(.*?)\s*(<=|<)\s*([^<>=]+)$/.exec(body)
  if (m === null) return undefined
  const t = numberLiteral(m[3]!)
  const call = asCall(unwrap(m[1]!))
  if (t === undefined || call === undefined || (call.name !== "abs" && call.name !== "math.fabs")) return undefined
  const diff = splitTopLevel(call.args, "-")
  if (diff === undefined || diff.length !== 2) return undefined
  for (const [a, b] of [[diff[0]!, diff[1]!], [diff[1]!, diff[0]!]] as const) {
    const seen = readSeen(a, r)
    const expected = plainSide(b, r)
    if (seen !== undefined && expected !== undefined) return new CallTest({ ...seen, expected, atol: t, rtol: 0 })
  }
  return undefined
}

/** One assert body (no `assert`, no message) as a call test, or undefined. */
const bodyTest = (body: string, r: Reader): CallTest | undefined => {
  const sides = splitTopLevel(body, "==")
  if (sides === undefined) return undefined
  if (sides.length === 2) {
    for (const [a, b] of [[sides[0]!, sides[1]!], [sides[1]!, sides[0]!]] as const) {
      if (hasTopLevelOperator(unwrap(a))) continue
      const seen = readSeen(a, r)
      const expected = plainSide(b, r)
      if (seen !== undefined && expected !== undefined) return new CallTest({ ...seen, expected })
    }
    return undefined
  }
  if (sides.length !== 1) return undefined
  const e = unwrap(body)
  const close = isCloseTest(e, r) ?? absDiffTest(e, r)
  if (close !== undefined) return close
  // Truthiness: `assert f(a)`, `assert not f(a)`, `assert f(a) is (not) None` (references return re.Match
  // objects, None or 0/1 there: MBPP sanitized 737, 787, 794).
  const negated = /^not\s+([\s\S]+)$/.exec(e)
  const isNone = /^([\s\S]+?)\s+is\s+(not\s+)?None$/.exec(e)
  if (isNone !== null) {
    const seen = readSeen(isNone[1]!, r)
    return seen !== undefined && seen.wrap === undefined ? new CallTest({ args: seen.args, expected: isNone[2] ? "True" : "False", wrap: "not_none" }) : undefined
  }
  const target = negated !== null ? negated[1]! : e
  if (hasTopLevelOperator(unwrap(target))) return undefined
  const seen = readSeen(target, r)
  return seen !== undefined && seen.wrap === undefined ? new CallTest({ args: seen.args, expected: negated !== null ? "False" : "True", wrap: "bool" }) : undefined
}

const readerFor = (entryPoint: string | undefined): Reader => ({
  matches: (name) => !name.includes(".") && !(name in WRAPS) && (entryPoint === undefined || name === entryPoint),
  callsEntry: (expr) => entryPoint !== undefined && new RegExp(`(?<![\\w.])${entryPoint}\\s*\\(`).test(expr)
})

/** The body of a one-line `assert body[, message]`, or undefined. */
const assertBody = (source: string): string | undefined => {
  const text = source.trim().replace(/;\s*$/, "")
  const m = /^assert\s+([\s\S]+)$/.exec(text)
  if (m === null || text.includes("\n")) return undefined
  const withMessage = splitTopLevel(m[1]!, ",")
  return withMessage === undefined || withMessage.length > 2 ? undefined : withMessage[0]!.trim()
}

/**
 * One dataset assert as a test. With `entryPoint` given, only calls of that function become
 * CallTests (a call of another helper must stay an assert).
 *
 * Recognised, each with an optional `, message`: `assert f(a) == y` and `assert y == f(a)` (y one
 * value), with the call optionally wrapped in a builtin (`set(f(a)) == y`, `sorted`, `list`,
 * `tuple`, `int`, `len`, ...), `math.isclose(f(a), y, rel_tol=r, abs_tol=t)`, `abs(f(a) - y) < t`,
 * and truthiness (`assert f(a)`, `assert not f(a)`, `assert f(a) is not None`). Anything else is
 * an AssertTest, judged apart from the candidate's process.
 */
export const parseAssert = (source: string, entryPoint?: string): Test => {
  const body = assertBody(source)
  return (body !== undefined ? bodyTest(body, readerFor(entryPoint)) : undefined) ?? new AssertTest({ source })
}

/** Like parseAssert, and an `and`-chain of such comparisons becomes one call test per operand. */
export const parseAsserts = (source: string, entryPoint?: string): ReadonlyArray<Test> => {
  const body = assertBody(source)
  const operands = body === undefined ? undefined : splitTopLevel(body, " and ")
  if (body === undefined || operands === undefined || operands.length < 2) return [parseAssert(source, entryPoint)]
  const r = readerFor(entryPoint)
  const tests = operands.map((o) => bodyTest(o.trim(), r))
  return tests.every((t): t is CallTest => t !== undefined) ? tests : [new AssertTest({ source })]
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

/**
 * Where the string literal starting at `i` (a quote, maybe after prefix letters, not inside a
 * name) ends, leniently: an unterminated literal runs to the end of `source`. Undefined when no
 * literal starts at `i`.
 */
const stringEnd = (source: string, i: number): number | undefined => {
  const prefix = /^[rRbBuUfF]{0,2}(?='|")/.exec(source.slice(i, i + 3))
  if (prefix === null || (i > 0 && /\w/.test(source[i - 1]!))) return undefined
  let j = i + prefix[0].length
  const q = source[j]!
  const close = source.startsWith(q.repeat(3), j) ? q.repeat(3) : q
  j += close.length
  while (j < source.length && !source.startsWith(close, j)) j += source[j] === "\\" ? 2 : 1
  return Math.min(source.length, j + close.length)
}

/**
 * Logical lines of Python source (a statement may span lines inside brackets, strings or after a
 * backslash), with comments removed; each with the indentation of its first line.
 */
export const logicalLines = (source: string): ReadonlyArray<{ readonly indent: number; readonly text: string }> => {
  const out: Array<{ indent: number; text: string }> = []
  let current = ""
  let depth = 0
  let i = 0
  const flush = () => {
    if (current.trim() !== "") out.push({ indent: current.length - current.trimStart().length, text: current.trim() })
    current = ""
  }
  while (i < source.length) {
    const c = source[i]!
    const end = stringEnd(source, i)
    if (end !== undefined) {
      current += source.slice(i, end)
      i = end
      continue
    }
    if (c === "#") {
      while (i < source.length && source[i] !== "\n") i++
      continue
    }
    if (c === "\\" && source[i + 1] === "\n") {
      current += " "
      i += 2
      continue
    }
    if ("([{".includes(c)) depth++
    else if (")]}".includes(c)) depth = Math.max(0, depth - 1)
    if (c === "\n" && depth === 0) flush()
    else current += c === "\n" ? " " : c
    i++
  }
  flush()
  return out
}

/** `name` renamed to `to` where it is an identifier outside strings. */
const renameIdentifier = (source: string, name: string, to: string): string => {
  let out = ""
  let i = 0
  while (i < source.length) {
    const end = stringEnd(source, i)
    if (end !== undefined) {
      out += source.slice(i, end)
      i = end
      continue
    }
    const m = /^[A-Za-z_]\w*/.exec(source.slice(i))
    if (m !== null && !(i > 0 && /[\w.]/.test(source[i - 1]!))) {
      out += m[0] === name ? to : m[0]
      i += m[0].length
      continue
    }
    out += source[i]
    i++
  }
  return out
}

/**
 * Top-level imports and functions of a HumanEval prompt other than the entry point (e.g. `poly`
 * for find_zero, `encode_cyclic` for decode_cyclic): trusted helpers for the judge, so that a check
 * calling them never calls the candidate's copy.
 */
export const promptHelpers = (prompt: string, entryPoint: string): string => {
  const blocks: Array<Array<string>> = []
  for (const line of prompt.split("\n")) {
    if (/^\S/.test(line) || blocks.length === 0) blocks.push([line])
    else blocks[blocks.length - 1]!.push(line)
  }
  return blocks
    .filter((b) => {
      const head = b[0]!
      const def = /^(?:async\s+)?def\s+([A-Za-z_]\w*)/.exec(head)
      return /^(import|from)\s/.test(head) || (def !== null && def[1] !== entryPoint)
    })
    .map((b) => b.join("\n").trimEnd() + "\n")
    .join("\n")
}

const isNoOp = (statement: string): boolean => /^assert\s+True\s*(,[\s\S]*)?$/.test(statement)

/**
 * HumanEval's `check(candidate)` as tests. When the body holds only assert statements, each becomes
 * a call test where it has a shape parseAsserts reads (an `and`-chain one per operand; `assert True`
 * is dropped), and an assert test of its own otherwise; a body with anything else (loops,
 * assignments) stays one assert test. Assert tests carry `helpers` (see promptHelpers).
 */
export const checkTests = (test: string, entryPoint: string, helpers = ""): ReadonlyArray<Test> => {
  const statements = logicalLines(test)
  const at = statements.findIndex((s) => s.indent === 0 && /^def\s+check\s*\(\s*[A-Za-z_]\w*\s*\)\s*:$/.test(s.text))
  const whole = [new AssertTest({ source: `${helpers}${test.trim()}\n\ncheck(${entryPoint})` })]
  if (at < 0) return whole
  const param = /\(\s*([A-Za-z_]\w*)/.exec(statements[at]!.text)![1]!
  const prelude = statements.slice(0, at)
  const body = statements.slice(at + 1).filter((s) => s.indent > 0)
  const after = statements.slice(at + 1).filter((s) => s.indent === 0)
  const preludeOk = prelude.every((s) => /^(import|from)\s/.test(s.text) || /^[A-Z_][A-Z0-9_]*\s*=/.test(s.text))
  if (!preludeOk || after.length > 0 || body.length === 0 || !body.every((s) => /^assert\s/.test(s.text))) return whole
  const header = `${helpers}${prelude.map((s) => s.text).join("\n")}\n\ndef check(${param}):\n`
  const tests = body.flatMap((s): ReadonlyArray<Test> => {
    if (isNoOp(s.text)) return []
    const parsed = parseAsserts(renameIdentifier(s.text, param, entryPoint), entryPoint)
    if (parsed.every((t) => t._tag === "call")) return parsed
    return [new AssertTest({ source: `${header}    ${s.text}\n\ncheck(${entryPoint})` })]
  })
  return tests.length > 0 ? tests : whole
}

import { CallTest, StdioTest } from "@o1coder/domain"
import type { Problem, Test } from "@o1coder/domain"

/**
 * The LLM test-case generator's (TCG) prompt and output format, shared by every TCG model (real,
 * simulated, fine-tuned) and by the parser below. The prompt follows the paper's structure
 * (instruction, problem, code part, test part) in our own words:
 *
 *     ### Instruction
 *     Read the problem and the reference solution, then write N test cases ...
 *     ### Problem
 *     <statement>
 *     ### Code Part
 *     ```python
 *     <reference solution>            (omitted in question-only mode)
 *     ```
 *     ### Test Part
 *     <format reminder>
 *     ### Test Cases
 *
 * The model continues after the last header (`TCG_CASES_HEADER`) with the cases:
 *
 * - function problems: one line per case, `assert ENTRY(ARGS) == EXPECTED`, ARGS and EXPECTED as
 *   Python literals (e.g. `assert add(1, [2, 3]) == 6`);
 * - stdio problems: blocks
 *
 *       ### Input
 *       <raw stdin lines>
 *       ### Output
 *       <raw stdout lines>
 *
 * and may stop at `TCG_STOP`. The parser is lenient: code fences, numbering, comments, prose lines,
 * `assert (f(x) == y)`, `assert f(x) == y, "msg"`, `assert f(x)` (expects True), `assert not f(x)`
 * (expects False) and multi-line asserts are accepted; anything else is reported as unparseable.
 */
export const TCG_CASES_HEADER = "### Test Cases\n"
export const TCG_STOP = "\n### End"

export interface TcgPromptInput {
  readonly kind: Problem["kind"]
  readonly statement: string
  readonly entryPoint?: string | undefined
  readonly signature?: string | undefined
  /** The reference solution shown in the code part; undefined in question-only mode. */
  readonly reference?: string | undefined
  /** Number of cases asked for (the paper uses 3). */
  readonly count: number
}

const formatReminder = (input: TcgPromptInput): string =>
  input.kind === "function"
    ? `Write ${input.count} test cases, one per line, each of the form\n` +
      `assert ${input.entryPoint ?? "f"}(ARGUMENTS) == EXPECTED\n` +
      `where ARGUMENTS and EXPECTED are Python literals. Finish with "### End".`
    : `Write ${input.count} test cases, each as a block\n### Input\n<stdin>\n### Output\n<expected stdout>\n` +
      `Finish with "### End".`

/** The exact prompt text for a problem (byte-identical for the same input). */
export const renderTcgPrompt = (input: TcgPromptInput): string => {
  const code = input.reference !== undefined
    ? "```python\n" + input.reference.replace(/\r\n/g, "\n").trimEnd() + "\n```"
    : input.signature !== undefined
      ? "(no solution given; the function to test has this signature)\n```python\n" + input.signature.trimEnd() + "\n```"
      : "(no solution given)"
  const instruction = input.reference !== undefined
    ? `Read the programming problem and its reference solution below, then write ${input.count} test cases that ` +
      "check whether a program solves the problem. The expected outputs must be exactly what a correct solution returns."
    : `Read the programming problem below, then write ${input.count} test cases that check whether a program ` +
      "solves the problem. The expected outputs must be exactly what a correct solution returns."
  return [
    "### Instruction",
    instruction,
    "### Problem",
    input.statement.replace(/\r\n/g, "\n").trim(),
    "### Code Part",
    code,
    "### Test Part",
    formatReminder(input),
    TCG_CASES_HEADER
  ].join("\n")
}

/** Prompt input for a problem; `withReference: false` is the question-only mode. */
export const promptInputFor = (problem: Problem, count: number, withReference = true): TcgPromptInput => ({
  kind: problem.kind,
  statement: problem.statement,
  entryPoint: problem.entryPoint,
  signature: problem.signature,
  reference: withReference ? problem.reference : undefined,
  count
})

/** The completion text for a list of cases, in the format above (used for SFT targets and simulated models). */
export const renderTcgCases = (tests: ReadonlyArray<Test>, entryPoint: string | undefined): string => {
  const parts = tests.flatMap((t) => {
    switch (t._tag) {
      case "call":
        return [`assert ${entryPoint ?? "f"}(${t.args}) == ${asOperand(t.expected)}\n`]
      case "stdio":
        return [`### Input\n${t.input.replace(/\n$/, "")}\n### Output\n${t.output.replace(/\n$/, "")}\n`]
      case "assert":
        return [`${t.source.trim()}\n`]
    }
  })
  return parts.join("") + "### End\n"
}

export interface Unparseable {
  readonly text: string
  readonly reason: string
}

export interface ParsedCases {
  readonly tests: ReadonlyArray<Test>
  readonly unparseable: ReadonlyArray<Unparseable>
}

// ---------------------------------------------------------------------------------------------
// A small scanner over Python source: bracket depth and string literals, enough to split
// `f(args) == expected` at the top level and to know when a multi-line statement is complete.

const OPEN = "([{"
const CLOSE = ")]}"

/** Index just past the end of the string literal starting at `i` (a quote, maybe after a prefix), or -1. */
const skipString = (s: string, i: number): number => {
  const quote = s[i]!
  const triple = s.slice(i, i + 3) === quote.repeat(3)
  const delim = triple ? quote.repeat(3) : quote
  let j = i + delim.length
  while (j < s.length) {
    if (s[j] === "\\") {
      j += 2
      continue
    }
    if (!triple && s[j] === "\n") return -1
    if (s.startsWith(delim, j)) return j + delim.length
    j++
  }
  return -1
}

/** Depth of open brackets at the end of `s` (negative when unbalanced), -Infinity for an open string. */
export const bracketDepth = (s: string): number => {
  let depth = 0
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!
    if (c === "'" || c === '"') {
      const end = skipString(s, i)
      if (end < 0) return Number.NEGATIVE_INFINITY
      i = end - 1
    } else if (c === "#") {
      const nl = s.indexOf("\n", i)
      if (nl < 0) break
      i = nl
    } else if (OPEN.includes(c)) depth++
    else if (CLOSE.includes(c)) depth--
  }
  return depth
}

/**
 * Walks `s` from `from` outside string literals, calling `visit` with each character, its index
 * and the bracket depth before it; returns the first index `visit` gives, -1 when it gives none
 * or a string literal is left open.
 */
const scanCode = (s: string, from: number, visit: (c: string, i: number, depth: number) => number | undefined): number => {
  let depth = 0
  for (let i = from; i < s.length; i++) {
    const c = s[i]!
    if (c === "'" || c === '"') {
      const end = skipString(s, i)
      if (end < 0) return -1
      i = end - 1
      continue
    }
    const hit = visit(c, i, depth)
    if (hit !== undefined) return hit
    if (OPEN.includes(c)) depth++
    else if (CLOSE.includes(c)) depth--
  }
  return -1
}

/** Positions of `needle` in `s` at bracket depth 0 and outside strings. */
const topLevelIndexOf = (s: string, needle: string, from = 0): number =>
  scanCode(s, from, (c, i, depth) => (depth === 0 && !OPEN.includes(c) && !CLOSE.includes(c) && s.startsWith(needle, i) ? i : undefined))

/** Index of the bracket closing the one at `open`, or -1. */
const matchingClose = (s: string, open: number): number =>
  scanCode(s, open, (c, i, depth) => (depth === 1 && CLOSE.includes(c) ? i : undefined))

/** The argument text of the first call of `name` in a statement (`assert set(f(1, 2)) == ...` gives `1, 2`). */
export const callArgsIn = (source: string, name: string): string | undefined => {
  const re = new RegExp(`(?<![\\w.])${name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\s*\\(`, "g")
  for (const m of source.matchAll(re)) {
    const open = m.index! + m[0].length - 1
    const close = matchingClose(source, open)
    if (close > open) return source.slice(open + 1, close).trim()
  }
  return undefined
}

/** Removes redundant outer parentheses, never those of a tuple (`(1, 2)`, `()`). */
const stripOuterParens = (s: string): string => {
  let t = s.trim()
  while (t.startsWith("(") && matchingClose(t, 0) === t.length - 1) {
    const inner = t.slice(1, -1).trim()
    if (inner === "" || topLevelIndexOf(inner, ",") >= 0) break
    t = inner
  }
  return t
}

/** `expected` as it can follow `==` in an assert: a bare tuple gets parentheses. */
const asOperand = (expected: string): string => (topLevelIndexOf(expected, ",") >= 0 ? `(${expected})` : expected)

/** Removes a trailing `# comment` outside strings. */
const stripComment = (s: string): string => {
  const hash = scanCode(s, 0, (c, i) => (c === "#" ? i : undefined))
  return hash < 0 ? s : s.slice(0, hash).trimEnd()
}

/**
 * Parses one `assert ...` statement of a function problem into a CallTest. Returns a reason
 * string when the statement is not a call of `entryPoint` compared with a value.
 */
export const parseAssert = (statement: string, entryPoint: string): CallTest | string => {
  let body = stripComment(statement.trim())
  if (!body.startsWith("assert")) return "not an assert statement"
  body = body.slice("assert".length).trim()
  // `assert cond, "message"`: drop the message.
  const comma = topLevelIndexOf(body, ",")
  if (comma >= 0) body = body.slice(0, comma).trim()
  body = stripOuterParens(body)
  let negate = false
  if (/^not\b/.test(body)) {
    negate = true
    body = stripOuterParens(body.slice(3))
  }
  const eq = topLevelIndexOf(body, "==")
  let lhs = stripOuterParens(eq >= 0 ? body.slice(0, eq) : body)
  let rhs = eq >= 0 ? body.slice(eq + 2).trim() : negate ? "False" : "True"
  if (eq >= 0 && negate) return "negated comparison"
  if (eq >= 0 && !lhs.startsWith(`${entryPoint}(`)) {
    // `assert EXPECTED == f(args)`: swap sides.
    const r = stripOuterParens(rhs)
    if (r.startsWith(`${entryPoint}(`)) [lhs, rhs] = [r, lhs]
  }
  if (!lhs.startsWith(`${entryPoint}(`)) {
    const called = lhs.match(/^([A-Za-z_][\w.]*)\s*\(/)
    return called ? `calls ${called[1]} instead of ${entryPoint}` : `does not call ${entryPoint}`
  }
  const open = entryPoint.length
  const close = matchingClose(lhs, open)
  if (close < 0) return "unbalanced brackets"
  if (close !== lhs.length - 1) return "the call is part of a larger expression"
  const args = lhs.slice(open + 1, close).trim()
  const expected = stripOuterParens(rhs)
  if (expected.length === 0) return "missing expected value"
  if (bracketDepth(expected) !== 0) return "unbalanced brackets"
  if (bracketDepth(args) !== 0) return "unbalanced brackets"
  return new CallTest({ args, expected })
}

const cleanLines = (text: string): Array<string> => {
  const stop = text.indexOf(TCG_STOP.trim())
  const cut = stop >= 0 ? text.slice(0, stop) : text
  return cut.replace(/\r\n/g, "\n").split("\n")
}

/** Lines that are formatting, not content: fences, blank lines. */
const isNoise = (line: string) => /^\s*(```[\w-]*\s*)?$/.test(line)

/** Strips list numbering (`1.`, `2)`, `- `, `Test 3:`) before an assert. */
const stripNumbering = (line: string): string =>
  line.replace(/^\s*(?:[-*]\s+|\d+[.):]\s*|(?:test(?:\s*case)?\s*\d*\s*[:.]\s*))/i, "")

const parseFunctionCases = (text: string, entryPoint: string): ParsedCases => {
  const tests: Array<Test> = []
  const unparseable: Array<Unparseable> = []
  const lines = cleanLines(text)
  for (let i = 0; i < lines.length; i++) {
    const line = stripNumbering(lines[i]!).trim()
    if (isNoise(line) || line.startsWith("#")) continue
    if (!line.startsWith("assert")) {
      // Prose is ignored; a bare call line is reported since it was probably meant as a case.
      if (line.startsWith(`${entryPoint}(`)) unparseable.push({ text: line, reason: "no assert and no expected value" })
      continue
    }
    let statement = line
    // A multi-line assert continues while brackets are open (at most 50 lines).
    let j = i
    const continues = (next: string) => !/^\s*(assert\b|```)/.test(stripNumbering(next))
    while (bracketDepth(statement) > 0 && j + 1 < lines.length && j - i < 50 && continues(lines[j + 1]!)) {
      j++
      statement += "\n" + lines[j]!
    }
    i = j
    const depth = bracketDepth(statement)
    if (depth !== 0) {
      unparseable.push({ text: statement, reason: depth === Number.NEGATIVE_INFINITY ? "unterminated string" : "unbalanced brackets" })
      continue
    }
    const parsed = parseAssert(statement.replace(/\n\s*/g, " "), entryPoint)
    if (typeof parsed === "string") unparseable.push({ text: statement, reason: parsed })
    else tests.push(parsed)
  }
  return { tests, unparseable }
}

const parseStdioCases = (text: string): ParsedCases => {
  const tests: Array<Test> = []
  const unparseable: Array<Unparseable> = []
  const lines = cleanLines(text).filter((l) => !/^\s*```[\w-]*\s*$/.test(l))
  const isInput = (l: string) => /^\s*#{0,4}\s*(?:test\s*\d*\s*)?input\s*\d*\s*:?\s*$/i.test(l)
  const isOutput = (l: string) => /^\s*#{0,4}\s*(?:expected\s*)?output\s*\d*\s*:?\s*$/i.test(l)
  let i = 0
  while (i < lines.length) {
    if (!isInput(lines[i]!)) {
      if (isOutput(lines[i]!)) unparseable.push({ text: lines[i]!, reason: "output block without input" })
      i++
      continue
    }
    const input: Array<string> = []
    i++
    while (i < lines.length && !isOutput(lines[i]!) && !isInput(lines[i]!)) input.push(lines[i++]!)
    if (i >= lines.length || isInput(lines[i]!)) {
      unparseable.push({ text: input.join("\n"), reason: "input block without output" })
      continue
    }
    const output: Array<string> = []
    i++
    while (i < lines.length && !isInput(lines[i]!) && !/^\s*#{2,4}\s/.test(lines[i]!)) output.push(lines[i++]!)
    const trim = (xs: Array<string>) => xs.join("\n").replace(/^\n+/, "").replace(/\s+$/, "")
    const out = trim(output)
    if (out.length === 0) {
      unparseable.push({ text: trim(input), reason: "empty output" })
      continue
    }
    tests.push(new StdioTest({ input: trim(input) + "\n", output: out + "\n" }))
  }
  return { tests, unparseable }
}

/** Parses a TCG model's completion into tests, reporting what could not be parsed and why. */
export const parseTcgOutput = (
  text: string,
  problem: { readonly kind: Problem["kind"]; readonly entryPoint?: string | undefined }
): ParsedCases =>
  problem.kind === "function"
    ? problem.entryPoint === undefined
      ? { tests: [], unparseable: [{ text, reason: "function problem without an entry point" }] }
      : parseFunctionCases(text, problem.entryPoint)
    : parseStdioCases(text)

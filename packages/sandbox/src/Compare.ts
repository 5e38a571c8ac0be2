import { AssertTest, CallTest, type PyValue, pyValueToSource } from "@o1coder/domain"

/**
 * Judging outside the sandbox. Value equality, rendering and repr are the domain's (packages/domain/src/PyLiteral.ts:
 * Python's `==` on encoded values with a float tolerance, NaN equal to NaN, an unrepresentable value equal to
 * nothing), re-exported here for the sandbox's users; stdout comparison and test building are the sandbox's own.
 */
export {
  DEFAULT_TOLERANCE,
  pyEqual,
  pyRepr,
  pyValueToSource,
  type Tolerance,
  toleranceFor,
  UnrepresentableValue
} from "@o1coder/domain"

/**
 * A value's weight as the runner counts it (nodes plus characters of str and bytes); counting stops past
 * `limit`. Values heavier than the digest threshold are compared by digest, so a literal that heavy is
 * evaluated by Python (which digests it) rather than compared inline.
 */
export const pyWeight = (value: PyValue, limit = Infinity): number => {
  let total = 0
  const stack: Array<PyValue> = [value]
  while (stack.length > 0 && total <= limit) {
    const x = stack.pop()!
    total += 1
    if (x.t === "str") total += [...x.v].length
    else if (x.t === "bytes") total += x.v.length
    else if (x.t === "list" || x.t === "tuple" || x.t === "set") stack.push(...x.v)
    else if (x.t === "dict") for (const [k, v] of x.v) stack.push(k, v)
  }
  return total
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

/** The same check as an assert statement, for harnesses that only take asserts (the sandbox judges it in a process without candidate code). */
export const assertTestFor = (entryPoint: string, args: string, value: PyValue): AssertTest =>
  new AssertTest({ source: `assert ${entryPoint}(${args}) == ${pyValueToSource(value)}` })

import { parsePyValue, PyParseFailure, type PyValue } from "@o1coder/domain"

/**
 * An expected value read directly as a PyValue, so most dataset expected values need no Python at
 * all: the domain's literal parser in strict mode (plain literals only; anything it does not fully
 * know, such as names, calls, comments, hex/complex numbers or sets whose elements might merge, is
 * undefined and evaluated in the sandbox instead). `PyLiteral.test.ts` checks the result against
 * Python on every MBPP expected value.
 */
export const parsePyLiteral = (source: string): PyValue | undefined => {
  const value = parsePyValue(source, { strict: true })
  return value instanceof PyParseFailure ? undefined : value
}

import { Schema } from "effect"
import { ProblemId, SuiteId } from "./Ids.ts"

export const ProblemKind = Schema.Literal("function", "stdio")
export type ProblemKind = typeof ProblemKind.Type

export const TestOrigin = Schema.Literal("dataset", "llm", "mutation")
export type TestOrigin = typeof TestOrigin.Type

/**
 * A builtin applied to the returned value before it is compared (`assert set(f(x)) == {...}` is a call
 * test with `wrap: "set"`; `assert f(x)` is `wrap: "bool"` against `True`; `not_none` is `f(x) is not None`).
 */
export const CallWrap = Schema.Literal("bool", "not_none", "set", "frozenset", "list", "tuple", "sorted", "int", "float", "str", "len", "abs", "round")
export type CallWrap = typeof CallWrap.Type

/**
 * EvalPlus's special oracles (evalplus/eval/__init__.py, `unsafe_execute`), decided per test when it is
 * labelled: `any` (Mbpp/164: any returned value passes), `or_zero` (Mbpp/295: exact or `== 0`), `set_eq`
 * (`set(out) == set(exp)` replaces `==`), `not_none` (expected is `ref is not None`; a bool output is
 * compared as is, anything else by `is not None`), `alt_eq` (Mbpp/558: exact or `== alt`), `alt_abs`
 * (Mbpp/581: exact or `abs(out - alt) <= oracleAtol`).
 */
export const EvalPlusOracle = Schema.Literal("any", "or_zero", "set_eq", "not_none", "alt_eq", "alt_abs")
export type EvalPlusOracle = typeof EvalPlusOracle.Type

/**
 * Judge a call test by EvalPlus's rule instead of the sandbox's default: exact `==` (floats exact, NaN
 * unequal), then, when that fails and `atol` is not 0, same type, same length for sequences and
 * `np.allclose(out, exp, rtol=1e-07, atol=atol)`. `atol` is the value EvalPlus would hold at this input
 * (the task's, or 1e-6 once an expected value of its run was a float or a list of floats).
 */
export const EvalPlusCheck = Schema.Struct({
  atol: Schema.Number,
  oracle: Schema.optional(EvalPlusOracle),
  /** Source of the oracle's alternative expected value (alt_eq, alt_abs). */
  alt: Schema.optional(Schema.String),
  oracleAtol: Schema.optional(Schema.Number)
})
export type EvalPlusCheck = typeof EvalPlusCheck.Type

/**
 * `call`: evaluate `entryPoint(<args>)` in the candidate's process and compare the returned
 * value (after `wrap`, if any) with `expected`, a Python expression evaluated apart from the
 * candidate (it never enters the candidate's process). `args` is the source text of the argument list.
 */
export class CallTest extends Schema.TaggedClass<CallTest>()("call", {
  args: Schema.String,
  expected: Schema.String,
  atol: Schema.optional(Schema.Number),
  /** Relative tolerance for floats (default 1e-6); `abs(f(x) - y) < t` is atol t with rtol 0. */
  rtol: Schema.optional(Schema.Number),
  wrap: Schema.optional(CallWrap),
  evalplus: Schema.optional(EvalPlusCheck),
  /**
   * The expected value known only by its digest (a labelled value too heavy for a literal: the reference's
   * output crossed as a digest). `expected` is then a description, never evaluated; the candidate's value is
   * digested by the same encoder and compared exactly (flat float sequences within tolerance).
   */
  expectedDigest: Schema.optional(Schema.Struct({
    t: Schema.Literal("digest"),
    h: Schema.String,
    w: Schema.Number,
    c: Schema.String,
    n: Schema.Number,
    q: Schema.optional(Schema.String)
  }))
}) {}

/** The assert statement a call test stands for, e.g. `assert set(f(1, 2)) == {1, 2}`. */
export const callTestAssert = (test: CallTest, entryPoint = "f"): string => {
  const call = `${entryPoint}(${test.args})`
  const seen = test.wrap === undefined ? call : test.wrap === "not_none" ? `(${call} is not None)` : `${test.wrap}(${call})`
  return `assert ${seen} == ${test.expected}`
}

/** A statement the dataset gives that is not of the form `assert f(...) == expected`. */
export class AssertTest extends Schema.TaggedClass<AssertTest>()("assert", {
  source: Schema.String
}) {}

/** Feed `input` on stdin; compare stdout with `output` after trimming trailing whitespace per line. */
export class StdioTest extends Schema.TaggedClass<StdioTest>()("stdio", {
  input: Schema.String,
  output: Schema.String
}) {}

export const Test = Schema.Union(CallTest, AssertTest, StdioTest)
export type Test = typeof Test.Type

export class TestCase extends Schema.Class<TestCase>("TestCase")({
  test: Test,
  origin: TestOrigin
}) {}

export class Problem extends Schema.Class<Problem>("Problem")({
  id: ProblemId,
  dataset: Schema.String,
  taskId: Schema.String,
  split: Schema.String,
  kind: ProblemKind,
  statement: Schema.String,
  /** Function name the tests call (function problems). */
  entryPoint: Schema.optional(Schema.String),
  /** Signature or starter code shown to the model. */
  signature: Schema.optional(Schema.String),
  reference: Schema.optional(Schema.String),
  /** Code run before tests (MBPP `test_setup_code` / `test_imports`). */
  setup: Schema.optional(Schema.String),
  /** Tests the search may see and run. */
  visibleTests: Schema.Array(Test),
  /** Tests that only score a final answer; never shown to or run by search. */
  heldOutTests: Schema.Array(Test),
  /**
   * Held-out argument lists (source text) without expected values: they are labelled by running
   * `reference` at scoring time (MBPP+, HumanEval+ inputs), compared with `atol`.
   */
  heldOutInputs: Schema.optionalWith(Schema.Array(Schema.String), { default: () => [] }),
  /**
   * MBPP+ / HumanEval+ `base_input`: argument lists of the base tests, which EvalPlus's grading labels with the
   * reference like the plus inputs (the dataset's asserts are the original grading).
   */
  heldOutBaseInputs: Schema.optionalWith(Schema.Array(Schema.String), { default: () => [] }),
  atol: Schema.optional(Schema.Number)
}) {}

export class TestSuite extends Schema.Class<TestSuite>("TestSuite")({
  id: SuiteId,
  problemId: ProblemId,
  generator: Schema.String,
  cases: Schema.Array(TestCase)
}) {}

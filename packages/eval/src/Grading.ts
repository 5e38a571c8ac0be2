import type { EvalPlusOracle } from "@o1coder/domain"

/**
 * How a dataset's held-out tests are judged.
 * - `original`: the dataset's own tests as written (MBPP `test_list`, HumanEval `check(candidate)`), judged
 *   by the sandbox's rules; plus inputs of other datasets compared with the reference's output within atol.
 * - `evalplus`: EvalPlus's differential testing, rule for rule (evalplus/eval/__init__.py): base and plus
 *   inputs both labelled by the canonical solution, each input judged by `evalplusPasses` (exact `==`, its
 *   special oracles, its float rule and type rule, its atol), base and plus scored apart.
 */
export type GradingPolicy =
  | { readonly _tag: "original" }
  | { readonly _tag: "evalplus"; readonly benchmark: "mbpp" | "humaneval" }

export const gradingFor = (dataset: string): GradingPolicy =>
  dataset === "mbpp-plus"
    ? { _tag: "evalplus", benchmark: "mbpp" }
    : dataset === "humaneval-plus"
      ? { _tag: "evalplus", benchmark: "humaneval" }
      : { _tag: "original" }

export const describeGrading = (policy: GradingPolicy): string =>
  policy._tag === "original"
    ? "grading: the dataset's own tests as written"
    : `grading: EvalPlus's (${policy.benchmark}): base_input and plus_input labelled by the canonical solution; ` +
      "exact ==, else with atol != 0 (the task's, or 1e-6 once an expected value was a float or list of floats) same type, " +
      "same length and np.allclose(rtol=1e-7); special oracles " +
      (policy.benchmark === "mbpp"
        ? "set equality (2, 7, 111, 140, 232, 249, 579, 769), is-not-None (check_str, text_match_three, text_starta_endb), any output (164), exact or 0 (295), alternative formulas (558, 581)"
        : "find_zero (32): |poly(xs, out)| <= atol")

/** EvalPlus's MBPP special oracles, by entry point (evalplus/eval/_special_oracle.py and unsafe_execute). */
export const MBPP_OUTPUT_NOT_NONE = ["check_str", "text_match_three", "text_starta_endb"]
export const MBPP_OUTPUT_SET_EQ = ["similar_elements", "find_char_long", "common_in_nested_lists", "extract_singly", "larg_nnum", "intersection_array", "find_dissimilar", "Diff"]

export interface OracleSpec {
  readonly oracle: EvalPlusOracle
  /** Trusted code computing the alternative expected value from the input (alt_eq, alt_abs). */
  readonly alternative?: { readonly code: string; readonly entryPoint: string } | undefined
}

const SURFACE_AREA = `import math
def _surface_Area(base_edge, height):
    slant_height = math.sqrt((base_edge / 2) ** 2 + height**2)
    base_area = base_edge**2
    lateral_area = 4 * (base_edge * slant_height) / 2
    total_surface_area = base_area + lateral_area
    return round(total_surface_area)
`

const DIGIT_DISTANCE = `def _digit_distance_nums(num1, num2):
    str_num1, str_num2 = str(num1), str(num2)
    max_length = max(len(str_num1), len(str_num2))
    str_num1, str_num2 = str_num1.zfill(max_length), str_num2.zfill(max_length)
    total_difference = 0
    for digit1, digit2 in zip(str_num1, str_num2):
        difference = abs(int(digit1) - int(digit2))
        total_difference += difference
    return total_difference
`

/** The order matters: EvalPlus checks 164, 295, 581, 558, then set equality, then not-None. */
export const mbppOracle = (entryPoint: string): OracleSpec | undefined => {
  if (entryPoint === "are_equivalent") return { oracle: "any" }
  if (entryPoint === "sum_div") return { oracle: "or_zero" }
  if (entryPoint === "surface_Area") return { oracle: "alt_abs", alternative: { code: SURFACE_AREA, entryPoint: "_surface_Area" } }
  if (entryPoint === "digit_distance_nums") return { oracle: "alt_eq", alternative: { code: DIGIT_DISTANCE, entryPoint: "_digit_distance_nums" } }
  if (MBPP_OUTPUT_SET_EQ.includes(entryPoint)) return { oracle: "set_eq" }
  if (MBPP_OUTPUT_NOT_NONE.includes(entryPoint)) return { oracle: "not_none" }
  return undefined
}

/**
 * HumanEval/32 `find_zero`: EvalPlus passes an answer when `abs(_poly(*inp, out)) <= atol`, the task's atol
 * as given (its float rule is skipped for this task). Judged as an assert test, in the judge process.
 */
export const findZeroAssert = (args: string, atol: number): string =>
  [
    "import math",
    "def _evalplus_poly(xs, x):",
    "    return sum([coeff * math.pow(x, i) for i, coeff in enumerate(xs)])",
    `_evalplus_inp = [${args}]`,
    `assert abs(_evalplus_poly(*_evalplus_inp, find_zero(${args}))) <= ${atol === 0 ? "0" : String(atol)}`
  ].join("\n")

/**
 * Which tests of each benchmark the search may see (visible) and which only score answers
 * (held out), declared as data. Importers apply it when they build a Problem; evaluation reads
 * it to say what a score means.
 */
export interface TestVisibility {
  readonly dataset: string
  /** What lands in `visibleTests`. */
  readonly visible: string
  /** What lands in `heldOutTests` / `heldOutInputs`. */
  readonly heldOut: string
  /** `heldOutInputs` must be labelled by running the reference solution at scoring time. */
  readonly labelsFromReference: boolean
  /** Floats compared with the problem's `atol` (else exact/structural). */
  readonly usesAtol: boolean
}

export const TEST_VISIBILITY: ReadonlyArray<TestVisibility> = [
  {
    dataset: "mbpp",
    visible: "the first assert of test_list (the example the statement shows)",
    heldOut: "every assert of test_list plus challenge_test_list",
    labelsFromReference: false,
    usesAtol: false
  },
  {
    dataset: "mbpp-sanitized",
    visible: "the first assert of test_list (the example the statement shows)",
    heldOut: "every assert of test_list",
    labelsFromReference: false,
    usesAtol: false
  },
  {
    dataset: "mbpp-plus",
    visible: "the first base assert of `assertion`",
    heldOut: "every assert of `assertion` plus every plus_input argument list (labelled by canonical_solution)",
    labelsFromReference: true,
    usesAtol: true
  },
  {
    dataset: "humaneval",
    visible: "none (the docstring examples stay in the statement)",
    heldOut: "the dataset's check(candidate), run as check(entry_point)",
    labelsFromReference: false,
    usesAtol: false
  },
  {
    dataset: "humaneval-plus",
    visible: "none (the docstring examples stay in the statement)",
    heldOut: "check(entry_point) plus every plus_input argument list (labelled by canonical_solution)",
    labelsFromReference: true,
    usesAtol: true
  },
  {
    dataset: "apps",
    visible: "the first stdin/stdout test",
    heldOut: "every stdin/stdout test",
    labelsFromReference: false,
    usesAtol: false
  }
]

/** The test visibility of a dataset; any other name is a generic file, whose records say which tests are which. */
export const testVisibility = (dataset: string): TestVisibility =>
  TEST_VISIBILITY.find((p) => p.dataset === dataset) ?? {
    dataset,
    visible: "visible_tests as the file gives them",
    heldOut: "held_out_tests and held_out_inputs as the file gives them",
    labelsFromReference: true,
    usesAtol: true
  }

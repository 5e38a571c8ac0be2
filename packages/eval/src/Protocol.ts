import { testVisibility } from "@o1coder/problems/TestVisibility"
import { describeGrading, gradingFor } from "./Grading.ts"

/**
 * The test protocol of an evaluation, declared per benchmark and mode and printed with every
 * result: what the model was shown, which tests the search could execute, which only scored.
 */
export type Mode = "direct" | "mcts"

export interface Protocol {
  readonly dataset: string
  readonly mode: Mode
  /** What the prompt shows the model. */
  readonly shown: string
  /** Tests executed before the answer was chosen (search rewards). "none" in direct mode. */
  readonly searchExecutes: string
  /** Tests executed only on the final answer(s), to score them. */
  readonly scoredOn: string
  readonly aspr?: string | undefined
  /** How each test is judged (the dataset's grading policy) and how a sample's tests are run. */
  readonly grading?: string | undefined
  readonly scoring?: string | undefined
}

const standardPrompt = (dataset: string): string => {
  const d = dataset.toLowerCase()
  if (d.startsWith("humaneval")) return "the HumanEval prompt as given (signature and docstring), the completion appended"
  if (d === "mbpp-plus") return "the task text and its base asserts in the original MBPP 3-shot format (tasks 2-4 as examples)"
  if (d.startsWith("mbpp")) return "the task text and all of `test_list` in the original MBPP 3-shot format (tasks 2-4 as examples)"
  if (d.startsWith("apps") || d.startsWith("taco")) return "the statement in the APPS `QUESTION: ... ANSWER:` format (standard input)"
  return "the problem statement"
}

/** Visible and held-out tests as the problems package declares them for the dataset. */
const describe = (dataset: string) => {
  const p = testVisibility(dataset)
  return {
    visible: p.visible,
    heldOut: `${p.heldOut}${p.labelsFromReference ? "; expected values of held-out inputs from running the reference solution" : ""}${p.usesAtol ? ", floats within the task's atol" : ""}`,
    standard: standardPrompt(dataset)
  }
}

export const ASPR_DEFINITION =
  "ASPR: over the nodes on correct paths (ancestors of a terminal passing every search-visible test) whose children include code steps, the share of those code children that pass; averaged per problem, then over problems with such nodes"

export const protocolFor = (
  dataset: string,
  mode: Mode,
  options: { readonly generatedTests?: boolean; readonly scoring?: string | undefined } = {}
): Protocol => {
  const d = describe(dataset)
  const judged = { grading: describeGrading(gradingFor(dataset)), ...(options.scoring !== undefined ? { scoring: options.scoring } : {}) }
  if (mode === "direct")
    return {
      ...judged,
      dataset,
      mode,
      shown: d.standard,
      searchExecutes: "none (no search; answers are sampled, then scored)",
      scoredOn: d.heldOut
    }
  return {
    ...judged,
    dataset,
    mode,
    shown: "the statement, signature and visible tests (search prompt)",
    searchExecutes: `visible tests only: ${d.visible}${options.generatedTests ? ", plus tests generated from the question alone (no reference, no held-out test)" : ""}`,
    scoredOn: `${d.heldOut}; run once on the answer chosen by the search's selection rule`,
    aspr: ASPR_DEFINITION
  }
}

export const formatProtocol = (p: Protocol): string =>
  [
    `protocol ${p.dataset}/${p.mode}:`,
    `  shown to the model: ${p.shown}`,
    `  executed during search: ${p.searchExecutes}`,
    `  scored on (held out): ${p.scoredOn}`,
    ...(p.grading !== undefined ? [`  ${p.grading}`] : []),
    ...(p.scoring !== undefined ? [`  scoring: ${p.scoring}`] : []),
    ...(p.aspr !== undefined ? [`  ${p.aspr}`] : [])
  ].join("\n")

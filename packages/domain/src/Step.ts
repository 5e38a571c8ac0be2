import { Schema } from "effect"

/**
 * The step format shared by every policy (real or simulated) and the search's parser.
 *
 * A path is rendered as a sequence of blocks, each opened by a header line:
 *
 *     ### Step 1 [A1]
 *     <pseudocode outline>
 *     ### Step 2 [A2]
 *     <refined pseudocode>
 *     ### Step 3 [A3]
 *     ```python
 *     <code>
 *     ```
 *
 * A model is prompted with the path followed by the next header's prefix `### Step n [`, so its
 * completion starts with the action tag (`A1]`, `A2]` or `A3]`), and it stops at STEP_STOP.
 */
export const Action = Schema.Literal("A1", "A2", "A3")
export type Action = typeof Action.Type

export const ACTION_NAMES: Record<Action, string> = {
  A1: "define the algorithm's structure in pseudocode",
  A2: "refine the pseudocode",
  A3: "write the Python code"
}

export const STEP_STOP = "\n### Step"

export class Step extends Schema.Class<Step>("Step")({
  action: Action,
  /** The step's body as the model wrote it (after the header line), trimmed of trailing blanks. */
  body: Schema.String,
  /** The Python code block of the step, if any: its presence makes the step terminal. */
  code: Schema.optional(Schema.String)
}) {
  get terminal(): boolean {
    return this.code !== undefined
  }
}

export const stepHeaderPrefix = (n: number): string => `### Step ${n} [`

export const renderStep = (n: number, step: Step): string => `${stepHeaderPrefix(n)}${step.action}]\n${step.body}\n`

/** The exact text of a path of steps, byte-identical for the same steps. */
export const renderPath = (steps: ReadonlyArray<Step>): string =>
  steps.map((step, i) => renderStep(i + 1, step)).join("")

const CODE_BLOCK = /```(?:python|py|Python)?[ \t]*\r?\n([\s\S]*?)(?:```|$)/

/** Extracts the first Python code block of a text (an unterminated block runs to the end). */
export const extractCode = (text: string): string | undefined => {
  const fenced = text.match(/```(?:python|py|Python)[ \t]*\r?\n([\s\S]*?)(?:```|$)/) ?? text.match(CODE_BLOCK)
  if (fenced === null) return undefined
  const code = fenced[1]!.replace(/\s+$/, "")
  return code.length > 0 ? code : undefined
}

const ACTION_WORDS: ReadonlyArray<readonly [RegExp, Action]> = [
  [/^\s*\[?\s*A\s*1\b/i, "A1"],
  [/^\s*\[?\s*A\s*2\b/i, "A2"],
  [/^\s*\[?\s*A\s*3\b/i, "A3"],
  [/^\s*\[?\s*(structure|outline|define)/i, "A1"],
  [/^\s*\[?\s*(refine|refinement)/i, "A2"],
  [/^\s*\[?\s*(code|python|implement)/i, "A3"]
]

/**
 * Parses a model's completion of `### Step n [` into a step. Tolerant of noise: a missing or
 * unknown tag is inferred (a code block makes it A3, otherwise A1 at depth 1 and A2 after),
 * a stray closing bracket or blank lines are skipped, and a completion that ran past the stop
 * string is cut there.
 */
export const parseStep = (completion: string, depth: number): Step => {
  const stopAt = completion.indexOf(STEP_STOP)
  const text = (stopAt >= 0 ? completion.slice(0, stopAt) : completion).replace(/\r\n/g, "\n")
  const newline = text.indexOf("\n")
  const firstLine = newline >= 0 ? text.slice(0, newline) : text
  const rest = newline >= 0 ? text.slice(newline + 1) : ""
  const tagged = ACTION_WORDS.find(([re]) => re.test(firstLine))
  const headerIsTag = tagged !== undefined && /^\s*\[?\s*[A-Za-z0-9 ]{1,20}\]?\s*$/.test(firstLine)
  const body = (headerIsTag ? rest : text.replace(/^\s*\]?\s*/, "")).replace(/\s+$/, "").replace(/^\n+/, "")
  const code = extractCode(body)
  const action: Action = code !== undefined ? "A3" : tagged?.[1] === "A3" ? "A2" : tagged?.[1] ?? (depth <= 1 ? "A1" : "A2")
  return new Step({ action, body, ...(code !== undefined ? { code } : {}) })
}

import { parseStep, type Step } from "@o1coder/domain"

const FENCE = /```[ \t]*(?:python3?|py|Python)?[ \t]*\r?\n([\s\S]*?)(?:```|$)/g
const STEP_HEADER = /^### Step \d+ \[/m

/** The last fenced (Python or untagged) code block of a text, or undefined. */
const lastFenced = (text: string): string | undefined => {
  let last: string | undefined
  for (const m of text.matchAll(FENCE)) {
    const code = m[1]!.replace(/\s+$/, "")
    if (code.length > 0) last = code
  }
  return last
}

/** The steps of a completion in the step format (`### Step n [...]`), or none. */
export const completionSteps = (completion: string): ReadonlyArray<Step> => {
  const text = completion.replace(/\r\n/g, "\n")
  return STEP_HEADER.test(text) ? text.split(/^### Step \d+ \[/m).slice(1).map((s, i) => parseStep(s, i + 1)) : []
}

/**
 * The program a policy's completion stands for, read the way the search reads a terminal step:
 * in the step format (`### Step n [A3]`) the code of the last step that has code; otherwise the
 * last fenced Python block; otherwise the whole completion (a model that answers bare code).
 */
export const completionCode = (completion: string): string => {
  const text = completion.replace(/\r\n/g, "\n")
  if (STEP_HEADER.test(text)) {
    const steps = text.split(/^### Step \d+ \[/m).slice(1)
    for (let i = steps.length - 1; i >= 0; i--) {
      const code = parseStep(steps[i]!, i + 1).code
      if (code !== undefined) return code
    }
  }
  return lastFenced(text) ?? text
}

import type { Problem } from "./Problem.ts"
import type { Step } from "./Step.ts"
import { renderPath, stepHeaderPrefix, STEP_STOP } from "./Step.ts"

/**
 * The step prompt: fixed instructions with worked examples, the problem, then the path rendered
 * byte-identically by `renderPath`, ending with the next step's header prefix `### Step n [`.
 * Everything before the path is the same for every node of a problem, so a serving engine's prefix
 * cache serves it once per problem and the k children of a node share one prefill.
 */
export const PROMPT_INSTRUCTIONS = `You solve programming problems by reasoning one step at a time. Each step starts with a header
"### Step <n> [<action>]" and takes exactly one of three actions:

  A1  define the algorithm's structure in pseudocode: the functions, their inputs and outputs,
      and the main loop or recursion, without details.
  A2  refine the pseudocode: make one part of the previous outline precise (a condition, an
      edge case, a data structure). A2 may be repeated.
  A3  write the Python code: a complete solution in one \`\`\`python block. A3 ends the solution.

Write one step, then stop. Keep pseudocode short and concrete.
`

export const PROMPT_EXAMPLES = `
Worked example 1.
## Problem
Write a function run_lengths(s) that returns a list of (character, count) pairs for each run of
equal characters in the string s, in order.
## Steps
### Step 1 [A1]
function run_lengths(s) -> list of (char, int)
  walk through s keeping the current character and how many times it repeated
  when the character changes, emit the finished run
  emit the last run at the end
### Step 2 [A2]
if s is empty return []
current = s[0], count = 1
for each ch in s[1:]:
  if ch == current: count += 1
  else: append (current, count); current = ch; count = 1
append (current, count)
### Step 3 [A3]
\`\`\`python
def run_lengths(s):
    if not s:
        return []
    runs = []
    current, count = s[0], 1
    for ch in s[1:]:
        if ch == current:
            count += 1
        else:
            runs.append((current, count))
            current, count = ch, 1
    runs.append((current, count))
    return runs
\`\`\`

Worked example 2.
## Problem
Read an integer n from standard input and print the sum of the digits of n! (n factorial).
## Steps
### Step 1 [A1]
read n
compute f = n! with an integer loop
print the sum of the decimal digits of f
### Step 2 [A3]
\`\`\`python
n = int(input())
f = 1
for i in range(2, n + 1):
    f *= i
print(sum(int(d) for d in str(f)))
\`\`\`
`

/** The problem section: statement, then what the tests call. */
export const renderProblem = (problem: Pick<Problem, "statement" | "kind" | "entryPoint" | "signature">): string => {
  const lines = ["## Problem", problem.statement.trim()]
  if (problem.signature !== undefined && problem.signature.trim() !== "") {
    lines.push(`Start from this signature:\n\`\`\`python\n${problem.signature.trim()}\n\`\`\``)
  } else if (problem.kind === "function" && problem.entryPoint !== undefined) {
    lines.push(`The tests call the function \`${problem.entryPoint}\`.`)
  } else if (problem.kind === "stdio") {
    lines.push("Read from standard input and write to standard output.")
  }
  return lines.join("\n") + "\n"
}

/**
 * The exact prompt for the next step after `steps` (depth = steps.length + 1). `examples: false`
 * leaves out the worked examples (for models with a tiny context window).
 */
export const renderPrompt = (
  problem: Pick<Problem, "statement" | "kind" | "entryPoint" | "signature">,
  steps: ReadonlyArray<Step>,
  options: { readonly examples?: boolean } = {}
): string => `${renderPromptPrefix(problem, options)}${renderPath(steps)}${stepHeaderPrefix(steps.length + 1)}`

/** Everything before the first step: the same for every node of a problem (exporters start records with it). */
export const renderPromptPrefix = (
  problem: Pick<Problem, "statement" | "kind" | "entryPoint" | "signature">,
  options: { readonly examples?: boolean } = {}
): string =>
  `${PROMPT_INSTRUCTIONS}${options.examples === false ? "" : PROMPT_EXAMPLES}\nNow solve this problem.\n${renderProblem(problem)}## Steps\n`

export const STOP_STRINGS: ReadonlyArray<string> = [STEP_STOP]

import type { Problem, Test } from "@o1coder/domain"
import { extractCode } from "@o1coder/domain"

/**
 * Each benchmark's standard prompt for direct sampling, and how a completion becomes a program.
 *
 * MBPP (full, sanitized, MBPP+): the 3-shot format of Austin et al. (2021) with tasks 2, 3 and 4
 * as examples: `You are an expert Python programmer, and here is your task: {text} Your code
 * should pass these tests:\n\n{tests}\n[BEGIN]\n{code}\n[DONE]`, the model completing after the
 * last `[BEGIN]\n` and stopping at `[DONE]`. HumanEval(+): the prompt as given, the completion
 * appended, stopped at the usual top-level markers. APPS stdio: the APPS paper's
 * `QUESTION: ... ANSWER:` format asking for a program reading standard input.
 */
export type PromptFamily = "mbpp" | "humaneval" | "stdio"

export interface DirectPrompt {
  readonly family: PromptFamily
  readonly prompt: string
  readonly stop: ReadonlyArray<string>
  /** The program to execute for one completion of `prompt`. */
  readonly toProgram: (completion: string) => string
}

export const familyOf = (problem: Pick<Problem, "dataset" | "kind">): PromptFamily =>
  problem.kind === "stdio" ? "stdio" : /humaneval/i.test(problem.dataset) ? "humaneval" : "mbpp"

// The three few-shot examples of the original MBPP prompt (task ids 2, 3, 4), verbatim.
const MBPP_SHOTS: ReadonlyArray<{ text: string; tests: ReadonlyArray<string>; code: string }> = [
  {
    text: "Write a function to find the similar elements from the given two tuple lists.",
    tests: [
      "assert similar_elements((3, 4, 5, 6),(5, 7, 4, 10)) == (4, 5)",
      "assert similar_elements((1, 2, 3, 4),(5, 4, 3, 7)) == (3, 4)",
      "assert similar_elements((11, 12, 14, 13),(17, 15, 14, 13)) == (13, 14)"
    ],
    code: "def similar_elements(test_tup1, test_tup2):\r\n  res = tuple(set(test_tup1) & set(test_tup2))\r\n  return (res) "
  },
  {
    text: "Write a python function to identify non-prime numbers.",
    tests: ["assert is_not_prime(2) == False", "assert is_not_prime(10) == True", "assert is_not_prime(35) == True"],
    code: "import math\r\ndef is_not_prime(n):\r\n    result = False\r\n    for i in range(2,int(math.sqrt(n)) + 1):\r\n        if n % i == 0:\r\n            result = True\r\n    return result"
  },
  {
    text: "Write a function to find the largest integers from a given list of numbers using heap queue algorithm.",
    tests: [
      "assert heap_queue_largest( [25, 35, 22, 85, 14, 65, 75, 22, 58],3)==[85, 75, 65] ",
      "assert heap_queue_largest( [25, 35, 22, 85, 14, 65, 75, 22, 58],2)==[85, 75] ",
      "assert heap_queue_largest( [25, 35, 22, 85, 14, 65, 75, 22, 58],5)==[85, 75, 65, 58, 35]"
    ],
    code: "import heapq as hq\r\ndef heap_queue_largest(nums,n):\r\n  largest_nums = hq.nlargest(n, nums)\r\n  return largest_nums"
  }
]

/** What a samples-file `completion` is appended to: the HumanEval prompt; for MBPP the completion is the program. */
export const completionPrefix = (problem: Problem): string => (familyOf(problem) === "humaneval" ? problem.statement : "")

/** A test as the assert line a prompt shows. */
export const renderTest = (test: Test, entryPoint: string | undefined): string => {
  switch (test._tag) {
    case "assert":
      return test.source.trim()
    case "call":
      return `assert ${entryPoint ?? "f"}(${test.args}) == ${test.expected}`
    case "stdio":
      return `# input:\n${test.input}\n# output:\n${test.output}`
  }
}

const mbppBlock = (text: string, tests: ReadonlyArray<string>) =>
  `You are an expert Python programmer, and here is your task: ${text} Your code should pass these tests:\n\n${tests.join("\n")}\n[BEGIN]\n`

const statementText = (statement: string) =>
  statement
    .trim()
    .replace(/^(['"]{3})([\s\S]*)\1$/, "$2")
    .trim()

/** Cuts a completion at the first of the stop strings (engines do not always honour them). */
export const cutAtStop = (completion: string, stop: ReadonlyArray<string>): string => {
  let end = completion.length
  for (const s of stop) {
    const at = completion.indexOf(s)
    if (at >= 0 && at < end) end = at
  }
  return completion.slice(0, end)
}

const HUMANEVAL_STOP = ["\nclass ", "\ndef ", "\n#", "\nif __name__", "\nprint("]

/**
 * `shownTests`: the tests the benchmark's standard prompt shows (MBPP: its `test_list`, which are
 * also the tests that score it: that is the benchmark's own protocol for direct sampling).
 */
export const directPrompt = (problem: Problem, shownTests: ReadonlyArray<Test>): DirectPrompt => {
  const family = familyOf(problem)
  if (family === "mbpp") {
    const shots = MBPP_SHOTS.map((s) => `${mbppBlock(s.text, s.tests)}${s.code}\n[DONE]\n`).join("")
    const tests = shownTests.map((t) => renderTest(t, problem.entryPoint))
    const prompt = shots + mbppBlock(statementText(problem.statement), tests)
    const stop = ["[DONE]"]
    return {
      family,
      prompt,
      stop,
      toProgram: (completion) => {
        const body = cutAtStop(completion, stop)
        return extractCode(body) ?? body.replace(/^\s*'|'\s*$/g, "")
      }
    }
  }
  if (family === "humaneval") {
    const prompt = problem.statement
    return {
      family,
      prompt,
      stop: HUMANEVAL_STOP,
      toProgram: (completion) => {
        const fenced = extractCode(completion)
        return fenced !== undefined && /\bdef\s/.test(fenced) ? fenced : prompt + cutAtStop(completion, HUMANEVAL_STOP)
      }
    }
  }
  const starter = problem.signature !== undefined && problem.signature.trim().length > 0 ? `${problem.signature}\n` : ""
  const prompt = `\nQUESTION:\n${problem.statement.trim()}\n${starter}\nUse Standard Input format\nANSWER:\n\`\`\`python\n`
  return {
    family,
    prompt,
    stop: ["\n```"],
    toProgram: (completion) => extractCode(completion) ?? cutAtStop(completion, ["\n```", "```"])
  }
}

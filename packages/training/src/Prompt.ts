import type { VisibleProblem } from "@o1coder/store/DatasetsRepo"

/**
 * Renders the problem part of a prompt; a path's steps (domain `renderPath`) follow it verbatim,
 * so `prompt + completion` is the exact text the search sent. Exporters take this as a
 * parameter: pass the search's own renderer to match its prompts byte for byte.
 */
export type RenderPrompt = (problem: VisibleProblem) => string

/** The default: statement, then the signature or the stdio contract, then a blank line. */
export const defaultRenderPrompt: RenderPrompt = (problem) => {
  const parts = [problem.statement.trim()]
  if (problem.kind === "function") {
    if (problem.signature !== null && problem.signature.trim() !== "") parts.push(`Signature:\n${problem.signature.trim()}`)
    else if (problem.entryPoint !== null) parts.push(`Write a Python function named \`${problem.entryPoint}\`.`)
  } else {
    parts.push("Read from standard input and write to standard output.")
  }
  parts.push("Reason step by step in pseudocode, then write the Python code.")
  return `${parts.join("\n\n")}\n\n`
}

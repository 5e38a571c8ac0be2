import { renderPromptPrefix } from "@o1coder/domain"
import type { VisibleProblem } from "@o1coder/store/DatasetsRepo"

/**
 * Renders the problem part of a prompt; a path's steps (domain `renderPath`) follow it verbatim,
 * so `prompt + completion` is the exact text the search sent.
 */
export type RenderPrompt = (problem: VisibleProblem) => string

/** The default: the search's own step prompt up to the first step, byte for byte. */
export const defaultRenderPrompt: RenderPrompt = (problem) =>
  renderPromptPrefix({
    statement: problem.statement,
    kind: problem.kind,
    ...(problem.entryPoint !== null ? { entryPoint: problem.entryPoint } : {}),
    ...(problem.signature !== null ? { signature: problem.signature } : {})
  })

/** Statement only (for trainers that add their own instructions). */
export const plainRenderPrompt: RenderPrompt = (problem) => {
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

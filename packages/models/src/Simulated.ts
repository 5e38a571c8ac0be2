import type { Problem } from "@o1coder/domain"
import { sha256 } from "@o1coder/domain"
import { Schema } from "effect"
import type { ChatMessage, SamplingOptions } from "./LanguageModel.ts"
import { Completion } from "./LanguageModel.ts"

/** Shared pieces of the simulated models (test doubles named as simulations everywhere). */

/** The statement as prompts show it (CRLF → LF, trimmed). */
export const normaliseStatement = (text: string): string => text.replace(/\r\n/g, "\n").trim()

/**
 * Finds the problem a prompt is about: the one whose (normalised) statement appears in the prompt,
 * the longest such statement when several do.
 */
export const problemLookup = (problems: ReadonlyArray<Problem>): ((prompt: string) => Problem | undefined) => {
  const byLength = problems
    .map((problem) => ({ problem, statement: normaliseStatement(problem.statement) }))
    .filter((p) => p.statement.length > 0)
    .sort((a, b) => b.statement.length - a.statement.length)
  const cache = new Map<string, Problem | undefined>()
  return (prompt) => {
    const text = prompt.replace(/\r\n/g, "\n")
    if (cache.has(text)) return cache.get(text)
    const found = byLength.find((p) => text.includes(p.statement))?.problem
    if (cache.size > 10_000) cache.clear()
    cache.set(text, found)
    return found
  }
}

/** Uniform draws in [0, 1) determined by a text seed (8 of them per hash). */
export const draws = (...parts: ReadonlyArray<unknown>): ReadonlyArray<number> => {
  const hex = sha256(JSON.stringify(parts))
  return Array.from({ length: 8 }, (_, i) => parseInt(hex.slice(i * 8, i * 8 + 8), 16) / 2 ** 32)
}

export const approxTokens = (text: string): number => Math.ceil(text.length / 4)

/** Cuts a generated text at the first stop string and at maxTokens (≈ 4 characters a token). */
export const finishText = (prompt: string, generated: string, options: SamplingOptions): Completion => {
  let text = generated
  let finishReason = "stop"
  let cut = -1
  for (const stop of options.stop) {
    const at = stop.length > 0 ? text.indexOf(stop) : -1
    if (at >= 0 && (cut < 0 || at < cut)) cut = at
  }
  if (cut >= 0) text = text.slice(0, cut)
  if (approxTokens(text) > options.maxTokens) {
    text = text.slice(0, options.maxTokens * 4)
    finishReason = "length"
  }
  return new Completion({ text, finishReason, promptTokens: approxTokens(prompt), completionTokens: approxTokens(text), tokensCountedBy: "estimate" })
}

export const chatPrompt = (messages: ReadonlyArray<ChatMessage>): string => messages.map((m) => m.content).join("\n")

export const decodeJson = <A, I>(schema: Schema.Schema<A, I>, text: string): A => Schema.decodeUnknownSync(Schema.parseJson(schema))(text)

import type { InputError } from "@o1coder/domain"
import { inferFormat, readProblems } from "@o1coder/problems/Import"
import type { ParsedFile } from "@o1coder/problems/Records"
import { Effect, Schema } from "effect"
import type { RunConfig } from "./RunConfig.ts"

/** A run's problems file with records that do not decode: the run does no work on it. */
export class ProblemsFileError extends Schema.TaggedError<ProblemsFileError>()("ProblemsFileError", {
  file: Schema.String,
  /** One line per rejected record: `file:line: field: reason`. */
  lines: Schema.Array(Schema.String)
}) {
  override get message() {
    return `${this.file}: ${this.lines.length} bad record(s), nothing written (fix them, or check with o1coder problems import):\n${this.lines.join("\n")}`
  }
}

const lineOf = (e: InputError) => `${e.file}:${e.line ?? "?"}: ${e.field ?? "(record)"}: ${e.reason}`

/**
 * Reads the configuration's problems file as `problems import` does, without touching the store;
 * any rejected record fails (an import that skipped it would search other problems than the file
 * names). `undefined` when the run reads imported problems only.
 */
export const checkProblemsFile = (config: RunConfig): Effect.Effect<ParsedFile | undefined, ProblemsFileError | InputError> => {
  const file = config.problems.file
  if (file === undefined) return Effect.succeed(undefined)
  return readProblems(file, inferFormat(file) ?? "jsonl", config.problems.dataset).pipe(
    Effect.filterOrFail(
      (parsed) => parsed.rejected.length === 0,
      (parsed) => new ProblemsFileError({ file, lines: parsed.rejected.map(lineOf) })
    ),
    Effect.withSpan("SelfPlay.checkProblemsFile", { attributes: { file } })
  )
}

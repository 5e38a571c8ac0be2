import type { InputError } from "@o1coder/domain"
import { ProblemsRepo } from "@o1coder/store/ProblemsRepo"
import type { SqlError } from "@effect/sql/SqlError"
import { Effect } from "effect"
import * as NodePath from "node:path"
import { readApps } from "./Apps.ts"
import { readGeneric } from "./Generic.ts"
import { readHumanEval, readHumanEvalPlus } from "./HumanEval.ts"
import { readMbpp, readMbppSanitized } from "./Mbpp.ts"
import { readMbppPlus } from "./MbppPlus.ts"
import type { ParsedFile, Skipped } from "./Records.ts"

export const FORMATS = ["mbpp", "mbpp-sanitized", "mbpp-plus", "humaneval", "humaneval-plus", "apps", "jsonl"] as const
export type Format = (typeof FORMATS)[number]

/** Guesses the format from a benchmark's usual file name (`mbpp.jsonl`, `MbppPlus.jsonl`, `HumanEvalPlus.jsonl.gz`, ...). */
export const inferFormat = (file: string): Format | undefined => {
  const name = NodePath.basename(file).toLowerCase()
  if (/^sanitized-mbpp\.json/.test(name)) return "mbpp-sanitized"
  if (/^mbppplus.*\.jsonl/.test(name)) return "mbpp-plus"
  if (/^mbpp.*\.jsonl/.test(name)) return "mbpp"
  if (/^humanevalplus.*\.jsonl/.test(name)) return "humaneval-plus"
  if (/^humaneval.*\.jsonl/.test(name)) return "humaneval"
  if (/^apps.*\.jsonl/.test(name)) return "apps"
  if (/\.jsonl(\.gz)?$/.test(name)) return "jsonl"
  return undefined
}

/** Reads a file in `format` without touching the store. `dataset` renames the dataset (required meaning for jsonl: default the file's base name). */
export const readProblems = (file: string, format: Format, dataset?: string): Effect.Effect<ParsedFile, InputError> => {
  switch (format) {
    case "mbpp":
      return readMbpp(file, dataset)
    case "mbpp-sanitized":
      return readMbppSanitized(file, dataset)
    case "mbpp-plus":
      return readMbppPlus(file, dataset)
    case "humaneval":
      return readHumanEval(file, dataset)
    case "humaneval-plus":
      return readHumanEvalPlus(file, dataset)
    case "apps":
      return readApps(file, dataset)
    case "jsonl":
      return readGeneric(file, dataset)
  }
}

export interface ImportReport {
  readonly file: string
  readonly format: Format
  readonly imported: number
  readonly rejected: ReadonlyArray<InputError>
  readonly skipped: ReadonlyArray<Skipped>
}

/**
 * Reads `file` and upserts its valid problems (re-importing is idempotent: one row per id).
 * Malformed records are returned in `rejected` (file, line, field), not raised; the effect fails
 * only when the file cannot be read or the store fails.
 */
export const importProblems = (
  file: string,
  options: { readonly format: Format; readonly dataset?: string | undefined }
): Effect.Effect<ImportReport, InputError | SqlError, ProblemsRepo> =>
  Effect.gen(function* () {
    const parsed = yield* readProblems(file, options.format, options.dataset)
    const repo = yield* ProblemsRepo
    const imported = yield* repo.upsertMany(parsed.problems)
    return { file, format: options.format, imported, rejected: parsed.rejected, skipped: parsed.skipped }
  }).pipe(Effect.withSpan("problems.import", { attributes: { file, format: options.format } }))

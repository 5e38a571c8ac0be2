import { Either, ParseResult, Schema } from "effect"
import { BadRequest, type CompletionItem, type GetRewardRequest, InlineProblem } from "./Api.ts"

/**
 * OpenRLHF's remote reward (`--remote_rm_url`): each query is prompt + response; `labels[i]` is a
 * stored problem id, or an inline problem as JSON (`kind`, `entry_point`, `setup`, `tests`,
 * optionally `problem_id` / `suite_id`), as an o1coder verl export's `ground_truth` is.
 */

const LabelProblem = Schema.parseJson(
  Schema.Struct({
    problem_id: Schema.optional(Schema.String),
    suite_id: Schema.optional(Schema.String),
    problem: Schema.optional(InlineProblem)
  }).pipe(Schema.extend(Schema.partial(InlineProblem)))
)
const decodeLabel = Schema.decodeUnknownEither(LabelProblem)

/** The response part of a query: what follows its prompt (the whole query when it does not start with it). */
const responseOf = (query: string, prompt: string | undefined) =>
  prompt !== undefined && prompt !== "" && query.startsWith(prompt) ? query.slice(prompt.length) : query

export const toCompletions = (request: GetRewardRequest): Either.Either<ReadonlyArray<CompletionItem>, BadRequest> => {
  const labels = request.labels
  if (labels === undefined || labels.length !== request.query.length) {
    return Either.left(new BadRequest({ field: "labels", message: `labels must give one problem per query (${request.query.length} queries, ${labels?.length ?? 0} labels)` }))
  }
  if (request.prompts !== undefined && request.prompts.length !== request.query.length) {
    return Either.left(new BadRequest({ field: "prompts", message: `prompts must give one prompt per query (${request.query.length} queries, ${request.prompts.length} prompts)` }))
  }
  const items: Array<CompletionItem> = []
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i]!.trim()
    const completion = responseOf(request.query[i]!, request.prompts?.[i])
    if (!label.startsWith("{")) {
      items.push({ completion, problem_id: label })
      continue
    }
    const decoded = decodeLabel(label)
    if (Either.isLeft(decoded)) {
      return Either.left(new BadRequest({ field: `labels[${i}]`, message: `labels[${i}]: not a problem id nor an inline problem: ${ParseResult.TreeFormatter.formatErrorSync(decoded.left).slice(0, 300)}` }))
    }
    const l = decoded.right
    const problem = l.problem ?? (l.kind !== undefined && l.tests !== undefined ? { kind: l.kind, entry_point: l.entry_point, setup: l.setup, atol: l.atol, tests: l.tests } : undefined)
    if (problem === undefined && l.problem_id === undefined) {
      return Either.left(new BadRequest({ field: `labels[${i}]`, message: `labels[${i}]: give problem_id or an inline problem (kind, tests)` }))
    }
    items.push({
      completion,
      ...(problem !== undefined ? { problem } : {}),
      ...(l.problem_id !== undefined ? { problem_id: l.problem_id } : {}),
      ...(l.suite_id !== undefined ? { suite_id: l.suite_id } : {})
    })
  }
  return Either.right(items)
}

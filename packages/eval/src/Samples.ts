import type { Problem } from "@o1coder/domain"

/**
 * Samples generated elsewhere, as EvalPlus's `evaluate --samples` reads them: one JSON object
 * per line, `{"task_id", "solution"}` (a whole program) or `{"task_id", "completion"}` (text
 * appended to the problem's prompt), several lines per task allowed. Every line that cannot be
 * used is reported with its line number; nothing is dropped without an issue.
 */
export interface SampleRecord {
  readonly line: number
  readonly taskId: string
  readonly field: "solution" | "completion"
  readonly text: string
}

export interface SampleIssue {
  readonly line: number
  readonly kind: "invalid_json" | "missing_field" | "unknown_task" | "foreign_task" | "duplicate" | "no_samples"
  readonly message: string
}

/** Normalises a task id: `Mbpp/2`, `mbpp_2`, `2`, `HumanEval/0`, `HumanEval_0` (HumanEval+ v0.1.0). */
export const taskKey = (taskId: string | number): string => {
  const text = String(taskId).trim().toLowerCase()
  const m = text.match(/^(?:mbpp|humaneval)_(\d+)$/) ?? text.match(/^[a-z][\w+.-]*\/(.+)$/)
  const rest = m ? m[1]! : text
  return /^\d+$/.test(rest) ? String(Number(rest)) : rest
}

export const parseSamples = (
  content: string
): { readonly records: ReadonlyArray<SampleRecord>; readonly issues: ReadonlyArray<SampleIssue> } => {
  const records: Array<SampleRecord> = []
  const issues: Array<SampleIssue> = []
  const lines = content.split(/\r?\n/)
  lines.forEach((raw, i) => {
    const line = i + 1
    if (raw.trim().length === 0) return
    let value: unknown
    try {
      value = JSON.parse(raw)
    } catch (e) {
      issues.push({ line, kind: "invalid_json", message: `line ${line}: not JSON: ${(e as Error).message}` })
      return
    }
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      issues.push({ line, kind: "invalid_json", message: `line ${line}: not a JSON object` })
      return
    }
    const o = value as Record<string, unknown>
    const taskId = o.task_id
    if (typeof taskId !== "string" && typeof taskId !== "number") {
      issues.push({ line, kind: "missing_field", message: `line ${line}: missing field task_id (string or integer)` })
      return
    }
    const solution = typeof o.solution === "string" ? o.solution : undefined
    const completion = typeof o.completion === "string" ? o.completion : undefined
    if (solution === undefined && completion === undefined) {
      issues.push({
        line,
        kind: "missing_field",
        message: `line ${line}: task ${taskId}: missing field solution or completion (a string)`
      })
      return
    }
    records.push(
      solution !== undefined
        ? { line, taskId: String(taskId), field: "solution", text: solution }
        : { line, taskId: String(taskId), field: "completion", text: completion! }
    )
  })
  return { records, issues }
}

/** The program a record stands for: a solution as is, a completion appended to the prompt. */
export const programOf = (record: SampleRecord, prompt: string): string =>
  record.field === "solution" ? record.text : prompt + record.text

/** Issues that make a samples file unusable as a whole (strict mode fails on them; `--lenient` scores the rest). */
export const isBadLine = (issue: SampleIssue): boolean =>
  issue.kind === "invalid_json" || issue.kind === "missing_field" || issue.kind === "unknown_task" || issue.kind === "foreign_task"

/** The benchmark a task id names by its prefix (`Mbpp/2`, `HumanEval_0`), if it names one. */
const familyOf = (taskId: string): string | undefined => {
  const m = String(taskId).trim().toLowerCase().match(/^([a-z][\w+.-]*?)[/_]\d+$/)
  return m?.[1]
}

/** A task id of another benchmark than the dataset's (`Mbpp/0` under `humaneval`): never matched by number. */
export const foreignTask = (taskId: string, dataset: string): boolean => {
  const family = familyOf(taskId)
  if (family === undefined) return false
  const d = dataset.toLowerCase()
  const own = d.startsWith("mbpp") ? "mbpp" : d.startsWith("humaneval") ? "humaneval" : undefined
  return own !== undefined && family !== own
}

/**
 * Assigns records to problems by task id. Unknown tasks are reported and left out. A record
 * repeating an earlier one (same task, same text) is reported as a duplicate but kept: identical
 * samples are legitimate draws, and dropping them would bias pass@k. Problems without any
 * sample are reported; they score 0 with n = 0.
 */
export const matchSamples = (
  records: ReadonlyArray<SampleRecord>,
  problems: ReadonlyArray<Problem>
): { readonly byProblem: ReadonlyMap<string, ReadonlyArray<SampleRecord>>; readonly issues: ReadonlyArray<SampleIssue> } => {
  const byKey = new Map<string, Problem>()
  for (const p of problems) byKey.set(taskKey(p.taskId), p)
  const byProblem = new Map<string, Array<SampleRecord>>()
  const seen = new Map<string, number>()
  const issues: Array<SampleIssue> = []
  const dataset = problems[0]?.dataset
  for (const r of records) {
    if (dataset !== undefined && foreignTask(r.taskId, dataset)) {
      issues.push({ line: r.line, kind: "foreign_task", message: `line ${r.line}: task ${r.taskId} is not of dataset ${dataset}` })
      continue
    }
    const problem = byKey.get(taskKey(r.taskId))
    if (problem === undefined) {
      issues.push({ line: r.line, kind: "unknown_task", message: `line ${r.line}: unknown task ${r.taskId} (not among the ${problems.length} problems evaluated)` })
      continue
    }
    const dupKey = `${problem.id}\u0000${r.field}\u0000${r.text}`
    const first = seen.get(dupKey)
    if (first !== undefined) {
      issues.push({ line: r.line, kind: "duplicate", message: `line ${r.line}: duplicate of line ${first} (task ${r.taskId}); kept as a sample` })
    } else seen.set(dupKey, r.line)
    const list = byProblem.get(problem.id) ?? []
    list.push(r)
    byProblem.set(problem.id, list)
  }
  for (const p of problems) {
    if (!byProblem.has(p.id)) issues.push({ line: 0, kind: "no_samples", message: `task ${p.taskId}: no sample in the file; scored 0` })
  }
  return { byProblem, issues }
}

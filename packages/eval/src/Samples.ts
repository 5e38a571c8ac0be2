import type { Problem } from "@o1coder/domain"
import { createHash } from "node:crypto"
import * as NodeFs from "node:fs"

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

/**
 * A sample known by where it is in its file (streamed: `indexSamplesFile`), not by its text: the text is read
 * back when its problem is scored (`loadSamples`), so memory holds one problem's samples, not the file's.
 */
export interface SampleRef {
  readonly line: number
  readonly taskId: string
  readonly field: "solution" | "completion"
  /** Byte offset and length of the line in the file. */
  readonly offset: number
  readonly length: number
  /** sha1 of the text (duplicates are found without keeping texts). */
  readonly hash: string
}

export type SampleSource = SampleRecord | SampleRef

type Parsed = { readonly record: SampleRecord } | { readonly issue: SampleIssue } | undefined

const parseLine = (raw: string, line: number): Parsed => {
  if (raw.trim().length === 0) return undefined
  let value: unknown
  try {
    value = JSON.parse(raw)
  } catch (e) {
    return { issue: { line, kind: "invalid_json", message: `line ${line}: not JSON: ${(e as Error).message}` } }
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    return { issue: { line, kind: "invalid_json", message: `line ${line}: not a JSON object` } }
  }
  const o = value as Record<string, unknown>
  const taskId = o.task_id
  if (typeof taskId !== "string" && typeof taskId !== "number") {
    return { issue: { line, kind: "missing_field", message: `line ${line}: missing field task_id (string or integer)` } }
  }
  const solution = typeof o.solution === "string" ? o.solution : undefined
  const completion = typeof o.completion === "string" ? o.completion : undefined
  if (solution === undefined && completion === undefined) {
    return { issue: { line, kind: "missing_field", message: `line ${line}: task ${taskId}: missing field solution or completion (a string)` } }
  }
  return {
    record:
      solution !== undefined
        ? { line, taskId: String(taskId), field: "solution", text: solution }
        : { line, taskId: String(taskId), field: "completion", text: completion! }
  }
}

export const parseSamples = (
  content: string
): { readonly records: ReadonlyArray<SampleRecord>; readonly issues: ReadonlyArray<SampleIssue> } => {
  const records: Array<SampleRecord> = []
  const issues: Array<SampleIssue> = []
  content.split(/\r?\n/).forEach((raw, i) => {
    const parsed = parseLine(raw, i + 1)
    if (parsed === undefined) return
    if ("issue" in parsed) issues.push(parsed.issue)
    else records.push(parsed.record)
  })
  return { records, issues }
}

const textHash = (text: string) => createHash("sha1").update(text).digest("base64")

const READ_CHUNK = 1 << 20

/**
 * Streams a samples file (1 MiB reads), checking every line as `parseSamples` does but keeping only where each
 * usable line is (`SampleRef`) and the issues: memory does not grow with the samples' texts.
 */
export const indexSamplesFile = (
  file: string
): { readonly records: ReadonlyArray<SampleRef>; readonly issues: ReadonlyArray<SampleIssue> } => {
  const records: Array<SampleRef> = []
  const issues: Array<SampleIssue> = []
  const fd = NodeFs.openSync(file, "r")
  try {
    const buffer = Buffer.alloc(READ_CHUNK)
    let carry: Array<Buffer> = []
    let carryStart = 0
    let position = 0
    let line = 0
    const onLine = (bytes: Buffer, offset: number) => {
      line++
      const length = bytes.length > 0 && bytes[bytes.length - 1] === 13 ? bytes.length - 1 : bytes.length
      const parsed = parseLine(bytes.toString("utf8", 0, length), line)
      if (parsed === undefined) return
      if ("issue" in parsed) issues.push(parsed.issue)
      else {
        const { field, taskId, text } = parsed.record
        records.push({ line, taskId, field, offset, length, hash: textHash(text) })
      }
    }
    for (;;) {
      const n = NodeFs.readSync(fd, buffer, 0, READ_CHUNK, position)
      if (n === 0) break
      const chunk = buffer.subarray(0, n)
      let start = 0
      for (let nl = chunk.indexOf(10); nl >= 0; nl = chunk.indexOf(10, start)) {
        const piece = chunk.subarray(start, nl)
        onLine(carry.length > 0 ? Buffer.concat([...carry, piece]) : piece, carry.length > 0 ? carryStart : position + start)
        carry = []
        start = nl + 1
      }
      if (start < n) {
        if (carry.length === 0) carryStart = position + start
        carry.push(Buffer.from(chunk.subarray(start)))
      }
      position += n
    }
    if (carry.length > 0) onLine(Buffer.concat(carry), carryStart)
  } finally {
    NodeFs.closeSync(fd)
  }
  return { records, issues }
}

/** The records of `sources` (one problem's, say), their texts read back from `file` where they are refs. */
export const loadSamples = (file: string, sources: ReadonlyArray<SampleSource>): ReadonlyArray<SampleRecord> => {
  if (sources.every((s) => "text" in s)) return sources as ReadonlyArray<SampleRecord>
  const fd = NodeFs.openSync(file, "r")
  try {
    return sources.map((s): SampleRecord => {
      if ("text" in s) return s
      const bytes = Buffer.alloc(s.length)
      NodeFs.readSync(fd, bytes, 0, s.length, s.offset)
      const parsed = parseLine(bytes.toString("utf8"), s.line)
      if (parsed === undefined || "issue" in parsed || textHash(parsed.record.text) !== s.hash) {
        throw new Error(`${file}: line ${s.line} changed while it was being scored`)
      }
      return parsed.record
    })
  } finally {
    NodeFs.closeSync(fd)
  }
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
export const matchSamples = <S extends SampleSource>(
  records: ReadonlyArray<S>,
  problems: ReadonlyArray<Problem>
): { readonly byProblem: ReadonlyMap<string, ReadonlyArray<S>>; readonly issues: ReadonlyArray<SampleIssue> } => {
  const byKey = new Map<string, Problem>()
  for (const p of problems) byKey.set(taskKey(p.taskId), p)
  const byProblem = new Map<string, Array<S>>()
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
    const dupKey = `${problem.id}\u0000${r.field}\u0000${"text" in r ? textHash(r.text) : r.hash}`
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

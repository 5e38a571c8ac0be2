import { Problem, ProblemId } from "@o1coder/domain"
import { Effect, Schema } from "effect"
import { pythonArgLists } from "./MbppPlus.ts"
import { checkTests, promptHelpers } from "./PyAssert.ts"
import { type Conversion, convertRecords, type RawRecord, rawField, readJsonRecords, reject, signatureOf } from "./Records.ts"

/** A record of HumanEval (`HumanEval.jsonl[.gz]`); HumanEval+ adds base_input, plus_input, atol. */
export const HumanEvalRecord = Schema.Struct({
  task_id: Schema.String,
  prompt: Schema.String,
  canonical_solution: Schema.String,
  test: Schema.String,
  entry_point: Schema.String,
  base_input: Schema.optional(Schema.Array(Schema.Array(Schema.Unknown))),
  plus_input: Schema.optional(Schema.Union(Schema.Array(Schema.Array(Schema.Unknown)), Schema.Struct({}))),
  atol: Schema.optional(Schema.Union(Schema.Number, Schema.NumberFromString))
})

/** `HumanEval/0`, or `HumanEval_0` as HumanEval+ v0.1.0 writes it: the task number. */
const taskNumber = (taskId: string): string | undefined => /^HumanEval[/_](\d+)$/.exec(taskId)?.[1]

/**
 * HumanEval protocol: nothing visible apart from the prompt (its docstring examples stay in the
 * statement); held out is the dataset's `check(candidate)` run against the entry point, as call
 * tests where its asserts have that shape (PyAssert.checkTests), the prompt's helper functions
 * given to whatever stays an assert test. For
 * HumanEval+ the `plus_input` argument lists are held out too (labelled by the reference).
 */
const convert = (dataset: string, plus: boolean) => (r: typeof HumanEvalRecord.Type, raw: RawRecord): Conversion => {
  const task = taskNumber(r.task_id)
  if (task === undefined) return reject("task_id", `expected HumanEval/<number>, got ${JSON.stringify(r.task_id)}`)
  if (!/\bdef\s+check\s*\(/.test(r.test)) return reject("test", "holds no check(candidate) function")
  // canonical_solution is the body that follows the prompt (some releases ship the whole function).
  const reference = new RegExp(`\\bdef\\s+${r.entry_point}\\s*\\(`).test(r.canonical_solution)
    ? r.canonical_solution
    : r.prompt + r.canonical_solution
  const signature = signatureOf(r.prompt, r.entry_point)
  const heldOutInputs = plus ? pythonArgLists(rawField(raw, "plus_input")) : []
  const heldOutBaseInputs = plus ? pythonArgLists(rawField(raw, "base_input")) : []
  return {
    _tag: "problem",
    problem: Problem.make({
      id: ProblemId.make(`${dataset}/${task}`),
      dataset,
      taskId: task,
      split: "test",
      kind: "function",
      statement: r.prompt,
      entryPoint: r.entry_point,
      ...(signature !== undefined ? { signature } : {}),
      reference,
      visibleTests: [],
      heldOutTests: checkTests(r.test, r.entry_point, promptHelpers(r.prompt, r.entry_point)),
      heldOutInputs,
      heldOutBaseInputs,
      ...(plus && r.atol !== undefined ? { atol: r.atol } : {})
    })
  }
}

/** Reads HumanEval (`.jsonl` or `.jsonl.gz`, 164 records) into dataset `humaneval`. */
export const readHumanEval = (file: string, dataset = "humaneval") =>
  Effect.map(readJsonRecords(file), (input) => convertRecords(file, input, HumanEvalRecord, convert(dataset, false)))

/** Reads HumanEval+ (`.jsonl` or `.jsonl.gz`) into dataset `humaneval-plus`. */
export const readHumanEvalPlus = (file: string, dataset = "humaneval-plus") =>
  Effect.map(readJsonRecords(file), (input) => convertRecords(file, input, HumanEvalRecord, convert(dataset, true)))

import { Problem, ProblemId } from "@o1coder/domain"
import { Effect, Schema } from "effect"
import { calledName, parseAsserts } from "./PyAssert.ts"
import { type Conversion, convertRecords, firstDefName, lf, mbppSplit, readJsonRecords, reject, signatureOf } from "./Records.ts"

const TaskNumber = Schema.Int.pipe(Schema.positive())

/** A record of `mbpp.jsonl` (MBPP full). */
export const MbppRecord = Schema.Struct({
  task_id: TaskNumber,
  text: Schema.String,
  code: Schema.String,
  test_setup_code: Schema.String,
  test_list: Schema.Array(Schema.String),
  challenge_test_list: Schema.optionalWith(Schema.Array(Schema.String), { default: () => [] })
})

/** A record of `sanitized-mbpp.json` (MBPP sanitized: `prompt` and `test_imports`). */
export const MbppSanitizedRecord = Schema.Struct({
  task_id: TaskNumber,
  prompt: Schema.String,
  code: Schema.String,
  test_imports: Schema.Array(Schema.String),
  test_list: Schema.Array(Schema.String)
})

interface MbppFields {
  readonly dataset: string
  readonly task: number
  readonly statement: string
  readonly code: string
  readonly setup: string
  readonly tests: ReadonlyArray<string>
  readonly challenge: ReadonlyArray<string>
}

/**
 * MBPP protocol: the first assert of `test_list` is visible (the example the statement shows);
 * held out are all of `test_list` plus `challenge_test_list`.
 */
const mbppProblem = (f: MbppFields): Conversion => {
  if (f.tests.length === 0) return reject("test_list", "is empty")
  const code = lf(f.code)
  const entryPoint = calledName(f.tests) ?? firstDefName(code)
  const tests = f.tests.flatMap((t) => parseAsserts(lf(t), entryPoint))
  const signature = signatureOf(code, entryPoint)
  const setup = lf(f.setup).trim()
  return {
    _tag: "problem",
    problem: Problem.make({
      id: ProblemId.make(`${f.dataset}/${f.task}`),
      dataset: f.dataset,
      taskId: String(f.task),
      split: mbppSplit(f.task),
      kind: "function",
      statement: f.statement.trim(),
      ...(entryPoint !== undefined ? { entryPoint } : {}),
      ...(signature !== undefined ? { signature } : {}),
      reference: code,
      ...(setup !== "" ? { setup } : {}),
      visibleTests: tests.slice(0, 1),
      heldOutTests: [...tests, ...f.challenge.flatMap((t) => parseAsserts(lf(t), entryPoint))],
      heldOutInputs: []
    })
  }
}

/** Reads MBPP full (`mbpp.jsonl`, 974 records) into dataset `mbpp` (or `dataset`). */
export const readMbpp = (file: string, dataset = "mbpp") =>
  Effect.map(readJsonRecords(file), (input) =>
    convertRecords(file, input, MbppRecord, (r) =>
      mbppProblem({
        dataset,
        task: r.task_id,
        statement: r.text,
        code: r.code,
        setup: r.test_setup_code,
        tests: r.test_list,
        challenge: r.challenge_test_list
      })
    )
  )

/** Reads MBPP sanitized (`sanitized-mbpp.json`, a JSON array of 427) into dataset `mbpp-sanitized`. */
export const readMbppSanitized = (file: string, dataset = "mbpp-sanitized") =>
  Effect.map(readJsonRecords(file), (input) =>
    convertRecords(file, input, MbppSanitizedRecord, (r) =>
      mbppProblem({
        dataset,
        task: r.task_id,
        statement: r.prompt,
        code: r.code,
        setup: r.test_imports.join("\n"),
        tests: r.test_list,
        challenge: []
      })
    )
  )

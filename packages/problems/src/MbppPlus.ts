import { Problem, ProblemId } from "@o1coder/domain"
import { Effect, Schema } from "effect"
import { type RawJson, toPythonArgs } from "./Json.ts"
import { mbppPlusArgs } from "./MbppPlusInputs.ts"
import { parseAsserts, splitAssertScript } from "./PyAssert.ts"
import { type Conversion, convertRecords, mbppSplit, rawField, readJsonRecords, reject, signatureOf } from "./Records.ts"

const ArgLists = Schema.Array(Schema.Array(Schema.Unknown))

/**
 * A record of EvalPlus `MbppPlus.jsonl`. `atol` is a number (a string in some releases).
 * `plus_input` is `{}` for a task without extra inputs in the development snapshot.
 */
export const MbppPlusRecord = Schema.Struct({
  task_id: Schema.String.pipe(Schema.pattern(/^Mbpp\/\d+$/, { message: () => "expected Mbpp/<number>" })),
  prompt: Schema.String,
  entry_point: Schema.String,
  canonical_solution: Schema.String,
  base_input: ArgLists,
  plus_input: Schema.Union(ArgLists, Schema.Struct({})),
  atol: Schema.Union(Schema.Number, Schema.NumberFromString),
  assertion: Schema.String
})

/** `'''\nText\n'''` -> `Text`. */
const unquote = (prompt: string): string =>
  prompt.trim().replace(/^(?:'''|""")\s*/, "").replace(/\s*(?:'''|""")$/, "").trim()

/** Argument lists of a raw (number-preserving) input field, as Python argument text. */
export const pythonArgLists = (
  value: RawJson | undefined,
  render: (args: ReadonlyArray<RawJson>) => string = toPythonArgs
): ReadonlyArray<string> => (Array.isArray(value) ? value.map((args) => render(args as ReadonlyArray<RawJson>)) : [])

/**
 * MBPP+ protocol: the first assert of `assertion` (the base tests) is visible; held out are all
 * those asserts plus every `plus_input` argument list (in `heldOutInputs`, labelled by the
 * canonical solution at scoring time and compared with `atol`). Tuples, sets and complex
 * numbers that JSON cannot carry are restored per task as EvalPlus does (MbppPlusInputs.ts).
 */
export const readMbppPlus = (file: string, dataset = "mbpp-plus") =>
  Effect.map(readJsonRecords(file), (input) =>
    convertRecords(file, input, MbppPlusRecord, (r, raw): Conversion => {
      const task = Number(r.task_id.slice("Mbpp/".length))
      const { asserts, setup } = splitAssertScript(r.assertion)
      if (asserts.length === 0) return reject("assertion", "holds no assert statement")
      const tests = asserts.flatMap((a) => parseAsserts(a, r.entry_point))
      const reference = r.canonical_solution.replace(/^\n+/, "")
      const signature = signatureOf(reference, r.entry_point)
      return {
        _tag: "problem",
        problem: Problem.make({
          id: ProblemId.make(`${dataset}/${task}`),
          dataset,
          taskId: String(task),
          split: mbppSplit(task),
          kind: "function",
          statement: unquote(r.prompt),
          entryPoint: r.entry_point,
          ...(signature !== undefined ? { signature } : {}),
          reference,
          ...(setup !== "" ? { setup } : {}),
          visibleTests: tests.slice(0, 1),
          heldOutTests: tests,
          heldOutInputs: pythonArgLists(rawField(raw, "plus_input"), (args) => mbppPlusArgs(task, args)),
          heldOutBaseInputs: pythonArgLists(rawField(raw, "base_input"), (args) => mbppPlusArgs(task, args)),
          atol: r.atol
        })
      }
    })
  )

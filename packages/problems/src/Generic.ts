import { AssertTest, CallTest, CallWrap, Problem, ProblemId, StdioTest, type Test } from "@o1coder/domain"
import { Effect, Schema } from "effect"
import * as NodePath from "node:path"
import { parseAsserts } from "./PyAssert.ts"
import { type Conversion, convertRecords, readJsonRecords, reject } from "./Records.ts"

/**
 * o1coder's own problem format: JSON Lines, one problem per line (documented in README.md).
 * A test is an assert statement (a string, read into a call test when it has the form
 * `assert f(args) == expected` and the other shapes PyAssert.ts reads), `{"assert": source}` (kept
 * verbatim), `{"args", "expected", "atol"?, "rtol"?, "wrap"?}` (a call of the entry point) or
 * `{"input", "output"}` (stdin/stdout).
 */
export const GenericTest = Schema.Union(
  Schema.String,
  Schema.Struct({ assert: Schema.String }),
  Schema.Struct({
    args: Schema.String,
    expected: Schema.String,
    atol: Schema.optional(Schema.Number),
    rtol: Schema.optional(Schema.Number),
    wrap: Schema.optional(CallWrap)
  }),
  Schema.Struct({ input: Schema.String, output: Schema.String })
)
export type GenericTest = typeof GenericTest.Type

export const GenericRecord = Schema.Struct({
  id: Schema.Union(Schema.String.pipe(Schema.minLength(1)), Schema.Int),
  kind: Schema.optionalWith(Schema.Literal("function", "stdio"), { default: () => "function" as const }),
  statement: Schema.String,
  entry_point: Schema.optional(Schema.String),
  signature: Schema.optional(Schema.String),
  reference: Schema.optional(Schema.String),
  setup: Schema.optional(Schema.String),
  visible_tests: Schema.optionalWith(Schema.Array(GenericTest), { default: () => [] }),
  held_out_tests: Schema.Array(GenericTest),
  held_out_inputs: Schema.optionalWith(Schema.Array(Schema.String), { default: () => [] }),
  /** EvalPlus's base_input (MBPP+, HumanEval+): labelled by the reference under EvalPlus grading. */
  held_out_base_inputs: Schema.optionalWith(Schema.Array(Schema.String), { default: () => [] }),
  atol: Schema.optional(Schema.Number),
  split: Schema.optionalWith(Schema.String, { default: () => "test" })
})
export type GenericRecord = typeof GenericRecord.Encoded

const toTests = (t: GenericTest, entryPoint: string | undefined): ReadonlyArray<Test> => {
  if (typeof t === "string") return parseAsserts(t, entryPoint)
  if ("assert" in t) return [new AssertTest({ source: t.assert })]
  if ("args" in t) return [new CallTest(t)]
  return [new StdioTest({ input: t.input, output: t.output })]
}

/** A test in the generic format (the inverse of reading it). */
export const fromTest = (t: Test): GenericTest => {
  switch (t._tag) {
    case "assert":
      return { assert: t.source }
    case "call":
      return {
        args: t.args,
        expected: t.expected,
        ...(t.atol !== undefined ? { atol: t.atol } : {}),
        ...(t.rtol !== undefined ? { rtol: t.rtol } : {}),
        ...(t.wrap !== undefined ? { wrap: t.wrap } : {})
      }
    case "stdio":
      return { input: t.input, output: t.output }
  }
}

/** A problem as one line of the generic format (its `id` is the task id). */
export const toGenericRecord = (p: Problem): GenericRecord => ({
  id: p.taskId,
  kind: p.kind,
  statement: p.statement,
  ...(p.entryPoint !== undefined ? { entry_point: p.entryPoint } : {}),
  ...(p.signature !== undefined ? { signature: p.signature } : {}),
  ...(p.reference !== undefined ? { reference: p.reference } : {}),
  ...(p.setup !== undefined ? { setup: p.setup } : {}),
  visible_tests: p.visibleTests.map(fromTest),
  held_out_tests: p.heldOutTests.map(fromTest),
  held_out_inputs: p.heldOutInputs,
  ...(p.heldOutBaseInputs.length > 0 ? { held_out_base_inputs: p.heldOutBaseInputs } : {}),
  ...(p.atol !== undefined ? { atol: p.atol } : {}),
  split: p.split
})

/** The dataset name of a generic file when none is given: its base name without extensions. */
export const datasetFromFile = (file: string): string => NodePath.basename(file).replace(/\.(jsonl|json)(\.gz)?$/, "")

/** Reads a generic JSONL file into `dataset` (default: the file's base name). Visible and held-out tests are as the file says. */
export const readGeneric = (file: string, dataset = datasetFromFile(file)) =>
  Effect.map(readJsonRecords(file), (input) =>
    convertRecords(file, input, GenericRecord, (r): Conversion => {
      if (r.kind === "function" && r.entry_point === undefined) return reject("entry_point", "is required for a function problem")
      const taskId = String(r.id).startsWith(`${dataset}/`) ? String(r.id).slice(dataset.length + 1) : String(r.id)
      const visible = r.visible_tests.flatMap((t) => toTests(t, r.entry_point))
      const heldOut = r.held_out_tests.flatMap((t) => toTests(t, r.entry_point))
      const wrongKind = [...visible, ...heldOut].findIndex((t) => (r.kind === "stdio") !== (t._tag === "stdio"))
      if (wrongKind >= 0) {
        const field = wrongKind < visible.length ? `visible_tests.${wrongKind}` : `held_out_tests.${wrongKind - visible.length}`
        return reject(field, r.kind === "stdio" ? "a stdio problem takes {input, output} tests" : "a function problem takes assert or {args, expected} tests")
      }
      return {
        _tag: "problem",
        problem: Problem.make({
          id: ProblemId.make(`${dataset}/${taskId}`),
          dataset,
          taskId,
          split: r.split,
          kind: r.kind,
          statement: r.statement,
          ...(r.entry_point !== undefined ? { entryPoint: r.entry_point } : {}),
          ...(r.signature !== undefined ? { signature: r.signature } : {}),
          ...(r.reference !== undefined ? { reference: r.reference } : {}),
          ...(r.setup !== undefined ? { setup: r.setup } : {}),
          visibleTests: visible,
          heldOutTests: heldOut,
          heldOutInputs: r.held_out_inputs,
          heldOutBaseInputs: r.held_out_base_inputs,
          ...(r.atol !== undefined ? { atol: r.atol } : {})
        })
      }
    })
  )

import { Problem, ProblemId, StdioTest } from "@o1coder/domain"
import { Effect, Schema } from "effect"
import { type Conversion, convertRecords, readJsonRecords, reject, skip } from "./Records.ts"

const IoCase = Schema.Struct({ input: Schema.Unknown, output: Schema.Unknown })

/** A record of `apps_selected150.jsonl` (APPS problems vendored by MapCoder). */
export const AppsRecord = Schema.Struct({
  id: Schema.Union(Schema.Int, Schema.String),
  description: Schema.String,
  difficulty: Schema.optional(Schema.String),
  test_list: Schema.Array(IoCase),
  starter_code: Schema.String
})

export const SKIP_CALL_BASED = "non-empty starter_code: call-based problem whose tests were flattened lossily (not stdin/stdout)"

const StdioCase = Schema.Struct({ input: Schema.String, output: Schema.Array(Schema.String) })

/**
 * APPS protocol (stdin/stdout problems only): the first test is visible, all tests are held out.
 * Expected output is the `output` strings joined by newlines. The source has no reference
 * solutions. Records with starter code are call-based and skipped with a reason.
 */
export const readApps = (file: string, dataset = "apps") =>
  Effect.map(readJsonRecords(file), (input) =>
    convertRecords(file, input, AppsRecord, (r): Conversion => {
      if (r.starter_code.trim() !== "") return skip(SKIP_CALL_BASED)
      const tests: Array<StdioTest> = []
      for (const [i, t] of r.test_list.entries()) {
        const decoded = Schema.decodeUnknownEither(StdioCase)(t)
        if (decoded._tag === "Left") return reject(`test_list.${i}`, "expected {input: string, output: string[]}")
        tests.push(new StdioTest({ input: decoded.right.input, output: decoded.right.output.join("\n") }))
      }
      if (tests.length === 0) return reject("test_list", "is empty")
      const task = String(r.id)
      return {
        _tag: "problem",
        problem: Problem.make({
          id: ProblemId.make(`${dataset}/${task}`),
          dataset,
          taskId: task,
          // The vendored problems come from APPS's train split.
          split: "train",
          kind: "stdio",
          statement: r.description.trim(),
          visibleTests: tests.slice(0, 1),
          heldOutTests: tests,
          heldOutInputs: []
        })
      }
    })
  )

import { AssertTest, InputError, type ProblemKind, Test } from "@o1coder/domain"
import { Effect, Either, ParseResult, Schema } from "effect"

/**
 * Suite files for `o1coder exec` (documented in packages/sandbox/README.md):
 *  - `*.jsonl`: one domain Test per line, e.g. {"_tag":"call","args":"[1, 2]","expected":"3"}
 *    ({"_tag":"assert","source":...}, {"_tag":"stdio","input":...,"output":...}).
 *  - `*.json`: an array of Tests, or {"entryPoint"?, "setup"?, "atol"?, "kind"?, "tests": [...]}.
 *  - anything else: Python text; each line starting with `assert ` is a test, other lines are set-up.
 */
export interface SuiteFile {
  readonly tests: ReadonlyArray<Test>
  readonly kind: ProblemKind
  readonly entryPoint?: string | undefined
  readonly setup?: string | undefined
  readonly atol?: number | undefined
}

const decodeTest = Schema.decodeUnknownEither(Test)

const Envelope = Schema.Struct({
  tests: Schema.Array(Schema.Unknown),
  entryPoint: Schema.optional(Schema.String),
  setup: Schema.optional(Schema.String),
  atol: Schema.optional(Schema.Number),
  kind: Schema.optional(Schema.Literal("function", "stdio"))
})

const kindOf = (tests: ReadonlyArray<Test>, declared: ProblemKind | undefined): ProblemKind =>
  declared ?? (tests.length > 0 && tests.every((t) => t._tag === "stdio") ? "stdio" : "function")

/** The first schema issue, as the field it concerns and a short reason. */
const firstIssue = (e: ParseResult.ParseError, field: string) => {
  const issue = ParseResult.ArrayFormatter.formatErrorSync(e).find((i) => i.path.length > 0) ?? ParseResult.ArrayFormatter.formatErrorSync(e)[0]
  const path = issue?.path.map(String).join(".") ?? ""
  return { field: path === "" ? field : `${field}.${path}`, reason: issue?.message ?? "invalid" }
}

const testAt = (file: string, line: number | undefined, field: string, value: unknown) =>
  Either.mapLeft(decodeTest(value), (e) => new InputError({ file, ...(line !== undefined ? { line } : {}), ...firstIssue(e, field) }))

export const parseSuiteText = (
  file: string,
  text: string,
  /** Turns an assert statement into a CallTest where it can (the problems package's parser); default keeps asserts. */
  parseAssert: (source: string, entryPoint?: string) => Test = (source) => new AssertTest({ source }),
  entryPoint?: string
): Effect.Effect<SuiteFile, InputError> =>
  Effect.gen(function* () {
    if (file.endsWith(".jsonl")) {
      const tests: Array<Test> = []
      const lines = text.split("\n")
      for (let i = 0; i < lines.length; i++) {
        const line = lines[i]!.trim()
        if (line === "") continue
        let value: unknown
        try {
          value = JSON.parse(line)
        } catch (e) {
          return yield* new InputError({ file, line: i + 1, reason: `not JSON: ${(e as Error).message}` })
        }
        tests.push(yield* testAt(file, i + 1, "test", value))
      }
      if (tests.length === 0) return yield* new InputError({ file, reason: "no tests" })
      return { tests, kind: kindOf(tests, undefined), entryPoint }
    }
    if (file.endsWith(".json")) {
      let value: unknown
      try {
        value = JSON.parse(text)
      } catch (e) {
        return yield* new InputError({ file, reason: `not JSON: ${(e as Error).message}` })
      }
      const envelope = Array.isArray(value) ? { tests: value } : value
      const decoded = yield* Either.mapLeft(
        Schema.decodeUnknownEither(Envelope)(envelope),
        (e) => new InputError({ file, ...firstIssue(e, "suite") })
      )
      const tests: Array<Test> = []
      for (let i = 0; i < decoded.tests.length; i++) tests.push(yield* testAt(file, undefined, `tests[${i}]`, decoded.tests[i]))
      if (tests.length === 0) return yield* new InputError({ file, field: "tests", reason: "no tests" })
      return { tests, kind: kindOf(tests, decoded.kind), entryPoint: entryPoint ?? decoded.entryPoint, setup: decoded.setup, atol: decoded.atol }
    }
    const lines = text.split(/\r?\n/)
    const asserts = lines.filter((l) => l.startsWith("assert ")).map((l) => l.trim())
    const setup = lines.filter((l) => !l.startsWith("assert ") && l.trim() !== "" && !l.trim().startsWith("#")).join("\n")
    if (asserts.length === 0) return yield* new InputError({ file, reason: "no line starts with `assert `" })
    return {
      tests: asserts.map((a) => parseAssert(a, entryPoint)),
      kind: "function",
      entryPoint,
      ...(setup !== "" ? { setup } : {})
    }
  })

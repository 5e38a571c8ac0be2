import { describe, expect, it } from "@effect/vitest"
import { AssertTest, CallTest } from "@o1coder/domain"
import { Effect, Either } from "effect"
import { parseSuiteText } from "../src/SuiteFile.ts"

describe("suite files", () => {
  it.effect("reads JSONL tests and names the bad line and field", () =>
    Effect.gen(function* () {
      const ok = yield* parseSuiteText("t.jsonl", '{"_tag":"call","args":"1","expected":"2"}\n\n{"_tag":"stdio","input":"","output":"x"}\n')
      expect(ok.tests.map((t) => t._tag)).toEqual(["call", "stdio"])
      expect(ok.kind).toBe("function")
      const bad = yield* Effect.either(parseSuiteText("t.jsonl", '{"_tag":"call","args":"1","expected":"2"}\n{"_tag":"call","args":"1"}\n'))
      expect(Either.isLeft(bad) && bad.left.message).toBe("t.jsonl: line 2: test.expected: is missing")
      const notJson = yield* Effect.either(parseSuiteText("t.jsonl", "{oops\n"))
      expect(Either.isLeft(notJson) && notJson.left.line).toBe(1)
    }))

  it.effect("reads a JSON envelope with entry point, set-up and atol; stdio-only suites are stdio", () =>
    Effect.gen(function* () {
      const s = yield* parseSuiteText("t.json", JSON.stringify({ entryPoint: "f", setup: "import math", atol: 0.1, tests: [{ _tag: "call", args: "1", expected: "1" }] }))
      expect(s).toMatchObject({ entryPoint: "f", setup: "import math", atol: 0.1, kind: "function" })
      const io = yield* parseSuiteText("t.json", JSON.stringify([{ _tag: "stdio", input: "1", output: "1" }]))
      expect(io.kind).toBe("stdio")
    }))

  it.effect("reads plain assert lines with the given assert parser; other lines are set-up", () =>
    Effect.gen(function* () {
      const s = yield* parseSuiteText("t.py", "import math\nassert f(1) == 2\nassert f(2) > 1\n", (source) =>
        source.includes("==") ? new CallTest({ args: "1", expected: "2" }) : new AssertTest({ source })
      )
      expect(s.tests.map((t) => t._tag)).toEqual(["call", "assert"])
      expect(s.setup).toBe("import math")
      const none = yield* Effect.either(parseSuiteText("t.py", "print(1)\n"))
      expect(Either.isLeft(none)).toBe(true)
    }))
})

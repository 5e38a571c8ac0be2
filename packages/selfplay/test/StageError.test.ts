import { Schema } from "effect"
import { describe, expect, it } from "vitest"
import { StageError } from "../src/Stages.ts"

describe("StageError", () => {
  it("keeps the underlying error as its cause, through the journal's encoding too", () => {
    const underlying = new RangeError("suite 7 not found")
    const error = new StageError({ stage: "search", reason: underlying.message, cause: underlying })
    expect(error.cause).toBe(underlying)
    const journalled = Schema.decodeUnknownSync(StageError)(Schema.encodeSync(StageError)(error))
    expect(journalled.message).toBe("search: suite 7 not found")
    expect(journalled.cause).toBeInstanceOf(Error)
    expect((journalled.cause as Error).name).toBe("RangeError")
    expect((journalled.cause as Error).message).toBe("suite 7 not found")
  })

  it("decodes a journalled error written before it had a cause", () => {
    const old = Schema.decodeUnknownSync(StageError)({ _tag: "StageError", stage: "tcg demo/1", reason: "boom" })
    expect(old.message).toBe("tcg demo/1: boom")
    expect(old.cause).toBeUndefined()
  })
})

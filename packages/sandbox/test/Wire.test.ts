import { describe, expect, it } from "@effect/vitest"
import { Either } from "effect"
import { decodeLine, LINE_MAX } from "../src/Wire.ts"

const reason = (line: string) => Either.match(decodeLine(line), { onLeft: (why) => why, onRight: (msg) => `decoded ${msg._tag}` })

describe("the worker's frames", () => {
  it("decodes each kind of frame", () => {
    const ready = decodeLine(`{"id":0,"ready":{"pid":7,"uid":1000,"python":"3.11","status":[]}}`)
    expect(Either.getOrThrow(ready)._tag).toBe("ready")
    const res = Either.getOrThrow(decodeLine(`{"id":3,"exp":[{"v":{"t":"int","v":"5"}}],"res":[{"s":"ok","ms":1.5,"v":{"t":"list","v":[{"t":"none"}]}}],"compiled":true,"ms":2}`))
    expect(res).toEqual({
      _tag: "res",
      line: { id: 3, exp: [{ v: { t: "int", v: "5" } }], res: [{ s: "ok", ms: 1.5, v: { t: "list", v: [{ t: "none" }] } }], compiled: true, ms: 2 }
    })
    expect(reason(`{"id":3,"x":0,"e":"NameError"}`)).toBe("decoded x")
    expect(reason(`{"id":3,"r":1,"s":"timeout","ms":3000}`)).toBe("decoded r")
    expect(reason(`{"id":3,"done":1,"compiled":false,"ms":4}`)).toBe("decoded done")
    expect(reason(`{"id":3,"error":"bad request"}`)).toBe("decoded error")
  })

  it("names the field of a malformed frame", () => {
    expect(reason(`{"id":3,"r":0,"s":"ok","ms":"x"}`)).toBe(`a "r" frame: field ms: Expected number, actual "x"`)
    expect(reason(`{"id":3,"done":1,"compiled":"yes","ms":2}`)).toBe(`a "done" frame: field compiled: Expected boolean, actual "yes"`)
    expect(reason(`{"id":-1,"error":"x"}`)).toBe(`a "error" frame: field id: Expected a positive number, actual -1`)
    expect(reason(`{"id":3,"r":0,"s":"great","ms":1}`)).toMatch(/^a "r" frame: field s: Expected "ok", actual "great"$/)
    // a bad value deep in a whole reply: its place, once, without the value itself
    const badValue = reason(`{"id":3,"exp":[],"res":[{"s":"ok","ms":1},{"s":"ok","ms":1,"v":{"t":"int","v":"01"}}],"compiled":true,"ms":2}`)
    expect(badValue).toMatch(/^a "res" frame: field res\[1\]\.v: not a well-formed value/)
    expect(badValue).not.toContain(`"01"`)
    expect(reason(`{"id":3,"exp":[],"compiled":true,"ms":2,"res":[{"ms":1}]}`)).toBe(`a "res" frame: field res[0].s: is missing`)
  })

  it("refuses lines that are not frames", () => {
    expect(reason(`nope`)).toMatch(/^not JSON: /)
    expect(reason(`{"zz":1}`)).toBe(`a line of no known kind: {"zz":1}`)
    expect(reason("x".repeat(LINE_MAX + 1))).toBe(`a reply line of ${LINE_MAX + 1} characters (limit ${LINE_MAX})`)
  })
})

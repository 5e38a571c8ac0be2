import { describe, expect, it } from "@effect/vitest"
import { meanPassAtK, parseKs, passAtK } from "../src/PassAtK.ts"

const binom = (n: number, k: number): number => {
  let r = 1
  for (let i = 1; i <= k; i++) r = (r * (n - k + i)) / i
  return r
}

describe("passAtK", () => {
  it("matches hand-computed values", () => {
    expect(passAtK(10, 3, 1)).toBeCloseTo(0.3, 12)
    // 1 - C(7,5)/C(10,5) = 1 - 21/252
    expect(passAtK(10, 3, 5)).toBeCloseTo(1 - 21 / 252, 12)
    // 1 - C(3,2)/C(5,2) = 1 - 3/10
    expect(passAtK(5, 2, 2)).toBeCloseTo(0.7, 12)
    // n - c < k: every draw of k contains a pass
    expect(passAtK(5, 3, 3)).toBe(1)
    expect(passAtK(200, 17, 10)).toBeCloseTo(1 - binom(183, 10) / binom(200, 10), 10)
  })

  it("c = 0 gives 0 and c = n gives 1", () => {
    expect(passAtK(10, 0, 1)).toBe(0)
    expect(passAtK(10, 0, 10)).toBe(0)
    expect(passAtK(10, 10, 1)).toBe(1)
    expect(passAtK(1, 1, 1)).toBe(1)
  })

  it("is undefined when n < k, including c = 0 (the naive code returns 1 there)", () => {
    expect(passAtK(3, 0, 5)).toBeUndefined()
    expect(passAtK(3, 2, 5)).toBeUndefined()
    expect(passAtK(0, 0, 1)).toBeUndefined()
  })

  it("stays finite where binomials overflow", () => {
    const p = passAtK(2000, 1, 100)!
    expect(p).toBeCloseTo(100 / 2000, 12)
  })

  it("rejects impossible counts", () => {
    expect(() => passAtK(3, 4, 1)).toThrow(RangeError)
    expect(() => passAtK(3, 1, 0)).toThrow(RangeError)
  })

  it("averages over problems only when every problem has n >= k", () => {
    expect(meanPassAtK([{ n: 2, c: 1 }, { n: 2, c: 0 }], 1)).toBeCloseTo(0.25, 12)
    expect(meanPassAtK([{ n: 2, c: 1 }, { n: 1, c: 1 }], 2)).toBeUndefined()
    // an unanswered problem (n = 0) counts 0
    expect(meanPassAtK([{ n: 2, c: 2 }, { n: 0, c: 0 }], 2)).toBe(0.5)
    expect(parseKs("10, 1,1")).toEqual([1, 10])
    expect(() => parseKs("0")).toThrow()
  })
})

import { describe, expect, it } from "vitest"
import { killedMutants, mutationScore, reduceSuite } from "../src/Quality.ts"
import { Rng } from "../src/InputMutation.ts"

describe("suite reduction", () => {
  it("keeps every kill with fewer tests", () => {
    // 4 mutants x 5 tests; mutant 3 survives everything.
    const m = [
      [true, false, false, true, false],
      [false, true, false, true, false],
      [false, false, true, false, false],
      [false, false, false, false, false]
    ]
    const chosen = reduceSuite(m, 5)
    expect(killedMutants(m, chosen)).toBe(killedMutants(m))
    expect(mutationScore(m)).toBe(0.75)
    expect(chosen).toEqual([3, 2])
  })

  it("preserves kills on random matrices", () => {
    const rng = new Rng(42)
    for (let trial = 0; trial < 50; trial++) {
      const mutants = 1 + rng.int(15)
      const tests = 1 + rng.int(30)
      const m = Array.from({ length: mutants }, () => Array.from({ length: tests }, () => rng.chance(0.15)))
      const chosen = reduceSuite(m, tests)
      expect(killedMutants(m, chosen)).toBe(killedMutants(m))
      expect(new Set(chosen).size).toBe(chosen.length)
      expect(chosen.length).toBeLessThanOrEqual(Math.min(tests, killedMutants(m)))
    }
  })

  it("is empty when nothing is killed", () => {
    expect(reduceSuite([[false, false]], 2)).toEqual([])
    expect(mutationScore([])).toBe(0)
  })
})

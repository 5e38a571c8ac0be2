import { describe, expect, it } from "vitest"
import { aggregate, makeReward, rlAlpha, RewardConfig, terminalReward } from "../src/Reward.ts"

describe("terminal reward", () => {
  it("is the pass ratio by default (α = 0); an empty suite scores 0", () => {
    const r = makeReward()
    expect(r.terminal({ compiled: true, passed: 3, total: 4 }).reward).toBe(0.75)
    expect(r.terminal({ compiled: false, passed: 0, total: 4 }).reward).toBe(0)
    expect(r.terminal({ compiled: true, passed: 0, total: 0 }).reward).toBe(0)
  })
  it("weights compilation by α", () => {
    const c = new RewardConfig({ compileWeight: 0.2 })
    expect(terminalReward(c, { compiled: true, passed: 1, total: 2 }).reward).toBeCloseTo(0.2 + 0.8 * 0.5, 12)
    expect(terminalReward(c, { compiled: false, passed: 0, total: 2 }).reward).toBe(0)
  })
})

describe("RL aggregate", () => {
  const c = RewardConfig.default
  it("α(t) = max(0.1, 1 − 0.01·t)", () => {
    expect(rlAlpha(c, 0)).toBe(1)
    expect(rlAlpha(c, 50)).toBeCloseTo(0.5, 12)
    expect(rlAlpha(c, 1000)).toBe(0.1)
  })
  it("φ = α(t)·R + (1−α(t))·(1/m)·Σ γ^j·r_j", () => {
    const t = 30
    const alpha = 0.7
    const expected = alpha * 1 + (1 - alpha) * ((0.5 + 0.9 * 0.8 + 0.81 * 1) / 3)
    expect(aggregate(c, 1, [0.5, 0.8, 1], t)).toBeCloseTo(expected, 12)
    expect(aggregate(c, 0.4, [], t)).toBe(0.4)
    expect(aggregate(new RewardConfig({ gamma: 1, alphaFloor: 0 }), 0, [1, 1], 100)).toBeCloseTo(1, 12)
  })
})

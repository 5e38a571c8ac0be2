import { ConfigProvider, Effect, Either } from "effect"
import { describe, expect, it } from "vitest"
import { rewardConfigFromConfig, RewardConfig } from "../src/Reward.ts"

const read = (settings: Record<string, string>) =>
  Effect.runSync(Effect.either(Effect.withConfigProvider(rewardConfigFromConfig, ConfigProvider.fromMap(new Map(Object.entries(settings))))))

describe("reward settings", () => {
  it("are the defaults when unset or empty", () => {
    expect(read({})).toEqual(Either.right(RewardConfig.default))
    expect(read({ O1CODER_REWARD_COMPILE_WEIGHT: "", O1CODER_REWARD_GAMMA: " " })).toEqual(Either.right(RewardConfig.default))
  })

  it("read the compile weight and the discount", () => {
    const config = read({ O1CODER_REWARD_COMPILE_WEIGHT: "0.3", O1CODER_REWARD_GAMMA: "0.5" })
    expect(Either.map(config, (c) => [c.compileWeight, c.gamma])).toEqual(Either.right([0.3, 0.5]))
  })

  it("refuse a value that is not a number instead of dropping it", () => {
    const config = read({ O1CODER_REWARD_GAMMA: "0.9x" })
    expect(Either.isLeft(config)).toBe(true)
    expect(String(Either.getLeft(config))).toContain("O1CODER_REWARD_GAMMA")
    expect(Either.isLeft(read({ O1CODER_REWARD_COMPILE_WEIGHT: "NaN" }))).toBe(true)
  })
})

import { ConfigProvider, Effect, Either } from "effect"
import * as NodeOs from "node:os"
import { describe, expect, it } from "vitest"
import { llamaThreads, trustedPython } from "../src/ModelsConfig.ts"

const read = <A>(config: Effect.Effect<A, unknown>, settings: Record<string, string>) =>
  Effect.runSync(Effect.either(Effect.withConfigProvider(config, ConfigProvider.fromMap(new Map(Object.entries(settings))))))

describe("models settings", () => {
  it("llama threads: the setting, else half the cores; an invalid value is an error", () => {
    expect(read(llamaThreads, { O1CODER_LLAMA_THREADS: "3" })).toEqual(Either.right(3))
    expect(read(llamaThreads, {})).toEqual(Either.right(Math.max(1, Math.floor(NodeOs.availableParallelism() / 2))))
    for (const bad of ["0", "-2", "1.5", "two"]) {
      const result = read(llamaThreads, { O1CODER_LLAMA_THREADS: bad })
      expect(Either.isLeft(result)).toBe(true)
      expect(String(Either.getLeft(result))).toContain("O1CODER_LLAMA_THREADS")
    }
  })

  it("trusted Python: the setting, else /usr/bin/python3.11", () => {
    expect(read(trustedPython, { O1CODER_PYTHON: "/opt/py" })).toEqual(Either.right("/opt/py"))
    expect(read(trustedPython, {})).toEqual(Either.right("/usr/bin/python3.11"))
  })
})

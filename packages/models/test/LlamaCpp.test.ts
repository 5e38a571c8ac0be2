import { describe, expect, it } from "@effect/vitest"
import { sharedDataFile } from "@o1coder/domain"
import { Effect } from "effect"
import { SamplingOptions } from "../src/LanguageModel.ts"
import * as LlamaCpp from "../src/LlamaCpp.ts"
import * as ModelSpecs from "../src/ModelSpecs.ts"

const gguf = sharedDataFile("models/stories260K.gguf")

describe.skipIf(gguf.missing !== undefined)(`node-llama-cpp with stories260K.gguf ${gguf.missing ?? ""}`, () => {
  it.live("loads the GGUF without downloading or building and returns n = 3 completions respecting stop strings and max tokens", () =>
    Effect.scoped(
      Effect.gen(function* () {
        // One thread: on this shared 2-core machine two spinning ggml threads are far slower (README).
        const model = yield* LlamaCpp.make({ modelPath: gguf.path, threads: 1 })
        expect(model.modelVersion).toBe("llama:stories260K.gguf")
        const free = yield* model.complete("Once upon a time", new SamplingOptions({ n: 3, maxTokens: 24, temperature: 0.9, seed: 1 }))
        expect(free).toHaveLength(3)
        for (const c of free) {
          expect(c.completionTokens).toBeGreaterThan(0)
          expect(c.completionTokens).toBeLessThanOrEqual(24)
          expect(c.promptTokens).toBeGreaterThan(0)
        }
        // Distinct seeds per sample index: the samples differ.
        expect(new Set(free.map((c) => c.text)).size).toBeGreaterThan(1)

        const stopped = yield* model.complete("Once upon a time", new SamplingOptions({ n: 3, maxTokens: 64, temperature: 0.9, seed: 2, stop: ["."] }))
        expect(stopped).toHaveLength(3)
        for (const c of stopped) {
          expect(c.text.includes(".")).toBe(false)
          if (c.finishReason === "stop") expect(c.completionTokens).toBeLessThan(64)
        }
        expect(stopped.some((c) => c.finishReason === "stop")).toBe(true)

        const same = yield* model.complete("Once upon a time", new SamplingOptions({ n: 3, maxTokens: 24, temperature: 0.9, seed: 1 }))
        expect(same.map((c) => c.text)).toEqual(free.map((c) => c.text))
      })
    ), 120_000)

  it.live("is selected by the llama: spec", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const model = yield* ModelSpecs.makeBackend(`llama:${gguf.path}`, { llama: { parallel: 1, threads: 1 } })
        const [c] = yield* model.complete("Lily", new SamplingOptions({ n: 1, maxTokens: 8 }))
        expect(c!.completionTokens).toBeLessThanOrEqual(8)
        const missing = yield* ModelSpecs.makeBackend("llama:/nonexistent/model.gguf").pipe(Effect.flip)
        expect(missing.kind).toBe("load_failed")
      })
    ), 120_000)
})

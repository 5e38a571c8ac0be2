import { Config, ConfigError, Either } from "effect"
import * as NodeOs from "node:os"

/**
 * The models package's settings, read through `Config` (the environment by default). Each one
 * has its default here; a value that is set but invalid is an error, never silently replaced.
 */

/** The trusted Python used for dataset code (mutants, labels): `O1CODER_PYTHON`, default /usr/bin/python3.11. */
export const trustedPython: Config.Config<string> = Config.string("O1CODER_PYTHON").pipe(
  Config.withDefault(""),
  Config.map((path) => (path === "" ? "/usr/bin/python3.11" : path))
)

/**
 * llama.cpp CPU threads: `O1CODER_LLAMA_THREADS` (a positive integer), else half the available
 * cores (at least 1). ggml's threads spin while they wait for each other: with one per core, any
 * other work on the machine stalls every token (on 2 busy cores, 2 threads were hundreds of times
 * slower than 1; the models README has the figures from `packages/models/scripts/bench-llama-threads.ts`).
 * Half leaves room for the rest.
 */
export const llamaThreads: Config.Config<number> = Config.string("O1CODER_LLAMA_THREADS").pipe(
  Config.withDefault(""),
  Config.mapOrFail((text) => {
    if (text.trim() === "") return Either.right(Math.max(1, Math.floor(NodeOs.availableParallelism() / 2)))
    const n = Number(text)
    return Number.isInteger(n) && n > 0
      ? Either.right(n)
      : Either.left(ConfigError.InvalidData(["O1CODER_LLAMA_THREADS"], `expected a positive integer, got ${JSON.stringify(text)}`))
  })
)

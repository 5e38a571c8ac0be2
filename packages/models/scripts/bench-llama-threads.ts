/**
 * Compares node-llama-cpp generation speed by thread count on stories260K.gguf: 1 thread, half the
 * cores (the default) and every core, in alternating rounds so that each count sees the same load.
 * Prints the median ms/token per count and the load average.
 *   npx tsx packages/models/scripts/bench-llama-threads.ts [tokens=60] [rounds=3]
 */
import { sharedDataFile } from "@o1coder/domain"
import { Effect } from "effect"
import * as NodeOs from "node:os"
import { llamaThreads } from "../src/ModelsConfig.ts"

const gguf = sharedDataFile("models/stories260K.gguf")
if (gguf.missing !== undefined) {
  console.log(gguf.missing)
  process.exit(0)
}
const tokens = Number(process.argv[2] ?? 60)
const rounds = Number(process.argv[3] ?? 3)
const cores = NodeOs.availableParallelism()
const { getLlama, LlamaCompletion } = await import("node-llama-cpp")
const llama = await getLlama({ gpu: false, build: "never", progressLogs: false })
const model = await llama.loadModel({ modelPath: gguf.path })
const defaultThreads = Effect.runSync(llamaThreads)
const counts = [...new Set([1, defaultThreads, cores])].sort((a, b) => a - b)
const load = () => NodeOs.loadavg().map((l) => l.toFixed(1)).join(" ")
console.log(`cores ${cores}, default threads ${defaultThreads}, node-llama-cpp's own default ${llama.maxThreads}, load average ${load()}`)

const msPerToken = async (threads: number) => {
  const context = await model.createContext({ threads, contextSize: 256 })
  const sequence = context.getSequence()
  let n = 0
  const started = performance.now()
  await new LlamaCompletion({ contextSequence: sequence }).generateCompletion("Once upon a time", {
    maxTokens: tokens,
    seed: 1,
    onToken: (t) => {
      n += t.length
    }
  })
  const ms = (performance.now() - started) / Math.max(1, n)
  await sequence.dispose()
  await context.dispose()
  return ms
}

const samples = new Map(counts.map((c) => [c, [] as Array<number>]))
for (let round = 0; round < rounds; round++) {
  for (const threads of counts) samples.get(threads)!.push(await msPerToken(threads))
}
for (const [threads, ms] of samples) {
  const sorted = [...ms].sort((a, b) => a - b)
  console.log(`threads ${threads}: median ${sorted[Math.floor(sorted.length / 2)]!.toFixed(2)} ms/token (runs: ${ms.map((m) => m.toFixed(2)).join(", ")})`)
}
console.log(`load average after: ${load()}`)
await model.dispose()
await llama.dispose()

/**
 * Compares node-llama-cpp generation speed by thread count on stories260K.gguf (prints ms/token).
 *   npx tsx packages/models/scripts/bench-llama-threads.ts [tokens=60]
 */
import { sharedDataFile } from "@o1coder/domain"
import * as NodeOs from "node:os"

const gguf = sharedDataFile("models/stories260K.gguf")
if (gguf.missing !== undefined) {
  console.log(gguf.missing)
  process.exit(0)
}
const tokens = Number(process.argv[2] ?? 60)
const { getLlama, LlamaCompletion } = await import("node-llama-cpp")
const llama = await getLlama({ gpu: false, build: "never", progressLogs: false })
const model = await llama.loadModel({ modelPath: gguf.path })
const counts = [...new Set([1, NodeOs.availableParallelism()])]
console.log(`cores ${NodeOs.availableParallelism()}, load average ${NodeOs.loadavg()[0]!.toFixed(1)}, node-llama-cpp default threads ${llama.maxThreads}`)
for (const threads of counts) {
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
  console.log(`threads ${threads}: ${n} tokens, ${((performance.now() - started) / Math.max(1, n)).toFixed(2)} ms/token`)
  await sequence.dispose()
  await context.dispose()
}
await model.dispose()
await llama.dispose()

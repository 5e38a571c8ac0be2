/**
 * What a hostile neighbour costs honest callers of `o1coder serve`: one honest client scores one
 * completion per request through `/v1/reward` (4 tests, a distinct program each time), first alone,
 * then while other clients keep O1CODER_BENCH_HOSTILE hostile completions in flight at all times (an endless loop, a
 * sleep, a fork bomb, endless output, in turn; one test with a per-test budget of BUDGET ms). Prints
 * the honest latency (p50, p99, max) both ways, how many honest answers were wrong, and last
 * `hostile_added_delay_p99_over_budget: N.NN` ((p99 with - p99 alone) / BUDGET) with the load average.
 *
 *   npm run bench:hostile    (O1CODER_BENCH_REQUESTS=150, O1CODER_BENCH_BUDGET_MS=1000, O1CODER_BENCH_WORKERS=2,
 *                             O1CODER_BENCH_HOSTILE=1: hostile completions kept in flight at once)
 */
import { Reward } from "@o1coder/reward"
import { CachedSandbox, Limits, sandboxLayer } from "@o1coder/sandbox"
import { Server, Settings } from "@o1coder/serve"
import { TestDatabase } from "@o1coder/store"
import { ExecutionsRepo } from "@o1coder/store/ExecutionsRepo"
import { ProblemsRepo } from "@o1coder/store/ProblemsRepo"
import { SuitesRepo } from "@o1coder/store/SuitesRepo"
import { Effect, Layer, Logger, LogLevel } from "effect"
import * as NodeOs from "node:os"

const REQUESTS = Number(process.env.O1CODER_BENCH_REQUESTS ?? 150)
const BUDGET_MS = Number(process.env.O1CODER_BENCH_BUDGET_MS ?? 1_000)
const WORKERS = Number(process.env.O1CODER_BENCH_WORKERS ?? 2)
/** Hostile completions in flight at once (as many as workers: every worker can be busy with one). */
const NEIGHBOURS = Number(process.env.O1CODER_BENCH_HOSTILE ?? 1)

const add = { kind: "function", entry_point: "add", tests: ["assert add(1, 2) == 3", "assert add(2, 2) == 4", "assert add(-1, 1) == 0", "assert add(0, 5) == 5"] }
const fence = (code: string) => "```python\n" + code + "\n```"
const HOSTILE = [
  "def add(a, b):\n    while True:\n        pass",
  "import time\ndef add(a, b):\n    time.sleep(1000)",
  "import os\ndef add(a, b):\n    while True:\n        try:\n            os.fork()\n        except OSError:\n            pass",
  "def add(a, b):\n    while True:\n        print('x' * 100000)"
]

const post = async (url: string, body: unknown): Promise<any> => {
  const r = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) })
  if (r.status !== 200) throw new Error(`${url}: HTTP ${r.status} ${(await r.text()).slice(0, 300)}`)
  return r.json()
}

const quantile = (xs: ReadonlyArray<number>, q: number) => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!
}

let seq = 0
/** REQUESTS honest requests in a row; their latencies (ms) and how many answers were wrong. */
const honest = async (url: string) => {
  const ms: Array<number> = []
  let wrong = 0
  for (let i = 0; i < REQUESTS; i++) {
    const k = seq++
    const right = k % 2 === 0
    const code = right ? `def add(a, b):\n    return a + b  # ${k}` : `def add(a, b):\n    return a * b  # ${k}`
    const started = performance.now()
    const answer = await post(`${url}/v1/reward`, { run: "bench-hostile", completions: [{ completion: fence(code), problem: add }] })
    ms.push(performance.now() - started)
    if (Math.abs(answer.results[0].reward - (right ? 1 : 0.25)) > 1e-9) wrong++
  }
  return { ms, wrong }
}

const line = (label: string, r: { ms: ReadonlyArray<number>; wrong: number }) =>
  `  ${label.padEnd(36)} p50 ${quantile(r.ms, 0.5).toFixed(0).padStart(5)} ms  p99 ${quantile(r.ms, 0.99).toFixed(0).padStart(5)} ms  max ${Math.max(...r.ms).toFixed(0).padStart(5)} ms  (${r.ms.length} requests, ${r.wrong} wrong)`

const services = Layer.mergeAll(CachedSandbox.layer, Reward.Default).pipe(
  Layer.provideMerge(Layer.mergeAll(ProblemsRepo.Default, SuitesRepo.Default, ExecutionsRepo.Default)),
  Layer.provideMerge(sandboxLayer({ workers: WORKERS })),
  Layer.provideMerge(TestDatabase.pglite)
)

const program = Effect.gen(function* () {
  const limits = new Limits({ testTimeoutMs: BUDGET_MS, totalTimeoutMs: BUDGET_MS, memoryBytes: 1024 ** 3, outputBytes: 1024 ** 2 })
  const url = yield* Server.start({ ...Settings.defaults, port: 0, limits })
  console.log(`bench:hostile: ${WORKERS} sandbox workers, hostile budget ${BUDGET_MS} ms (one test), ${REQUESTS} honest requests each way`)
  yield* Effect.promise(() => honest(url).then(() => undefined)) // warm-up
  const alone = yield* Effect.promise(() => honest(url))
  console.log(line("honest alone", alone))
  let stop = false
  let hostileDone = 0
  const statuses = new Map<string, number>()
  const hostileMs = HOSTILE.map((): Array<number> => [])
  const neighbours = Array.from({ length: NEIGHBOURS }, async (_, n) => {
    for (let k = n; !stop; k += NEIGHBOURS) {
      const code = `${HOSTILE[k % HOSTILE.length]!}\n# ${k}`
      const started = performance.now()
      const answer = await post(`${url}/v1/reward`, { run: "bench-hostile", completions: [{ completion: fence(code), problem: { ...add, tests: add.tests.slice(0, 1) } }] })
      const status = answer.results[0].verdicts[0].status as string
      statuses.set(status, (statuses.get(status) ?? 0) + 1)
      hostileMs[k % HOSTILE.length]!.push(performance.now() - started)
      hostileDone++
    }
  })
  const withHostile = yield* Effect.promise(() => honest(url))
  stop = true
  yield* Effect.promise(() => Promise.all(neighbours))
  console.log(line(`honest next to ${NEIGHBOURS} hostile in flight`, withHostile))
  console.log(`    (${hostileDone} hostile completions meanwhile: ${[...statuses].map(([s, n]) => `${n} ${s}`).join(", ")})`)
  console.log(`    (hostile request latency max: ${["loop", "sleep", "fork bomb", "output"].map((name, i) => `${name} ${hostileMs[i]!.length > 0 ? Math.max(...hostileMs[i]!).toFixed(0) : "-"} ms`).join(", ")})`)
  const added = quantile(withHostile.ms, 0.99) - quantile(alone.ms, 0.99)
  const load = NodeOs.loadavg().map((x) => x.toFixed(2)).join(" ")
  console.log(`hostile_added_delay_p99_over_budget: ${(added / BUDGET_MS).toFixed(2)} (p99 +${added.toFixed(0)} ms against a ${BUDGET_MS} ms budget; load average ${load})`)
})

// Request logs off: they would time the terminal, not the service.
Effect.runPromise(program.pipe(Effect.scoped, Effect.provide(services), Logger.withMinimumLogLevel(LogLevel.Warning)) as Effect.Effect<void, unknown, never>).catch((e) => {
  console.error(e)
  process.exit(1)
})

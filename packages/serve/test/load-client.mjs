// A bounded load generator for `o1coder serve` (run as its own process): CLIENTS loops posting
// /v1/reward batches for DURATION_S, 10% of completions hostile, each answer checked against the
// reward it must have. Prints one JSON summary line: requests, answered, wrong, lost, rejected (429),
// latency p50/p99 (ms), completions scored.
//   node load-client.mjs URL CLIENTS DURATION_S RUN
const [url, clientsArg, durationArg, run] = process.argv.slice(2)
const clients = Number(clientsArg)
const durationMs = Number(durationArg) * 1000

const add = { kind: "function", entry_point: "add", tests: ["assert add(1, 2) == 3", "assert add(2, 2) == 4", "assert add(-1, 1) == 0", "assert add(0, 5) == 5"] }
const rev = { kind: "function", entry_point: "rev", tests: ["assert rev('abc') == 'cba'", "assert rev('') == ''", "assert rev('ab') == 'ba'"] }
const echo = { kind: "stdio", tests: [{ _tag: "stdio", input: "3\n", output: "6\n" }, { _tag: "stdio", input: "0\n", output: "0\n" }] }
const fence = (code) => "```python\n" + code + "\n```"

/** Completions with the reward each must get (α = 0: the pass ratio). */
export const HONEST = [
  { problem: add, completion: fence("def add(a, b):\n    return a + b"), reward: 1 },
  { problem: add, completion: fence("def add(a, b):\n    return a * b"), reward: 0.25 },
  { problem: add, completion: fence("def add(a, b):\n    return a - b if a < 0 else a + b"), reward: 0.75 },
  { problem: rev, completion: fence("def rev(s):\n    return s[::-1]"), reward: 1 },
  { problem: rev, completion: fence("def rev(s):\n    return s"), reward: 1 / 3 },
  { problem: echo, completion: fence("print(int(input()) * 2)"), reward: 1 },
  { problem: echo, completion: fence("print(int(input()) + 3)"), reward: 0.5 }
]
export const HOSTILE = [
  { problem: add, completion: fence("def add(a, b):\n    while True:\n        pass"), reward: 0 },
  { problem: add, completion: fence("def add(a, b):\n    return [0] * (10 ** 10)"), reward: 0 },
  { problem: echo, completion: fence("while True:\n    print('x' * 100000)"), reward: 0 },
  { problem: add, completion: fence("import os\nos.kill(os.getpid(), 9)\ndef add(a, b):\n    return a + b"), reward: 0 }
]

let seed = 12345
const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31)

/** `node load-client.mjs URL once RUN`: every case above in one batch (a warm-up, and the repeat after a restart). */
if (clientsArg === "once") {
  const all = [...HONEST, ...HOSTILE]
  const response = await fetch(`${url}/v1/reward`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ run: durationArg, test_timeout_ms: 1000, completions: all.map((c) => ({ completion: c.completion, problem: c.problem })) }) })
  const results = (await response.json()).results
  console.log(JSON.stringify({ status: response.status, wrong: all.filter((c, i) => Math.abs(results[i].reward - c.reward) > 1e-9).length, rewards: results.map((r) => r.reward) }))
  process.exit(0)
}

const latencies = []
const stats = { requests: 0, answered: 0, wrong: 0, lost: 0, rejected: 0, completions: 0, hostile: 0, errors: [] }
const deadline = Date.now() + durationMs

const client = async () => {
  while (Date.now() < deadline) {
    const batch = Array.from({ length: 4 }, () => (random() < 0.1 ? HOSTILE[Math.floor(random() * HOSTILE.length)] : HONEST[Math.floor(random() * HONEST.length)]))
    const body = JSON.stringify({ run, test_timeout_ms: 1000, completions: batch.map((c) => ({ completion: c.completion, problem: c.problem })) })
    const started = performance.now()
    stats.requests++
    let response
    try {
      response = await fetch(`${url}/v1/reward`, { method: "POST", headers: { "content-type": "application/json" }, body })
    } catch (e) {
      stats.lost++
      stats.errors.push(String(e))
      await new Promise((r) => setTimeout(r, 200))
      continue
    }
    const text = await response.text().catch((e) => (stats.errors.push(String(e)), undefined))
    if (response.status === 429) {
      stats.rejected++
      await new Promise((r) => setTimeout(r, 1000 * Number(response.headers.get("retry-after") ?? "1")))
      continue
    }
    if (response.status !== 200 || text === undefined) {
      stats.lost++
      stats.errors.push(`HTTP ${response.status}: ${String(text).slice(0, 200)}`)
      continue
    }
    latencies.push(performance.now() - started)
    stats.answered++
    const results = JSON.parse(text).results
    batch.forEach((c, i) => {
      stats.completions++
      if (HOSTILE.includes(c)) stats.hostile++
      if (results?.[i] === undefined || Math.abs(results[i].reward - c.reward) > 1e-9) {
        stats.wrong++
        stats.errors.push(`wrong: expected ${c.reward}, got ${JSON.stringify(results?.[i]).slice(0, 300)}`)
      }
    })
  }
}

await Promise.all(Array.from({ length: clients }, client))
latencies.sort((a, b) => a - b)
const q = (p) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? 0
stats.errors = stats.errors.slice(0, 10)
console.log(JSON.stringify({ ...stats, p50: q(0.5), p99: q(0.99) }))

import { describe, expect, layer } from "@effect/vitest"
import { Effect } from "effect"
import { Server, Settings } from "../src/index.ts"
import { fence, generous, postJson, storeAndSandbox } from "./fixtures.ts"

/**
 * A hostile program (an endless loop, a sleep, a fork bomb, endless output) sent to /run_code while an
 * honest client keeps scoring through /v1/reward on the same 2-worker pool: each hostile one ends
 * with its own verdict (TimeLimitExceeded; the output one at the output limit) and costs only its
 * worker; honest requests keep being answered while it runs, and every honest answer is right.
 * Counts, not times: "while it runs" is the honest answers that arrived between the hostile
 * request's send and its answer.
 */

const HOSTILE = [
  { name: "loop", code: "while True:\n    pass", status: "TimeLimitExceeded" },
  { name: "sleep", code: "import time\ntime.sleep(1000)", status: "TimeLimitExceeded" },
  { name: "fork bomb", code: "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass", status: "TimeLimitExceeded" },
  // Slow enough (~1 s to pass the 1 MiB output limit) that honest requests are answered meanwhile.
  { name: "output", code: "import time\nwhile True:\n    print('x' * 10000, flush=True)\n    time.sleep(0.01)", status: "Error" }
] as const

const add = { kind: "function", entry_point: "add", tests: ["assert add(1, 2) == 3", "assert add(2, 2) == 4", "assert add(-1, 1) == 0", "assert add(0, 5) == 5"] }
/** The k-th honest completion (a distinct program each time: no cache hit) and the reward it must get. */
const honest = (k: number) =>
  k % 2 === 0
    ? { completion: fence(`def add(a, b):\n    return a + b  # ${k}`), reward: 1 }
    : { completion: fence(`def add(a, b):\n    return a * b  # ${k}`), reward: 0.25 }


describe("hostile programs next to honest requests", () => {
  layer(storeAndSandbox, { timeout: 300_000, excludeTestServices: true })((it) => {
    it.effect("each hostile program gets its own verdict; honest requests are answered, right, while it runs", () =>
      Effect.scoped(
        Effect.gen(function* () {
          const url = yield* Server.start({ ...Settings.defaults, port: 0, limits: generous })
          const answers: Array<{ readonly at: number; readonly right: boolean; readonly status: number }> = []
          let done = false
          let seq = 0
          const honestClient = (async () => {
            while (!done) {
              const k = seq++
              const c = honest(k)
              const r = await postJson(`${url}/v1/reward`, { run: "hostile-test", completions: [{ completion: c.completion, problem: add }] })
              answers.push({ at: performance.now(), status: r.status, right: r.status === 200 && Math.abs(r.json.results[0].reward - c.reward) < 1e-9 })
            }
          })()
          const hostile: Array<{ readonly name: string; readonly status: string; readonly runStatus: string; readonly during: number }> = []
          for (const h of HOSTILE) {
            const sent = performance.now()
            const r = yield* Effect.promise(() => postJson(`${url}/run_code`, { code: h.code, language: "python", stdin: "", run_timeout: h.name === "output" ? 20 : 3 }))
            const answered = performance.now()
            hostile.push({ name: h.name, status: r.json.status, runStatus: r.json.run_result?.status, during: answers.filter((a) => a.at > sent && a.at < answered).length })
          }
          done = true
          yield* Effect.promise(() => honestClient)
          console.log(`hostile: ${hostile.map((h) => `${h.name} ${h.runStatus} (${h.during} honest answers meanwhile)`).join(", ")}; ${answers.length} honest answers`)

          expect(hostile.map((h) => [h.name, h.status, h.runStatus])).toEqual(HOSTILE.map((h) => [h.name, "Failed", h.status]))
          // Not one hostile program held the honest client up for its whole run: the other worker served it.
          for (const h of hostile) expect({ name: h.name, servedMeanwhile: h.during > 0 }).toEqual({ name: h.name, servedMeanwhile: true })
          expect(answers.filter((a) => !a.right)).toEqual([])
          expect(answers.length).toBeGreaterThan(HOSTILE.length)
        })
      ))
  })
})

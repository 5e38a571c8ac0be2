import { describe, expect, layer } from "@effect/vitest"
import { makeHttpPrm, ProcessReward, Reward } from "@o1coder/reward"
import { Effect, Layer } from "effect"
import * as NodeHttp from "node:http"
import type { AddressInfo } from "node:net"
import { Server, Settings } from "../src/index.ts"
import { generous, post, storeAndSandbox } from "./fixtures.ts"

/**
 * A PRM inside the service: with one configured (here `HttpPrm` against a vLLM-style `/pooling`
 * stand-in on 127.0.0.1), a step-format completion without step rewards of its own gets the PRM's
 * score of each step prefix as `step_rewards`, and φ from them; step rewards the caller gives win;
 * a completion not in the step format gets neither.
 */

/** The positive probability the stand-in gives the k-th step tag of an input (1-based). */
const P = [0.9, 0.6, 0.3]
const seen: Array<string> = []

const pooling = Layer.scoped(
  ProcessReward,
  Effect.acquireRelease(
    Effect.async<NodeHttp.Server>((resume) => {
      const server = NodeHttp.createServer((req, res) => {
        let body = ""
        req.on("data", (d) => (body += d))
        req.on("end", () => {
          const input = JSON.parse(body).input as string
          seen.push(input)
          const tags = input.split("<extra_0>").length - 1
          res.setHeader("content-type", "application/json")
          res.end(JSON.stringify({ data: [{ index: 0, object: "pooling", data: P.slice(0, tags).map((p) => [1 - p, p]) }] }))
        })
      })
      server.listen(0, "127.0.0.1", () => resume(Effect.succeed(server)))
    }),
    (server) => Effect.async<void>((resume) => void server.close(() => resume(Effect.void)))
  ).pipe(Effect.map((server) => makeHttpPrm({ baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, model: "stand-in" })))
)

const add = { kind: "function", entry_point: "add", statement: "Add two numbers.", tests: ["assert add(1, 2) == 3", "assert add(2, 2) == 4"] }
const steps = "### Step 1 [A1]\nadd them\n### Step 2 [A2]\nuse +\n### Step 3 [A3]\n```python\ndef add(a, b):\n    return a + b\n```\n"


describe("a PRM inside the service", () => {
  layer(Layer.merge(storeAndSandbox, pooling), { timeout: 300_000, excludeTestServices: true })((it) => {
    it.effect("step-format completions get the PRM's step rewards and φ; given step rewards win; plain completions get neither", () =>
      Effect.scoped(
        Effect.gen(function* () {
          const url = yield* Server.start({ ...Settings.defaults, port: 0, limits: generous })
          const reward = yield* Reward
          const answer = yield* post(`${url}/v1/reward`, {
            step: 10,
            completions: [
              { completion: steps, problem: add },
              { completion: steps, problem: add, step_rewards: [1, 1, 1] },
              { completion: "```python\ndef add(a, b):\n    return a + b\n```", problem: add }
            ]
          })
          expect(answer.status).toBe(200)
          const [judged, given, plain] = answer.json.results
          expect(judged.reward).toBe(1)
          expect(judged.step_rewards).toEqual(P)
          expect(judged.phi).toBeCloseTo(reward.aggregate(1, P, 10), 12)
          expect(given.step_rewards).toBeUndefined()
          expect(given.phi).toBeCloseTo(reward.aggregate(1, [1, 1, 1], 10), 12)
          expect(plain.step_rewards).toBeUndefined()
          expect(plain.phi).toBeUndefined()
          // One PRM call per step prefix of the judged completion, each with the statement and its prefix.
          expect(seen.map((s) => s.split("<extra_0>").length - 1).sort()).toEqual([1, 2, 3])
          expect(seen.every((s) => s.startsWith("Add two numbers."))).toBe(true)
        })
      ))
  })
})

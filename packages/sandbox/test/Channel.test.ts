import { describe, expect, layer } from "@effect/vitest"
import { CallTest, type VerdictStatus } from "@o1coder/domain"
import { Duration, Effect, Fiber } from "effect"
import { Limits, Sandbox, sandboxLayer } from "../src/index.ts"
import { forgeAtTest, workerResources } from "./attacks.ts"

/**
 * Forged frames on the result channel, written by the candidate through the runner's own sender: each gets
 * its verdict, no worker dies or leaks, and a trivial job on the other worker stays fast meanwhile. (The
 * latency bound is generous on purpose: it tells a blocked event loop, ~10 s, from a loaded machine.)
 */

const limits = new Limits({ testTimeoutMs: 5_000, totalTimeoutMs: 20_000, memoryBytes: 1024 ** 3, outputBytes: 1024 ** 2 })
const tests = [new CallTest({ args: "1", expected: "2" }), new CallTest({ args: "2", expected: "4" })]
const R = (body: string) => `'{"f":"R","i":%d,"ms":0.1,"t":0.0,${body}}' % i`
const errorText = (n: number) => `['{"f":"R","i":%d,"ms":0.1,"t":0.0,"s":"runtime_error","e":"' % i + "x" * ${n} + '"}']`

/** Each attack: the frames `f` sends (a Python expression over the current test index `i`), and the verdicts. */
const family: ReadonlyArray<{ readonly name: string; readonly frames: string; readonly status: VerdictStatus }> = [
  { name: "an int that is not a number", frames: `[${R('"s":"ok","v":{"t":"int","v":"not-a-number"}')}]`, status: "killed" },
  { name: "a 12-million-digit int", frames: `['{"f":"R","i":%d,"ms":0.1,"t":0.0,"s":"ok","v":{"t":"int","v":"' % i + "7" * 12_000_000 + '"}}']`, status: "killed" },
  { name: "a list 100,000 deep", frames: `['{"f":"R","i":%d,"ms":0.1,"t":0.0,"s":"ok","v":' % i + '{"t":"list","v":[' * 100_000 + ']}' * 100_000 + '}']`, status: "killed" },
  { name: "an index that is not an int", frames: `['{"f":"R","i":"zero","ms":0.1,"t":0.0,"s":"ok","v":{"t":"int","v":"2"}}']`, status: "killed" },
  { name: "an index out of range", frames: `['{"f":"R","i":99,"ms":0.1,"t":0.0,"s":"ok","v":{"t":"int","v":"2"}}']`, status: "killed" },
  { name: "an unknown status", frames: `[${R('"s":"passed"')}]`, status: "killed" },
  { name: "a 30 MB error text", frames: errorText(30_000_000), status: "killed" },
  { name: "a flood of a million frames", frames: `[${R('"s":"ok","v":{"t":"none"}')}] * 1_000_000`, status: "killed" },
  { name: "a frame that claims 1 GB", frames: `['{"f":"R"']`, status: "killed" }
]

/** The 1 GB claim needs raw bytes (a length header): `send` always writes a well-formed header. */
const rawHeader = `
import os, sys
def f(x):
    for fd in range(3, 1024):
        try:
            os.write(fd, (1 << 30).to_bytes(4, "big") + b"{")
        except OSError:
            pass
    os._exit(0)
`

const codeOf = (attack: (typeof family)[number]) => (attack.name.includes("1 GB") ? rawHeader : forgeAtTest(attack.frames))

const honest = Effect.gen(function* () {
  const sandbox = yield* Sandbox
  const started = performance.now()
  const ex = yield* sandbox.run({ code: "def f(x):\n    return 2 * x\n", kind: "function", entryPoint: "f", tests, limits })
  expect(ex.verdicts.map((v) => v.status)).toEqual(["passed", "passed"])
  return performance.now() - started
})

describe("forged frames", () => {
  layer(sandboxLayer({ workers: 2 }), { timeout: 300_000, excludeTestServices: true })((it) => {
    for (const attack of family) {
      it.effect(`${attack.name}: ${attack.status}, the pool healthy, the other worker's jobs fast`, () =>
        Effect.gen(function* () {
          const sandbox = yield* Sandbox
          yield* honest
          const forged = yield* Effect.fork(sandbox.run({ code: codeOf(attack), kind: "function", entryPoint: "f", tests, limits }))
          // Trivial jobs while the forged one is in flight: they go to the other worker (the fewest jobs in flight).
          let worst = 0
          while (forged.unsafePoll() === null) {
            worst = Math.max(worst, yield* honest)
            yield* Effect.sleep(Duration.millis(20))
          }
          const ex = yield* Fiber.join(forged)
          expect(ex.verdicts.map((v) => v.status), JSON.stringify(ex.verdicts).slice(0, 500)).toEqual(tests.map(() => attack.status))
          for (const v of ex.verdicts) expect((v.error ?? "").length).toBeLessThanOrEqual(2_200)
          expect(worst, `slowest trivial job on the other worker: ${Math.round(worst)} ms`).toBeLessThan(5_000)
          yield* honest
        }))
    }

    it.effect("an error text over the cap is cut, not believed in full", () =>
      Effect.gen(function* () {
        const sandbox = yield* Sandbox
        const ex = yield* sandbox.run({ code: forgeAtTest(errorText(1_000_000)), kind: "function", entryPoint: "f", tests, limits })
        expect(ex.verdicts[0]!.status).toBe("runtime_error")
        expect(ex.verdicts[0]!.error!.length).toBeLessThanOrEqual(2_200)
      }))
  })
})

describe("300 forged-frame runs on one worker", () => {
  layer(sandboxLayer({ workers: 1 }), { timeout: 600_000, excludeTestServices: true })((it) => {
    it.effect("then an honest candidate passes, with the worker's descriptors and scratch dirs back to baseline", () =>
      Effect.gen(function* () {
        const sandbox = yield* Sandbox
        yield* honest
        // A spare child is forked ahead after each job: read the baseline once that has settled too.
        let baseline = workerResources()
        for (let i = 0; i < 40; i++) {
          yield* Effect.sleep(Duration.millis(100))
          const again = workerResources()
          if (again.fds === baseline.fds && again.processes === baseline.processes) break
          baseline = again
        }
        expect(baseline.scratch).toBe(0)
        const cheap = family.filter((a) => !a.name.includes("million") && !a.name.includes("30 MB"))
        for (let i = 0; i < 300; i++) {
          const attack = cheap[i % cheap.length]!
          const ex = yield* sandbox.run({ code: codeOf(attack), kind: "function", entryPoint: "f", tests, limits })
          expect(ex.verdicts.map((v) => v.status), `run ${i}: ${attack.name}`).toEqual(tests.map(() => attack.status))
        }
        yield* honest
        let after = workerResources()
        for (let i = 0; i < 40 && (after.fds !== baseline.fds || after.processes !== baseline.processes); i++) {
          yield* Effect.sleep(Duration.millis(50))
          after = workerResources()
        }
        expect(after).toEqual(baseline)
      }))
  })
})

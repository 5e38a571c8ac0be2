import * as SqlClient from "@effect/sql/SqlClient"
import { describe, expect, layer } from "@effect/vitest"
import { Sandbox } from "@o1coder/sandbox"
import { SuitesRepo } from "@o1coder/store/SuitesRepo"
import { Effect, Option, Redacted, Schema } from "effect"
import * as NodePath from "node:path"
import { hashOf, REPO_ROOT, Test } from "@o1coder/domain"
import { groundTruth } from "@o1coder/training/Exporter"
import { Server, Settings } from "../src/index.ts"
import { fence, type Fixture, generous, mbpp, post, python, storeAndSandbox, storeMbpp } from "./fixtures.ts"

/** The reward service over real HTTP on a free port, scoring MBPP problems' generated suites. */

const encodeTest = Schema.encodeSync(Test)
const settings = (over: Partial<Settings.ServeSettings> = {}): Settings.ServeSettings => ({ ...Settings.defaults, port: 0, limits: generous, ...over })

const withServer = <A, E, R>(over: Partial<Settings.ServeSettings>, f: (url: string) => Effect.Effect<A, E, R>) =>
  Effect.scoped(Effect.flatMap(Server.start(settings(over)), f))

describe.skipIf(mbpp.missing !== undefined)(`o1coder serve (MBPP from ${mbpp.path})`, () => {
  layer(storeAndSandbox, { timeout: 300_000, excludeTestServices: true })((it) => {
    let fixtures: ReadonlyArray<Fixture> = []
    const suiteTests = new Map<string, ReadonlyArray<Test>>()
    const ready = Effect.gen(function* () {
      if (fixtures.length === 0) {
        fixtures = yield* storeMbpp
        const suites = yield* SuitesRepo
        for (const f of fixtures) {
          const problem = f.problem
          const held = new Set(problem.heldOutTests.map((t) => hashOf(encodeTest(t))))
          const suite = Option.getOrThrow(yield* suites.get(f.suiteId))
          suiteTests.set(f.suiteId, suite.suite.cases.map((c) => c.test).filter((t) => !held.has(hashOf(encodeTest(t)))))
        }
      }
      return fixtures
    })

    it.effect("POST /v1/reward: MBPP references score 1.0 on their generated suites, logged as rl with the caller's run/step", () =>
      withServer({}, (url) =>
        Effect.gen(function* () {
          const fx = yield* ready
          const r = yield* post(`${url}/v1/reward`, { run: "grpo-test", step: 3, completions: fx.map((f) => ({ completion: fence(f.problem.reference!), problem_id: f.problem.id })) })
          expect(r.status).toBe(200)
          expect(r.json.results).toHaveLength(fx.length)
          r.json.results.forEach((res: any, i: number) => {
            expect(res.reward, fx[i]!.problem.id).toBe(1)
            expect(res.total).toBeGreaterThan(1)
            expect(res.verdicts.every((v: any) => v.status === "passed")).toBe(true)
            expect(res.suite_id).toBe(fx[i]!.suiteId)
          })
          const sql = yield* SqlClient.SqlClient
          const rows = yield* sql<{ n: number; step: number }>`select count(*)::int as n, max(rl_step) as step from execution_log where purpose = 'rl' and rl_run = 'grpo-test'`
          expect(rows[0]).toEqual({ n: fx.length, step: 3 })
          const cost = yield* sql<{ executions: number }>`select executions from rl_cost where rl_run = 'grpo-test'`
          expect(cost[0]!.executions).toBe(fx.length)
        })
      ), 300_000)

    it.effect("POST /v1/reward: mutants the suite kills score below 1.0, exactly their pass ratio (the sandbox's own verdicts)", () =>
      withServer({}, (url) =>
        Effect.gen(function* () {
          const fx = yield* ready
          const sandbox = yield* Sandbox
          const items = fx.flatMap((f) => f.mutants.map((code) => ({ f, code })))
          const r = yield* post(`${url}/v1/reward`, { completions: items.map(({ code, f }) => ({ completion: fence(code), problem_id: f.problem.id, suite_id: f.suiteId })) })
          expect(r.status).toBe(200)
          let killed = 0
          for (const [i, { code, f }] of items.entries()) {
            const res = r.json.results[i]
            expect(res.reward).toBeCloseTo(res.passed / res.total, 10)
            expect(res.verdicts.map((v: any) => v.status)).not.toContain("killed")
            if (res.reward < 1) killed++
            // The sandbox asked directly (the same suite, the default limits) agrees test by test.
            const direct = yield* sandbox.run({ code, kind: "function", entryPoint: f.problem.entryPoint, setup: f.problem.setup, tests: suiteTests.get(f.suiteId)!, limits: generous })
            expect(res.verdicts.map((v: any) => v.status === "passed"), f.problem.id).toEqual(direct.verdicts.map((v) => v.status === "passed"))
          }
          expect(killed).toBeGreaterThanOrEqual(3)
        })
      ), 300_000)

    it.effect("POST /v1/reward: inline problems (asserts, call tests, step format, alpha), stdio problems, φ with step rewards", () =>
      withServer({}, (url) =>
        Effect.gen(function* () {
          const add = { kind: "function", tests: ["assert add(1, 2) == 3", { _tag: "call", args: "2, 2", expected: "4" }] }
          const steps = "### Step 1 [A1]\nadd them\n### Step 2 [A3]\n```python\ndef add(a, b):\n    return a - b\n```\n### Step 3 [A3]\n```python\ndef add(a, b):\n    return a + b\n```\n"
          const r = yield* post(`${url}/v1/reward`, {
            alpha: 0.2,
            completions: [
              { completion: "def add(a, b):\n    return a + b", problem: add },
              { completion: fence("def add(a, b):\n    return a * b"), problem: add },
              { completion: "```python\ndef add(a, b)\n    return a\n```", problem: add },
              { completion: steps, problem: add, step_rewards: [0.5, 1] },
              { completion: fence("import sys\nn = int(sys.stdin.readline())\nprint(n * 2)"), problem: { kind: "stdio", tests: [{ _tag: "stdio", input: "2\n", output: "4\n" }, { _tag: "stdio", input: "5\n", output: "10\n" }] } },
              { completion: fence("print(4)"), problem: { kind: "stdio", tests: [{ _tag: "stdio", input: "2\n", output: "4\n" }, { _tag: "stdio", input: "5\n", output: "10\n" }] } }
            ]
          })
          expect(r.status).toBe(200)
          const rewards = r.json.results.map((x: any) => x.reward)
          // 0.2·compile + 0.8·pass_ratio
          expect(rewards[0]).toBeCloseTo(1)
          expect(rewards[1]).toBeCloseTo(0.2 + 0.8 * 0.5) // 2*2 == 4 passes, 1*2 != 3
          expect(r.json.results[2].compiled).toBe(false)
          expect(rewards[2]).toBe(0)
          expect(rewards[3]).toBeCloseTo(1) // the last step with code
          // φ = α(3)·R + (1−α(3))·(0.5 + 0.9·1)/2 with α(t) = max(0.1, 1 − 0.01·t), t = 0 here: α = 1
          expect(r.json.results[3].phi).toBeCloseTo(1)
          expect(rewards[4]).toBeCloseTo(1)
          expect(rewards[5]).toBeCloseTo(0.2 + 0.8 * 0.5)
          expect(r.json.results[5].verdicts.map((v: any) => v.status)).toEqual(["passed", "failed"])
        })
      ), 300_000)

    it.effect("bad requests: malformed JSON, unknown problem, oversized body, too large a batch, missing or wrong token", () =>
      Effect.gen(function* () {
        yield* withServer({ maxBodyBytes: 64 * 1024, maxBatch: 4 }, (url) =>
          Effect.gen(function* () {
            const malformed = yield* post(`${url}/v1/reward`, "{\"completions\": [")
            expect(malformed.status).toBe(400)
            expect(malformed.json.field).toBe("body")
            expect(malformed.json.message).toMatch(/not valid JSON/)
            const unknown = yield* post(`${url}/v1/reward`, { completions: [{ completion: "x", problem_id: "mbpp/999999" }] })
            expect(unknown.status).toBe(404)
            expect(unknown.json).toMatchObject({ _tag: "UnknownProblem", field: "completions[0].problem_id", id: "mbpp/999999" })
            const huge = yield* post(`${url}/v1/reward`, { completions: [{ completion: "x".repeat(100_000), problem_id: "mbpp/2" }] })
            expect(huge.status).toBe(413)
            expect(huge.json).toMatchObject({ _tag: "PayloadTooLarge", field: "body" })
            const batch = yield* post(`${url}/v1/reward`, { completions: Array.from({ length: 5 }, () => ({ completion: "x", problem_id: "mbpp/2" })) })
            expect(batch.status).toBe(400)
            expect(batch.json).toMatchObject({ field: "completions" })
            expect(batch.json.message).toMatch(/at most 4/)
            const schema = yield* post(`${url}/v1/reward`, { completions: [{ problem_id: "mbpp/2" }] })
            expect(schema.status).toBe(400)
            expect(schema.text).toMatch(/completion/)
            const neither = yield* post(`${url}/v1/reward`, { completions: [{ completion: "x" }] })
            expect(neither.status).toBe(400)
            expect(neither.json.field).toBe("completions[0]")
          })
        )
        yield* withServer({ token: Option.some(Redacted.make("s3cret")) }, (url) =>
          Effect.gen(function* () {
            const body = { completions: [{ completion: "def f():\n    return 1", problem: { kind: "function", tests: ["assert f() == 1"] } }] }
            const missing = yield* post(`${url}/v1/reward`, body)
            expect(missing.status).toBe(401)
            expect(missing.json.message).toMatch(/missing bearer token/)
            expect((yield* post(`${url}/v1/reward`, body, { authorization: "Bearer nope" })).status).toBe(401)
            expect((yield* post(`${url}/v1/reward`, body, { authorization: "Bearer s3cret" })).json.results[0].reward).toBe(1)
            // Probes stay open.
            expect((yield* Effect.promise(() => fetch(`${url}/ready`))).status).toBe(200)
          })
        )
        // Off loopback without a token the service refuses to start.
        const refused = yield* Effect.flip(Settings.checked(settings({ host: "0.0.0.0" })))
        expect(refused.message).toMatch(/without a token/)
      }), 300_000)

    it.effect("a full queue answers 429 with Retry-After, then admits again", () =>
      withServer({ queueCapacity: 2, maxBatch: 2, retryAfterSeconds: 3 }, (url) =>
        Effect.gen(function* () {
          const slow = { kind: "function", tests: ["assert f() == 1"] }
          const busy = post(`${url}/v1/reward`, { completions: [0, 1].map((i) => ({ completion: `import time\ndef f():\n    time.sleep(1.5)\n    return 1 + ${i} - ${i}`, problem: slow })) })
          const fiber = yield* Effect.fork(busy)
          yield* Effect.sleep("300 millis")
          const rejected = yield* post(`${url}/v1/reward`, { completions: [{ completion: "def f():\n    return 1", problem: slow }] })
          expect(rejected.status).toBe(429)
          expect(rejected.headers.get("retry-after")).toBe("3")
          expect(rejected.json._tag).toBe("Overloaded")
          const first = yield* fiber.await.pipe(Effect.flatten)
          expect(first.json.results.map((x: any) => x.reward)).toEqual([1, 1])
          expect((yield* post(`${url}/v1/reward`, { completions: [{ completion: "def f():\n    return 1", problem: slow }] })).status).toBe(200)
          const metrics = yield* Effect.promise(() => fetch(`${url}/metrics`).then((r) => r.text()))
          expect(metrics).toMatch(/o1coder_serve_requests_total\{route="\/v1\/reward",status="429"\} 1/)
          expect(metrics).toMatch(/o1coder_serve_queue_capacity 2/)
          expect(metrics).toMatch(/o1coder_serve_request_duration_seconds_bucket\{route="\/v1\/reward",le="\+Inf"\} 3/)
        })
      ), 300_000)

    it.effect("a request past its deadline answers 504 naming its deadline, and the next request is served", () =>
      withServer({}, (url) =>
        Effect.gen(function* () {
          const slow = { kind: "function", tests: ["assert f() == 1"] }
          const late = yield* post(`${url}/v1/reward`, { deadline_ms: 400, completions: [{ completion: "import time\ndef f():\n    time.sleep(3)\n    return 1", problem: slow }] })
          expect(late.status).toBe(504)
          expect(late.json).toMatchObject({ _tag: "DeadlineExceeded", deadlineMs: 400 })
          const next = yield* post(`${url}/v1/reward`, { completions: [{ completion: "def f():\n    return 1", problem: slow }] })
          expect(next.json.results[0].reward).toBe(1)
        })
      ), 300_000)

    it.effect("the shipped verl module (recipes/verl/o1coder_reward.py) run by /usr/bin/python3 scores a batch in one request", () =>
      withServer({}, (url) =>
        Effect.gen(function* () {
          const fx = yield* ready
          const script = [
            "import json, sys",
            `sys.path.insert(0, ${JSON.stringify(NodePath.join(REPO_ROOT, "recipes/verl"))})`,
            "import o1coder_reward as m",
            "cases = json.load(sys.stdin)",
            "single = m.compute_score(cases[0]['data_source'], cases[0]['solution'], cases[0]['ground_truth'], cases[0]['extra_info'])",
            "batch = m.compute_score(data_sources=[c['data_source'] for c in cases], solution_strs=[c['solution'] for c in cases], ground_truths=[c['ground_truth'] for c in cases], extra_infos=[c['extra_info'] for c in cases])",
            "print(json.dumps({'single': single, 'batch': batch}))"
          ].join("\n")
          const sql = yield* SqlClient.SqlClient
          const cases = []
          for (const f of fx.slice(0, 3)) {
            const tests = (yield* sql<{ test: unknown }>`select test from test_cases where suite_id = ${f.suiteId} order by ord`).map((r) => (typeof r.test === "string" ? JSON.parse(r.test) : r.test))
            const gt = groundTruth({ id: f.problem.id, kind: f.problem.kind, entryPoint: f.problem.entryPoint ?? null, setup: f.problem.setup ?? null }, f.suiteId, tests)
            cases.push({ data_source: "mbpp", solution: fence(f.problem.reference!), ground_truth: gt, extra_info: { problem_id: f.problem.id, suite_id: f.suiteId } })
            cases.push({ data_source: "mbpp", solution: fence("def nothing():\n    return None"), ground_truth: gt, extra_info: { problem_id: f.problem.id, suite_id: f.suiteId } })
          }
          const child = yield* python(script, JSON.stringify(cases), { O1CODER_REWARD_URL: url, O1CODER_REWARD_RUN: "verl-test" })
          expect(child.stderr).toBe("")
          const out = JSON.parse(child.stdout)
          expect(out.single).toBe(1)
          expect(out.batch).toEqual([1, 0, 1, 0, 1, 0])
          // One request per call, the batch of six included.
          const metrics = yield* Effect.promise(() => fetch(`${url}/metrics`).then((r) => r.text()))
          expect(metrics).toMatch(/o1coder_serve_requests_total\{route="\/v1\/reward",status="200"\} 2\n/)
          const sqlRows = yield* sql<{ n: number }>`select count(*)::int as n from execution_log where rl_run = 'verl-test'`
          expect(sqlRows[0]!.n).toBe(7)
        })
      ), 300_000)
  })
})

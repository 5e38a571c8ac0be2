/**
 * Reward-service benchmark: a GRPO-like batch (groups of completions per MBPP+ problem: the
 * reference and its mutants, each against the problem's generated suite) scored three ways in one
 * run, on the same machine and the same number of sandbox workers:
 *   (a) `POST /v1/reward` in batches (a GRPO step's completions per request),
 *   (b) `POST /run_code` once per test case, as verl's SandboxFusion client calls it (the program is
 *       setup + candidate + the test's assert; Success means passed), 32 requests in flight,
 *   (c) a fresh isolated Python per candidate (bubblewrap, uid drop, rlimits; the asserts in-process).
 * Prints rewards/s and tests/s of each, how many rewards agree, and last
 * `reward_speedup_vs_per_test: N.Nx` ((a) over (b), rewards/s) with the load average.
 *
 *   npm run bench:reward    (O1CODER_BENCH_PROBLEMS=16, O1CODER_BENCH_GROUP=8, O1CODER_BENCH_WORKERS=2,
 *                            O1CODER_BENCH_TEST_TIMEOUT_MS=1000,
 *                            O1CODER_BENCH_STORE=postgres (a fresh database on the test server) | pglite)
 */
import { callTestAssert, sharedDataFile, type Test } from "@o1coder/domain"
import * as CodeMutator from "@o1coder/models/CodeMutator"
import { readProblems } from "@o1coder/problems/Import"
import { Reward } from "@o1coder/reward"
import { CachedSandbox, Isolation, Limits, sandboxLayer } from "@o1coder/sandbox"
import { Server, Settings } from "@o1coder/serve"
import { TestDatabase } from "@o1coder/store"
import { ExecutionsRepo } from "@o1coder/store/ExecutionsRepo"
import { ProblemsRepo } from "@o1coder/store/ProblemsRepo"
import { SuitesRepo } from "@o1coder/store/SuitesRepo"
import { TestGen } from "@o1coder/tcg"
import { Effect, Layer, Logger, LogLevel } from "effect"
import { spawn } from "node:child_process"
import * as NodeOs from "node:os"

const PROBLEMS = Number(process.env.O1CODER_BENCH_PROBLEMS ?? 16)
const GROUP = Number(process.env.O1CODER_BENCH_GROUP ?? 8)
const WORKERS = Number(process.env.O1CODER_BENCH_WORKERS ?? NodeOs.availableParallelism())
const BATCH = 64
const RUN_CODE_IN_FLIGHT = 32
/** Per-test timeout (mutants that loop spend it in every path: it bounds how much a batch waits on them). */
const TEST_TIMEOUT_MS = Number(process.env.O1CODER_BENCH_TEST_TIMEOUT_MS ?? 1_000)
const limits = new Limits({ testTimeoutMs: TEST_TIMEOUT_MS, totalTimeoutMs: 30_000, memoryBytes: 1024 ** 3, outputBytes: 1024 ** 2 })

interface Completion {
  readonly problemId: string
  readonly code: string
  readonly setup: string
  readonly asserts: ReadonlyArray<string>
  readonly tests: ReadonlyArray<Test>
  readonly entryPoint: string | undefined
}

interface Measure {
  readonly timeouts?: number
  readonly label: string
  readonly rewards: ReadonlyArray<number>
  readonly tests: number
  readonly seconds: number
}

const assertOf = (t: Test, entryPoint: string | undefined) => (t._tag === "call" ? callTestAssert(t, entryPoint) : t._tag === "assert" ? t.source : "")

const post = async (url: string, body: unknown): Promise<any> => {
  for (;;) {
    const r = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) })
    if (r.status === 429) {
      await new Promise((ok) => setTimeout(ok, 200))
      continue
    }
    if (r.status !== 200) throw new Error(`${url}: HTTP ${r.status} ${(await r.text()).slice(0, 300)}`)
    return r.json()
  }
}

const pool = async <A>(n: number, items: ReadonlyArray<A>, f: (a: A, i: number) => Promise<void>) => {
  let next = 0
  await Promise.all(Array.from({ length: n }, async () => {
    while (next < items.length) {
      const i = next++
      await f(items[i]!, i)
    }
  }))
}

const viaReward = async (url: string, cs: ReadonlyArray<Completion>): Promise<Measure> => {
  const rewards: Array<number> = new Array(cs.length)
  let tests = 0
  let timeouts = 0
  const started = performance.now()
  const batches = Array.from({ length: Math.ceil(cs.length / BATCH) }, (_, b) => b)
  await pool(2, batches, async (b) => {
    const slice = cs.slice(b * BATCH, (b + 1) * BATCH)
    const answer = await post(`${url}/v1/reward`, {
      run: "bench",
      completions: slice.map((c) => ({ completion: "```python\n" + c.code + "\n```", problem: { kind: "function", entry_point: c.entryPoint, setup: c.setup, tests: c.tests } }))
    })
    answer.results.forEach((r: any, i: number) => {
      rewards[b * BATCH + i] = r.reward
      tests += r.total
      timeouts += r.verdicts.filter((v: any) => v.status === "timeout").length
    })
  })
  return { label: "(a) /v1/reward, batches of 64", rewards, tests, timeouts, seconds: (performance.now() - started) / 1000 }
}

const viaRunCode = async (url: string, cs: ReadonlyArray<Completion>): Promise<Measure> => {
  const jobs = cs.flatMap((c, ci) => c.asserts.map((a) => ({ ci, program: `${c.setup}\n${c.code}\n${a}\n` })))
  const passed: Array<number> = cs.map(() => 0)
  const started = performance.now()
  await pool(RUN_CODE_IN_FLIGHT, jobs, async (j) => {
    const answer = await post(`${url}/run_code`, { code: j.program, stdin: "", language: "python", compile_timeout: TEST_TIMEOUT_MS / 1000, run_timeout: TEST_TIMEOUT_MS / 1000, memory_limit_MB: 1024, files: {}, fetch_files: [] })
    if (answer.status === "Success" && answer.run_result?.status === "Finished") passed[j.ci]!++
  })
  return {
    label: "(b) /run_code per test (verl's SandboxFusion way)",
    rewards: cs.map((c, i) => passed[i]! / c.asserts.length),
    tests: jobs.length,
    seconds: (performance.now() - started) / 1000
  }
}

const RUNNER = `
import json, os, resource, sys
job = json.loads(sys.stdin.read())
for res, val in ((resource.RLIMIT_AS, job["mem"]), (resource.RLIMIT_CPU, job["cpu"]), (resource.RLIMIT_NOFILE, 64), (resource.RLIMIT_CORE, 0)):
    resource.setrlimit(res, (val, val))
os.setgroups([]); os.setresgid(65534, 65534, 65534); os.setresuid(65534, 65534, 65534)
out = os.dup(1)
os.dup2(os.open("/dev/null", os.O_WRONLY), 1)
g = {"__name__": "__main__"}
ok = 0
try:
    exec(job["setup"] + "\\n" + job["code"], g)
    for a in job["asserts"]:
        try:
            exec(a, g)
            ok += 1
        except BaseException:
            pass
except BaseException:
    pass
os.write(out, str(ok).encode())
`

const freshProcess = (plan: Isolation.IsolationPlan, c: Completion) =>
  new Promise<number>((resolve) => {
    const proc = spawn(plan.bwrap!, [...Isolation.bwrapArgs(plan.interpreter, true), "--", plan.interpreter, "-I", "-S", "-c", RUNNER], { stdio: ["pipe", "pipe", "ignore"], env: {} })
    let out = ""
    proc.stdout.on("data", (d) => (out = (out + d).slice(0, 100)))
    const timer = setTimeout(() => proc.kill("SIGKILL"), limits.totalTimeoutMs)
    proc.on("close", () => {
      clearTimeout(timer)
      resolve(Number.isInteger(Number(out)) ? Number(out) : 0)
    })
    proc.stdin.on("error", () => {})
    proc.stdin.end(JSON.stringify({ code: c.code, setup: c.setup, asserts: c.asserts, mem: limits.memoryBytes, cpu: Math.ceil(limits.totalTimeoutMs / 1000) }))
  })

const viaFreshProcesses = async (plan: Isolation.IsolationPlan, cs: ReadonlyArray<Completion>): Promise<Measure> => {
  const rewards: Array<number> = new Array(cs.length)
  const started = performance.now()
  await pool(WORKERS, cs, async (c, i) => {
    rewards[i] = (await freshProcess(plan, c)) / c.asserts.length
  })
  return { label: "(c) a fresh isolated process per candidate", rewards, tests: cs.reduce((n, c) => n + c.asserts.length, 0), seconds: (performance.now() - started) / 1000 }
}

const line = (m: Measure) =>
  `  ${m.label.padEnd(52)} ${(m.rewards.length / m.seconds).toFixed(1).padStart(7)} rewards/s ${(m.tests / m.seconds).toFixed(0).padStart(6)} tests/s  (${m.rewards.length} rewards, ${m.tests} tests, ${m.seconds.toFixed(1)} s)`

const mbppPlus = sharedDataFile("mbpp-plus/MbppPlus.jsonl")
if (mbppPlus.missing !== undefined) {
  console.error(`bench:reward needs ${mbppPlus.path} (${mbppPlus.missing})`)
  process.exit(1)
}

const services = Layer.mergeAll(TestGen.Default, CachedSandbox.layer, Reward.Default).pipe(
  Layer.provideMerge(Layer.mergeAll(ProblemsRepo.Default, SuitesRepo.Default, ExecutionsRepo.Default)),
  Layer.provideMerge(sandboxLayer({ workers: WORKERS })),
  Layer.provideMerge(process.env.O1CODER_BENCH_STORE === "pglite" ? TestDatabase.pglite : TestDatabase.postgres)
)

const program = Effect.gen(function* () {
  const parsed = yield* readProblems(mbppPlus.path, "mbpp-plus", "mbpp-plus")
  const records = parsed.problems.filter((r) => r.problem.reference !== undefined && r.problem.kind === "function").slice(0, PROBLEMS)
  yield* (yield* ProblemsRepo).upsertMany(records)
  const testGen = yield* TestGen
  console.log(`bench:reward (store ${process.env.O1CODER_BENCH_STORE === "pglite" ? "PGlite" : "Postgres"}): ${records.length} MBPP+ problems, groups of ${GROUP}, ${WORKERS} sandbox workers, ${TEST_TIMEOUT_MS} ms per test; building generated suites ...`)
  const suites = yield* Effect.forEach(records, (r) => testGen.suiteFor(r.problem, { generator: "mutation", budget: 8, seed: 1, mutants: 0 }), { concurrency: 2 })
  const mutants = yield* CodeMutator.mutate(records.map((r) => ({ id: r.problem.id, code: r.problem.reference!, seed: 3, max: GROUP - 1 })))
  const completions: Array<Completion> = records.flatMap((r, i) => {
    const p = r.problem
    const tests = suites[i]!.suite.cases.map((c) => c.test).filter((t) => t._tag !== "stdio")
    const variants = [p.reference!, ...(mutants.get(p.id) ?? []).map((m) => m.code)]
    // Groups are filled with distinct programs (the reference, renamed locals), so no path is helped by the cache.
    while (variants.length < GROUP) variants.push(`${p.reference!}\n# sample ${variants.length}`)
    return variants.slice(0, GROUP).map((code) => ({ problemId: p.id, code, setup: p.setup ?? "", tests, asserts: tests.map((t) => assertOf(t, p.entryPoint)), entryPoint: p.entryPoint }))
  })
  const url = yield* Server.start({ ...Settings.defaults, port: 0, limits, queueCapacity: 4096, maxBatch: BATCH })
  const plan = yield* Isolation.detect({})
  console.log(`${completions.length} completions, ${completions.reduce((n, c) => n + c.tests.length, 0)} tests; isolation ${plan.level}`)
  const a = yield* Effect.promise(() => viaReward(url, completions))
  console.log(line(a))
  console.log(`    (${a.timeouts} of the ${a.tests} tests timed out: mutants that loop)`)
  const b = yield* Effect.promise(() => viaRunCode(url, completions))
  console.log(line(b))
  const c = yield* Effect.promise(() => viaFreshProcesses(plan, completions))
  console.log(line(c))
  const agree = (x: Measure, y: Measure) => x.rewards.filter((r, i) => Math.abs(r - y.rewards[i]!) < 1e-9).length
  console.log(`  rewards agreeing with (a): (b) ${agree(a, b)}/${a.rewards.length}, (c) ${agree(a, c)}/${a.rewards.length}`)
  console.log(`  fresh process vs /v1/reward: ${((a.rewards.length / a.seconds) / (c.rewards.length / c.seconds)).toFixed(1)}x`)
  const load = NodeOs.loadavg().map((x) => x.toFixed(2)).join(" ")
  console.log(`reward_speedup_vs_per_test: ${((a.rewards.length / a.seconds) / (b.rewards.length / b.seconds)).toFixed(1)}x (load average ${load})`)
})

// Request logs off: they would time the terminal, not the service.
Effect.runPromise(program.pipe(Effect.scoped, Effect.provide(services), Logger.withMinimumLogLevel(LogLevel.Warning)) as Effect.Effect<void, unknown, never>).catch((e) => {
  console.error(e)
  process.exit(1)
})

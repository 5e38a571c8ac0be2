/**
 * `npm run bench:eval`: scoring speed on MBPP+ mutants. The forced-mutant simulated policy gives up to 12
 * mutants (CodeMutator) of every MBPP+ canonical solution; they are written as an EvalPlus samples file and
 * scored with EvalPlus grading (base + plus inputs) twice, each in its own process under /usr/bin/time:
 * `full` (every test runs, 10 s per test: the behaviour before fast scoring) and `fast` (a sample stops at
 * its first failing test, per-test limits from the reference's measured time). The labels are computed
 * once beforehand (a `prepare` process, not timed) into a PGlite store both share. Prints wall, CPU
 * (user + sys, Python workers included) and peak RSS of each, whether both gave the same verdict for every
 * sample, the load average (at the start, before each timed run, at the end), and `eval_speedup: N.Nx` (wall,
 * full / fast) last. The samples file is streamed (`indexSamplesFile`) as `o1coder eval --samples` does.
 *
 *   npm run bench:eval       O1CODER_BENCH_MUTANTS=N (default: all, >= 2,000), O1CODER_BENCH_DIR=DIR (keep the work dir)
 */
import { sharedDataFile } from "@o1coder/domain"
import * as Evaluate from "@o1coder/eval/Evaluate"
import { indexSamplesFile } from "@o1coder/eval/Samples"
import { SimulatedPolicy, SimulatedPolicyParams } from "@o1coder/models"
import { readMbppPlus } from "@o1coder/problems"
import { sandboxLayer } from "@o1coder/sandbox"
import { Database } from "@o1coder/store"
import { EvaluationsRepo } from "@o1coder/store/EvaluationsRepo"
import { Effect, Layer } from "effect"
import { spawn } from "node:child_process"
import * as NodeFs from "node:fs"
import * as NodeOs from "node:os"
import * as NodePath from "node:path"
import { fileURLToPath } from "node:url"

const SELF = fileURLToPath(import.meta.url)
const [role, dir] = [process.argv[2], process.argv[3]]

const problemsOf = Effect.gen(function* () {
  const file = sharedDataFile("mbpp-plus/MbppPlus.jsonl")
  if (file.missing) return yield* Effect.die(file.missing)
  return (yield* readMbppPlus(file.path)).problems.map((r) => r.problem)
})

const layerFor = (dataDir: string) =>
  Layer.mergeAll(EvaluationsRepo.Default, sandboxLayer({ workers: 2 })).pipe(Layer.provideMerge(Database.layer({ _tag: "Pglite", dataDir })))

/** Child: prepare (samples file + labels) or score in one mode, writing per-sample verdicts. */
const child = (mode: string, work: string) =>
  Effect.gen(function* () {
    const problems = yield* problemsOf
    const samplesFile = NodePath.join(work, "samples.jsonl")
    if (mode === "prepare") {
      const policy = yield* SimulatedPolicy.make({ problems, params: new SimulatedPolicyParams({ pCorrect: 0 }), mutantsPerProblem: 12 })
      const cap = Number(process.env.O1CODER_BENCH_MUTANTS ?? Infinity)
      const lines = problems.flatMap((p) => policy.candidates(p.id).slice(1).map((solution) => JSON.stringify({ task_id: `Mbpp/${p.taskId}`, solution }))).slice(0, cap)
      NodeFs.writeFileSync(samplesFile, lines.join("\n") + "\n")
      // Labels (EvalPlus grading, base + plus inputs) into the shared store: the reference, scored once.
      const report = yield* Evaluate.run({ problems, dataset: "mbpp-plus", split: "all", mode: "direct", policy: { _tag: "reference" }, concurrency: 4 })
      const m = report.evaluation.metrics
      console.log(`prepared ${lines.length} mutants of ${problems.length} tasks; reference pass@1 ${m["pass@1"]}, ${m.inputs_scored} inputs scored, ${m.inputs_unscored} unscored`)
      return
    }
    const parsed = indexSamplesFile(samplesFile)
    const verdicts: Array<string> = []
    let timedOut = 0
    let timeouts = 0
    const report = yield* Evaluate.run({
      problems,
      dataset: "mbpp-plus",
      split: "all",
      mode: "direct",
      policy: { _tag: "samples", file: samplesFile, ...parsed },
      scoring: mode === "fast" ? "fast" : "full",
      concurrency: 4,
      onSample: (r) =>
        Effect.sync(() => {
          verdicts.push(`${r.line}:${r.passed ? 1 : 0}:${r.basePassed ? 1 : 0}`)
          if ((r.counts.timeout ?? 0) > 0) timedOut++
          timeouts += r.counts.timeout ?? 0
        })
    })
    NodeFs.writeFileSync(NodePath.join(work, `${mode}.verdicts`), verdicts.sort().join("\n"))
    const m = report.evaluation.metrics
    console.log(`${mode}: ${m.samples} samples, pass@1 ${(100 * m["pass@1"]!).toFixed(2)}%, base ${(100 * m["base_pass@1"]!).toFixed(2)}%; ${timedOut} samples hit a timeout (${timeouts} timed-out tests); ${m.seconds!.toFixed(1)} s inside`)
  }).pipe(Effect.provide(layerFor(NodePath.join(work, "db"))))

interface Measured {
  readonly wall: number
  /** CPU seconds: the node process (with what it reaped) plus the sandbox's processes, sampled from /proc. */
  readonly cpu: number
  readonly nodeCpu: number
  /** Peak RSS of the node process, and the peak of the sum over its whole process tree (sampled). */
  readonly rssMb: number
  readonly treeRssMb: number
  readonly out: string
}

/** Linux reports CPU in clock ticks of USER_HZ (100) and RSS in pages. */
const TICK = 100
const PAGE = 4096

interface ProcSample {
  readonly ppid: number
  readonly self: number
  readonly reaped: number
  readonly rss: number
}

const readProcs = (): Map<number, ProcSample> => {
  const out = new Map<number, ProcSample>()
  for (const name of NodeFs.readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue
    try {
      const text = NodeFs.readFileSync(`/proc/${name}/stat`, "utf8")
      const f = text.slice(text.lastIndexOf(")") + 2).split(" ")
      out.set(Number(name), { ppid: Number(f[1]), self: Number(f[11]) + Number(f[12]), reaped: Number(f[13]) + Number(f[14]), rss: Number(f[21]) * PAGE })
    } catch {
      // gone meanwhile
    }
  }
  return out
}

const treeOf = (root: number, procs: Map<number, ProcSample>): Array<number> => {
  const children = new Map<number, Array<number>>()
  for (const [pid, p] of procs) children.set(p.ppid, [...(children.get(p.ppid) ?? []), pid])
  const tree: Array<number> = []
  const stack = [root]
  while (stack.length > 0) {
    const pid = stack.pop()!
    tree.push(pid)
    stack.push(...(children.get(pid) ?? []))
  }
  return tree
}

const measure = (mode: string, work: string): Promise<Measured> =>
  new Promise((resolve, reject) => {
    const started = performance.now()
    const child = spawn("/usr/bin/time", ["-f", "TIME %e %U %S %M", process.execPath, "--import", "tsx", SELF, mode, work], { stdio: ["ignore", "pipe", "pipe"] })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (d) => (stdout += d))
    child.stderr.on("data", (d) => (stderr += d))
    // Sandbox processes are not all reaped by node (bwrap's pid namespace dies with it), so /usr/bin/time
    // misses their CPU: sample the tree instead. A process that vanished while its parent lived was reaped by
    // it (its CPU is then in the parent's reaped total); the others count with their last sample.
    const last = new Map<number, ProcSample & { readonly gone?: boolean }>()
    let peakTree = 0
    let nodePid: number | undefined
    const timer = setInterval(() => {
      const procs = readProcs()
      if (child.pid === undefined) return
      nodePid ??= [...procs].find(([, p]) => p.ppid === child.pid)?.[0]
      if (nodePid === undefined) return
      const tree = treeOf(nodePid, procs)
      peakTree = Math.max(peakTree, tree.reduce((a, pid) => a + (procs.get(pid)?.rss ?? 0), 0))
      for (const [pid, p] of last) {
        if (procs.has(pid) || p.gone === true) continue
        // Vanished while its parent lives: reaped by it, so its CPU is in the parent's reaped total (or node's).
        if (procs.has(p.ppid)) last.delete(pid)
        else last.set(pid, { ...p, gone: true })
      }
      for (const pid of tree) if (pid !== nodePid) last.set(pid, procs.get(pid)!)
    }, 200)
    child.on("close", (status) => {
      clearInterval(timer)
      const line = stderr.split("\n").find((l) => l.startsWith("TIME "))
      if (status !== 0 || line === undefined) return reject(new Error(`${mode} failed (${status}):\n${stdout}\n${stderr.slice(-4000)}`))
      const [, user, sys, rss] = line.split(" ").slice(1).map(Number)
      let sandbox = 0
      for (const p of last.values()) sandbox += (p.self + p.reaped) / TICK
      resolve({ wall: (performance.now() - started) / 1000, cpu: user! + sys! + sandbox, nodeCpu: user! + sys!, rssMb: rss! / 1024, treeRssMb: peakTree / 1024 ** 2, out: stdout.trim() })
    })
  })

const parent = async () => {
  // O1CODER_BENCH_DIR keeps the work directory (labels, samples) for another run.
  const kept = process.env.O1CODER_BENCH_DIR
  const work = kept ?? NodeFs.mkdtempSync(NodePath.join(NodeOs.tmpdir(), "o1-bench-eval-"))
  const load = () => NodeOs.loadavg().map((x) => x.toFixed(1)).join(" ")
  console.log(`bench:eval on ${NodeOs.availableParallelism()} cores, load average ${load()}`)
  const prepared = await measure("prepare", work)
  console.log(prepared.out)
  // The machine is shared: the load average before each timed run says what it competed with.
  const loadFull = load()
  const full = await measure("full", work)
  console.log(full.out)
  const loadFast = load()
  const fast = await measure("fast", work)
  console.log(fast.out)
  const a = NodeFs.readFileSync(NodePath.join(work, "full.verdicts"), "utf8").split("\n")
  const b = new Set(NodeFs.readFileSync(NodePath.join(work, "fast.verdicts"), "utf8").split("\n"))
  const same = a.filter((x) => b.has(x)).length
  const row = (name: string, m: Measured, loadBefore: string) =>
    console.log(
      `${name.padEnd(5)} wall ${m.wall.toFixed(1)} s, cpu ${m.cpu.toFixed(1)} s (node ${m.nodeCpu.toFixed(1)} s), ` +
        `peak RSS ${m.rssMb.toFixed(0)} MB (node), ${m.treeRssMb.toFixed(0)} MB (node + sandbox processes); load average before ${loadBefore}`
    )
  console.log(`labels (prepare, not compared): wall ${prepared.wall.toFixed(1)} s`)
  row("full", full, loadFull)
  row("fast", fast, loadFast)
  console.log(`same verdict (pass, base pass) for ${same} of ${a.length} samples`)
  console.log(`load average at the end ${load()}`)
  console.log(`cpu_ratio: ${(full.cpu / fast.cpu).toFixed(1)}x`)
  console.log(`eval_speedup: ${(full.wall / fast.wall).toFixed(1)}x`)
  if (kept === undefined) NodeFs.rmSync(work, { recursive: true, force: true })
}

if (role === undefined) await parent()
else
  Effect.runPromise(child(role, dir!)).catch((e) => {
    console.error(e)
    process.exit(1)
  })

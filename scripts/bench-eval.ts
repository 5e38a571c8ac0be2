/**
 * `npm run bench:eval`: scoring speed on MBPP+ mutants. The forced-mutant simulated policy gives up to 12
 * mutants (CodeMutator) of every MBPP+ canonical solution; they are written as an EvalPlus samples file and
 * scored with EvalPlus grading (base + plus inputs) twice, each in its own process under /usr/bin/time:
 * `full` (every test runs, 10 s per test: the behaviour before fast scoring) and `fast` (a sample stops at
 * its first failing test, per-test limits from the reference's measured time). The labels are computed
 * once beforehand (a `prepare` process, not timed) into a PGlite store both share. Prints wall, CPU
 * (user + sys, Python workers included) and peak RSS of each, whether both gave the same verdict for every
 * sample, the load average, and `eval_speedup: N.Nx` (wall, full / fast) last.
 *
 *   npm run bench:eval       O1CODER_BENCH_MUTANTS=N (default: all, >= 2,000), O1CODER_BENCH_DIR=DIR (keep the work dir)
 */
import { sharedDataFile } from "@o1coder/domain"
import * as Evaluate from "@o1coder/eval/Evaluate"
import { parseSamples } from "@o1coder/eval/Samples"
import { SimulatedPolicy, SimulatedPolicyParams } from "@o1coder/models"
import { readMbppPlus } from "@o1coder/problems"
import { sandboxLayer } from "@o1coder/sandbox"
import { Database } from "@o1coder/store"
import { EvaluationsRepo } from "@o1coder/store/EvaluationsRepo"
import { Effect, Layer } from "effect"
import { spawnSync } from "node:child_process"
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
    const parsed = parseSamples(NodeFs.readFileSync(samplesFile, "utf8"))
    const verdicts: Array<string> = []
    const report = yield* Evaluate.run({
      problems,
      dataset: "mbpp-plus",
      split: "all",
      mode: "direct",
      policy: { _tag: "samples", file: samplesFile, ...parsed },
      scoring: mode === "fast" ? "fast" : "full",
      concurrency: 4,
      onSample: (r) => Effect.sync(() => void verdicts.push(`${r.line}:${r.passed ? 1 : 0}:${r.basePassed ? 1 : 0}`))
    })
    NodeFs.writeFileSync(NodePath.join(work, `${mode}.verdicts`), verdicts.sort().join("\n"))
    const m = report.evaluation.metrics
    console.log(`${mode}: ${m.samples} samples, pass@1 ${(100 * m["pass@1"]!).toFixed(2)}%, base ${(100 * m["base_pass@1"]!).toFixed(2)}%`)
  }).pipe(Effect.provide(layerFor(NodePath.join(work, "db"))))

interface Measured {
  readonly wall: number
  readonly cpu: number
  readonly rssMb: number
  readonly out: string
}

const measure = (mode: string, work: string): Measured => {
  const r = spawnSync("/usr/bin/time", ["-f", "TIME %e %U %S %M", process.execPath, "--import", "tsx", SELF, mode, work], { encoding: "utf8", maxBuffer: 64 * 1024 ** 2 })
  const line = r.stderr.split("\n").find((l) => l.startsWith("TIME "))
  if (r.status !== 0 || line === undefined) throw new Error(`${mode} failed (${r.status}):\n${r.stdout}\n${r.stderr.slice(-4000)}`)
  const [wall, user, sys, rss] = line.split(" ").slice(1).map(Number)
  return { wall: wall!, cpu: user! + sys!, rssMb: rss! / 1024, out: r.stdout.trim() }
}

const parent = () => {
  // O1CODER_BENCH_DIR keeps the work directory (labels, samples) for another run.
  const kept = process.env.O1CODER_BENCH_DIR
  const work = kept ?? NodeFs.mkdtempSync(NodePath.join(NodeOs.tmpdir(), "o1-bench-eval-"))
  const load = () => NodeOs.loadavg().map((x) => x.toFixed(1)).join(" ")
  console.log(`bench:eval on ${NodeOs.availableParallelism()} cores, load average ${load()}`)
  const prepared = measure("prepare", work)
  console.log(prepared.out)
  const full = measure("full", work)
  console.log(full.out)
  const fast = measure("fast", work)
  console.log(fast.out)
  const a = NodeFs.readFileSync(NodePath.join(work, "full.verdicts"), "utf8").split("\n")
  const b = new Set(NodeFs.readFileSync(NodePath.join(work, "fast.verdicts"), "utf8").split("\n"))
  const same = a.filter((x) => b.has(x)).length
  const row = (name: string, m: Measured) => console.log(`${name.padEnd(5)} wall ${m.wall.toFixed(1)} s, cpu ${m.cpu.toFixed(1)} s, peak RSS ${m.rssMb.toFixed(0)} MB`)
  console.log(`labels (prepare, not compared): wall ${prepared.wall.toFixed(1)} s`)
  row("full", full)
  row("fast", fast)
  console.log(`same verdict (pass, base pass) for ${same} of ${a.length} samples`)
  console.log(`load average at the end ${load()}`)
  console.log(`cpu_ratio: ${(full.cpu / fast.cpu).toFixed(1)}x`)
  console.log(`eval_speedup: ${(full.wall / fast.wall).toFixed(1)}x`)
  if (kept === undefined) NodeFs.rmSync(work, { recursive: true, force: true })
}

if (role === undefined) parent()
else
  Effect.runPromise(child(role, dir!)).catch((e) => {
    console.error(e)
    process.exit(1)
  })

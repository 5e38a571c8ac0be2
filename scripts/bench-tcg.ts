/**
 * TCG benchmark (issue 5). On the MBPP+ tasks, mutation scores on the SAME mutants of each
 * canonical solution (CodeMutator, seed 0) for:
 *   (a) MBPP's original tests (the asserts MBPP+ carries in `assertion`),
 *   (b) EvalPlus's MBPP+ inputs (base + plus) labelled by the canonical solution,
 *   (c) o1coder's mutation-generated suite (seeded from the one visible test only),
 *   (d) its reduced suite (greedy set cover keeping every kill of (c)).
 * Then the LLM path end to end with the simulated test generator (simulated-tcg) and its validity.
 * Last line: `tests_vs_mbppplus: X% for kill ratio Y` = size(d) / size(b) and kills(d) / kills(b).
 *
 *   npm run bench:tcg -- [--limit N] [--budget N] [--mutants N] [--seed N]
 */
import type { Problem, Test } from "@o1coder/domain"
import { CallTest, pySource, sharedDataFile } from "@o1coder/domain"
import * as CodeMutator from "@o1coder/models/CodeMutator"
import * as SimulatedTestGenerator from "@o1coder/models/SimulatedTestGenerator"
import { readMbppPlus } from "@o1coder/problems"
import { Sandbox } from "@o1coder/sandbox/Sandbox"
import { SandboxLive } from "@o1coder/sandbox/SandboxLive"
import { TestDatabase } from "@o1coder/store"
import { ProblemsRepo } from "@o1coder/store/ProblemsRepo"
import { SuitesRepo } from "@o1coder/store/SuitesRepo"
import { fromMap, MutantSource } from "@o1coder/tcg/Mutants"
import { killedBy } from "@o1coder/tcg/Quality"
import { TestGen, type SuiteStats } from "@o1coder/tcg/TestGen"
import { validateTests, VALIDATION_LIMITS } from "@o1coder/tcg/Validation"
import { Effect, Layer } from "effect"

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? Number(process.argv[i + 1]) : fallback
}
const limit = arg("limit", Infinity)
const budget = arg("budget", 80)
const mutantCount = arg("mutants", 10)
const seed = arg("seed", 0)
const concurrency = arg("concurrency", 2)

const file = sharedDataFile("mbpp-plus/MbppPlus.jsonl")
if (file.missing !== undefined) {
  console.error(file.missing)
  process.exit(1)
}

/** (b): every MBPP+ input (base asserts' args + plus inputs) labelled by one call of the canonical solution. */
const mbppPlusSuite = (sandbox: typeof Sandbox.Service, problem: Problem, base: ReadonlyArray<Test>) =>
  Effect.gen(function* () {
    const argsList = [...base.flatMap((t) => (t._tag === "call" ? [t.args] : [])), ...problem.heldOutInputs]
    const out: Array<Test> = base.filter((t) => t._tag !== "call")
    for (let i = 0; i < argsList.length; i += 40) {
      const batch = argsList.slice(i, i + 40)
      const outcomes = yield* sandbox.call({ code: problem.reference!, entryPoint: problem.entryPoint!, setup: problem.setup, argsList: batch, limits: VALIDATION_LIMITS })
      batch.forEach((args, j) => {
        const o = outcomes[j]
        const expected = o?._tag === "value" ? pySource(o.value) : undefined
        if (expected !== undefined) out.push(new CallTest({ args, expected, ...(problem.atol !== undefined && problem.atol > 0 ? { atol: problem.atol } : {}) }))
      })
    }
    return out
  })

const started = Date.now()

const prepare = Effect.gen(function* () {
  const parsed = yield* readMbppPlus(file.path)
  const problems = parsed.problems.map((r) => r.problem).filter((p) => p.reference !== undefined && p.entryPoint !== undefined).slice(0, limit)
  console.log(`MBPP+ tasks: ${problems.length} of ${parsed.problems.length} (rejected ${parsed.rejected.length}); budget ${budget}, mutants <= ${mutantCount}, seed ${seed}`)
  // The same mutants for every suite: one CodeMutator batch.
  const mutated = yield* CodeMutator.mutate(problems.map((p) => ({ id: p.id, code: p.reference!, seed, max: mutantCount })))
  const byCode = new Map(problems.map((p) => [p.reference!, (mutated.get(p.id) ?? []).map((m) => m.code)] as const))
  const totalMutants = problems.reduce((a, p) => a + byCode.get(p.reference!)!.length, 0)
  console.log(`mutants: ${totalMutants} (${(totalMutants / problems.length).toFixed(1)} per task)`)
  return { problems, byCode, totalMutants }
})

const program = ({ byCode, problems, totalMutants }: Effect.Effect.Success<typeof prepare>) => Effect.gen(function* () {
  const repo = yield* ProblemsRepo
  yield* repo.upsertMany(problems.map((problem) => ({ problem })))
  const sandbox = yield* Sandbox
  const gen = yield* TestGen

  const totals = { a: { size: 0, killed: 0 }, b: { size: 0, killed: 0 }, c: { size: 0, killed: 0 }, d: { size: 0, killed: 0 } }
  let done = 0
  let failures = 0
  yield* Effect.forEach(
    problems,
    (problem) =>
      Effect.gen(function* () {
        const mutants = byCode.get(problem.reference!)!
        // (a) only the original asserts the canonical solution passes (a failing test would "kill" every mutant).
        const original = problem.heldOutTests
        const checks = yield* validateTests(sandbox, problem, problem.reference!, original)
        const a = original.filter((_, i) => checks[i]!.keep)
        const b = yield* mbppPlusSuite(sandbox, problem, a)
        const killsA = yield* killedBy(sandbox, problem, mutants, a)
        const killsB = yield* killedBy(sandbox, problem, mutants, b)
        const c = yield* gen.suiteFor(problem, { generator: "mutation", budget, seed, mutants: mutantCount })
        const d = yield* gen.suiteFor(problem, { generator: "reduced", base: "mutation", budget, seed, mutants: mutantCount })
        if (process.env.TCG_BENCH_VERBOSE === "1" && killsB.filter(Boolean).length > d.stats.killed) {
          console.error(`  ${problem.id}: mbpp+ kills ${killsB.filter(Boolean).length}, ours ${d.stats.killed} of ${mutants.length}; ours ${c.suite.cases.length} cases, dropped ${JSON.stringify(Object.fromEntries(Object.entries(c.stats.dropped).filter(([, n]) => n > 0)))}`)
        }
        totals.a.size += a.length
        totals.a.killed += killsA.filter(Boolean).length
        totals.b.size += b.length
        totals.b.killed += killsB.filter(Boolean).length
        totals.c.size += c.suite.cases.length
        totals.c.killed += c.stats.killed
        totals.d.size += d.suite.cases.length
        totals.d.killed += d.stats.killed
      }).pipe(
        Effect.catchAll((e) => Effect.sync(() => {
          failures++
          console.error(`  ${problem.id}: ${String((e as any)?.message ?? e)}`)
        })),
        Effect.tap(() => Effect.sync(() => {
          done++
          if (done % 20 === 0 || done === problems.length) console.error(`  ${done}/${problems.length} tasks, ${((Date.now() - started) / 1000).toFixed(0)} s`)
        }))
      ),
    { concurrency }
  )

  const row = (label: string, t: { size: number; killed: number }) =>
    `${label.padEnd(36)} ${String(t.size).padStart(7)} ${(t.size / problems.length).toFixed(1).padStart(8)} ${String(t.killed).padStart(7)} ${((100 * t.killed) / Math.max(1, totalMutants)).toFixed(1).padStart(6)}%`
  console.log("")
  console.log(`${"suite".padEnd(36)} ${"tests".padStart(7)} ${"/task".padStart(8)} ${"killed".padStart(7)} ${"score".padStart(7)}`)
  console.log(row("(a) MBPP original tests", totals.a))
  console.log(row("(b) MBPP+ inputs, canonical labels", totals.b))
  console.log(row("(c) o1coder mutation suite", totals.c))
  console.log(row("(d) o1coder reduced suite", totals.d))
  if (failures > 0) console.log(`tasks that failed: ${failures}`)

  // The LLM path end to end: the simulated TCG model (20% wrong outputs by default) in the paper's template.
  const model = yield* SimulatedTestGenerator.make({ problems })
  const llm: Array<SuiteStats> = []
  yield* Effect.forEach(
    problems,
    (problem) =>
      gen.suiteFor(problem, { generator: "llm", model, samples: 2, seed, mutants: 0 }).pipe(
        Effect.map((s) => void llm.push(s.stats)),
        Effect.catchAll((e) => Effect.sync(() => console.error(`  llm ${problem.id}: ${e.reason}`)))
      ),
    { concurrency }
  )
  const validated = llm.reduce((a, s) => a + s.validated, 0)
  const passed = llm.reduce((a, s) => a + (s.validity ?? 0) * s.validated, 0)
  const generated = llm.reduce((a, s) => a + s.generated, 0)
  const unparseable = llm.reduce((a, s) => a + s.dropped.unparseable, 0)
  const wrong = llm.reduce((a, s) => a + s.dropped.wrong_output, 0)
  const kept = llm.reduce((a, s) => a + s.kept, 0)
  console.log(
    `llm (${model.modelVersion}): ${llm.length} tasks, ${generated} cases generated, ${unparseable} unparseable, ` +
      `${validated} validated, ${kept} kept, ${wrong} wrong output; validity ${((100 * passed) / Math.max(1, validated)).toFixed(1)}%`
  )
  console.log(`elapsed: ${((Date.now() - started) / 1000).toFixed(0)} s`)
  const share = (100 * totals.d.size) / Math.max(1, totals.b.size)
  const ratio = totals.d.killed / Math.max(1, totals.b.killed)
  console.log(`tests_vs_mbppplus: ${share.toFixed(1)}% for kill ratio ${ratio.toFixed(3)}`)
})

const layerFor = (byCode: ReadonlyMap<string, ReadonlyArray<string>>) =>
  TestGen.Default.pipe(
    Layer.provideMerge(Layer.mergeAll(SuitesRepo.Default, ProblemsRepo.Default, Layer.succeed(MutantSource, fromMap(byCode)))),
    Layer.provideMerge(SandboxLive),
    Layer.provideMerge(TestDatabase.pglite)
  )

Effect.runPromise(
  Effect.gen(function* () {
    const prepared = yield* prepare
    yield* program(prepared).pipe(Effect.provide(layerFor(prepared.byCode)))
  }).pipe(Effect.scoped)
).catch((e) => {
  console.error(e)
  process.exit(1)
})

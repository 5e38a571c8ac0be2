/**
 * EvalPlus's finding on o1coder's harness: the simulated policy forced to mutants (pCorrect = 0)
 * answers every MBPP+ task with its mutants of the canonical solution; the same answers are scored
 * on MBPP's original test_list, on MBPP+'s base asserts, and on MBPP+ (base + plus inputs).
 *
 *   npx tsx scripts/eval-mutants.ts [tasks]      (default: all 399 MBPP+ tasks)
 */
import { sharedDataFile } from "@o1coder/domain"
import * as Evaluate from "@o1coder/eval/Evaluate"
import type { SampleRecord } from "@o1coder/eval/Samples"
import { SimulatedPolicy, SimulatedPolicyParams } from "@o1coder/models"
import { readMbpp, readMbppPlus } from "@o1coder/problems"
import { sandboxLayer } from "@o1coder/sandbox"
import { EvaluationsRepo } from "@o1coder/store/EvaluationsRepo"
import * as TestDatabase from "@o1coder/store/TestDatabase"
import { Effect, Layer } from "effect"

const limit = Number(process.argv[2] ?? 399)

const program = Effect.gen(function* () {
  const plusFile = sharedDataFile("mbpp-plus/MbppPlus.jsonl")
  const mbppFile = sharedDataFile("mbpp/mbpp.jsonl")
  if (plusFile.missing ?? mbppFile.missing) return console.log(plusFile.missing ?? mbppFile.missing)
  const plusProblems = (yield* readMbppPlus(plusFile.path)).problems.map((r) => r.problem).slice(0, limit)
  const tasks = new Set(plusProblems.map((p) => p.taskId))
  const mbppProblems = (yield* readMbpp(mbppFile.path)).problems.map((r) => r.problem).filter((p) => tasks.has(p.taskId))
  const policy = yield* SimulatedPolicy.make({ problems: plusProblems, params: new SimulatedPolicyParams({ pCorrect: 0 }), mutantsPerProblem: 4 })
  let line = 0
  const records: Array<SampleRecord> = plusProblems.flatMap((p) =>
    policy.candidates(p.id).slice(1).map((text) => ({ line: ++line, taskId: `Mbpp/${p.taskId}`, field: "solution" as const, text }))
  )
  const samples = { _tag: "samples" as const, file: "forced-mutants", records, issues: [] }
  const onPlus = yield* Evaluate.run({ problems: plusProblems, dataset: "mbpp-plus", split: "all", mode: "direct", policy: samples, concurrency: 4 })
  const onMbpp = yield* Evaluate.run({ problems: mbppProblems, dataset: "mbpp", split: "all", mode: "direct", policy: samples, concurrency: 4 })
  const pct = (x: number | undefined) => `${(100 * (x ?? NaN)).toFixed(1)}%`
  console.log(`forced-mutant simulated policy: ${plusProblems.length} tasks, ${records.length} answers (mutants of the MBPP+ canonical solution)`)
  console.log(`  MBPP test_list (+challenge)   pass@1 ${pct(onMbpp.evaluation.metrics["pass@1"])}`)
  console.log(`  MBPP+ base asserts            pass@1 ${pct(onPlus.evaluation.metrics["base_pass@1"])}`)
  console.log(`  MBPP+ base + plus inputs      pass@1 ${pct(onPlus.evaluation.metrics["pass@1"])}`)
})

program.pipe(
  Effect.provide(Layer.mergeAll(EvaluationsRepo.Default, sandboxLayer({ workers: 2 })).pipe(Layer.provideMerge(TestDatabase.pglite))),
  Effect.runPromise
).catch((e) => {
  console.error(e)
  process.exit(1)
})

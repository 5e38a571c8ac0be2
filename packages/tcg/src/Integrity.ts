import type { Problem, PyValue, Test } from "@o1coder/domain"
import { CallTest, hashOf, parsePyArgs, PyParseFailure } from "@o1coder/domain"
import type { Sandbox, SandboxError } from "@o1coder/sandbox/Sandbox"
import { Effect } from "effect"
import { baselinesFor, builtInputs, type Baseline } from "./Baselines.ts"
import { argsKey, mutateInputs, Rng } from "./InputMutation.ts"
import { killMatrix } from "./Quality.ts"
import { labelInputs } from "./Validation.ts"

/**
 * Reward integrity of a suite: which trivial baselines (see Baselines.ts) pass every test. A
 * suite some baseline passes can be gamed, so it is extended with tests that kill the survivors
 * (more mutated inputs and inputs built to change the output, labelled by the reference) until
 * none passes or the rounds run out; a suite still passed by one is not reward-safe.
 *
 * Judged on the part of the suite that reaches training data: exporters drop a case equal to a
 * held-out test (compared by hash, as they do), and such a drop once left `demo/binary_search`
 * with 11 tests that all expected -1.
 */
export interface IntegrityReport {
  readonly baselines: number
  readonly killed: number
  /** Names of the baselines that pass every test (empty for a reward-safe suite). */
  readonly survivors: ReadonlyArray<string>
  /** Baselines that passed the suite before it was extended. */
  readonly initialSurvivors: number
  /** Tests added to kill survivors. */
  readonly added: number
  readonly rewardSafe: boolean
}

type SandboxService = typeof Sandbox.Service

/** The tests an export keeps: none equal to a held-out test. */
export const exportable = (problem: Problem, tests: ReadonlyArray<Test>): ReadonlyArray<Test> => {
  const heldOut = new Set(problem.heldOutTests.map(hashOf))
  return heldOut.size === 0 ? tests : tests.filter((t) => !heldOut.has(hashOf(t)))
}

/** The baselines of the exportable tests and which of them survive (pass every one). */
export const survivingBaselines = (sandbox: SandboxService, problem: Problem, all: ReadonlyArray<Test>) =>
  Effect.gen(function* () {
    const tests = exportable(problem, all)
    const baselines = baselinesFor(problem, tests)
    if (tests.length === 0) return { baselines, survivors: baselines }
    const matrix = yield* killMatrix(sandbox, problem, baselines.map((b) => b.code), tests)
    return { baselines, survivors: baselines.filter((_, i) => !matrix[i]!.some(Boolean)) }
  })

export const reportOf = (baselines: ReadonlyArray<Baseline>, survivors: ReadonlyArray<Baseline>, added: number, initialSurvivors = survivors.length): IntegrityReport => ({
  baselines: baselines.length,
  killed: baselines.length - survivors.length,
  survivors: survivors.map((b) => b.name),
  initialSurvivors,
  added,
  rewardSafe: baselines.length > 0 && survivors.length === 0
})

/** Measures a suite without changing it (suites without a reference, e.g. visible tests only). */
export const checkSuite = (sandbox: SandboxService, problem: Problem, tests: ReadonlyArray<Test>): Effect.Effect<IntegrityReport, SandboxError> =>
  Effect.map(survivingBaselines(sandbox, problem, tests), ({ baselines, survivors }) => reportOf(baselines, survivors, 0))

export interface SecureOptions {
  readonly seed: number
  /** Extension rounds at most (default 4). */
  readonly rounds?: number | undefined
  /** Mutated inputs tried per round besides the built ones (default 60). */
  readonly budget?: number | undefined
  /** Tests kept per surviving baseline per round (default 2). */
  readonly perSurvivor?: number | undefined
}

const argsOf = (tests: ReadonlyArray<Test>): Array<ReadonlyArray<PyValue>> =>
  tests.flatMap((t) => {
    if (t._tag !== "call") return []
    const args = parsePyArgs(t.args)
    return args instanceof PyParseFailure ? [] : [args]
  })

/**
 * Extends a function problem's suite until no baseline passes it: each round labels new inputs
 * with the reference and keeps, per surviving baseline, the first tests it fails. Returns the
 * added tests (in order) and the report of the extended suite.
 */
export const secureSuite = (
  sandbox: SandboxService,
  problem: Problem,
  seeds: ReadonlyArray<ReadonlyArray<PyValue>>,
  tests: ReadonlyArray<Test>,
  options: SecureOptions
): Effect.Effect<{ readonly added: ReadonlyArray<Test>; readonly report: IntegrityReport }, SandboxError> =>
  Effect.gen(function* () {
    const reference = problem.reference
    let current = yield* survivingBaselines(sandbox, problem, tests)
    const initialSurvivors = current.survivors.length
    const added: Array<Test> = []
    if (reference === undefined || problem.kind !== "function" || problem.entryPoint === undefined) {
      return { added, report: reportOf(current.baselines, current.survivors, 0) }
    }
    const rng = new Rng(`${problem.id}:${options.seed}:integrity`)
    const seen = new Set(argsOf(tests).map(argsKey))
    const perSurvivor = options.perSurvivor ?? 2
    for (let round = 0; round < (options.rounds ?? 4) && current.survivors.length > 0; round++) {
      const pool = [...seeds, ...argsOf([...tests, ...added])].slice(0, 40)
      if (pool.length === 0) break
      const candidates = [...builtInputs(pool, rng), ...mutateInputs(pool, options.budget ?? 60, rng, seen)].filter((args) => {
        const key = argsKey(args)
        if (seen.has(key)) return false
        seen.add(key)
        return true
      })
      const labelled = (yield* labelInputs(sandbox, problem, reference, candidates)).filter((l) => l.check.keep)
      const fresh = labelled.map(
        (l) => new CallTest({ args: l.argsSource!, expected: l.expected!, ...(problem.atol !== undefined && problem.atol > 0 ? { atol: problem.atol } : {}) })
      )
      if (fresh.length === 0) continue
      const kills = yield* killMatrix(sandbox, problem, current.survivors.map((b) => b.code), fresh)
      const chosen = new Set<number>()
      for (const row of kills) {
        let taken = 0
        row.forEach((killed, t) => {
          if (killed && taken < perSurvivor) {
            chosen.add(t)
            taken++
          }
        })
      }
      added.push(...[...chosen].sort((a, b) => a - b).map((t) => fresh[t]!))
      current = yield* survivingBaselines(sandbox, problem, [...tests, ...added])
    }
    return { added, report: reportOf(current.baselines, current.survivors, added.length, initialSurvivors) }
  }).pipe(Effect.withSpan("tcg.secureSuite", { attributes: { problem: problem.id, tests: tests.length } }))

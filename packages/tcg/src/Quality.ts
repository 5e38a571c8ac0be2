import type { Test } from "@o1coder/domain"
import type { ProblemRef } from "./Validation.ts"
import { Limits } from "@o1coder/sandbox/Sandbox"
import type { Sandbox, SandboxError } from "@o1coder/sandbox/Sandbox"
import { Effect } from "effect"

/**
 * Suite quality against the reference's mutants: which test kills which mutant (a test kills a
 * mutant when the mutant does not pass it: wrong value, crash or timeout), the mutation score
 * (share of mutants killed by at least one test) and greedy set-cover reduction that keeps every
 * kill.
 */

/** `kills[m][t]`: test t kills mutant m. */
export type KillMatrix = ReadonlyArray<ReadonlyArray<boolean>>

/** Mutants may loop: a short per-test deadline keeps scoring cheap (a timeout is a kill). */
export const MUTANT_LIMITS = new Limits({ testTimeoutMs: 1_000, totalTimeoutMs: 20_000, memoryBytes: 1024 ** 3, outputBytes: 1024 ** 2 })

const CHUNK = 60

const chunks = (tests: ReadonlyArray<Test>): ReadonlyArray<ReadonlyArray<Test>> =>
  Array.from({ length: Math.ceil(tests.length / CHUNK) }, (_, i) => tests.slice(i * CHUNK, (i + 1) * CHUNK))

/** Runs one mutant on a chunk of tests; `killed[i]`: test i of the chunk kills it. */
const killsIn = (sandbox: typeof Sandbox.Service, problem: ProblemRef, code: string, batch: ReadonlyArray<Test>, limits: Limits) =>
  sandbox
    .run({
      code,
      kind: problem.kind,
      entryPoint: problem.entryPoint,
      setup: problem.setup,
      tests: batch,
      limits,
      purpose: "validation",
      context: { problemId: problem.id }
    })
    .pipe(Effect.map((ex) => batch.map((_, i) => !ex.compiled || ex.verdicts[i]?.status !== "passed")))

export const killMatrix = (
  sandbox: typeof Sandbox.Service,
  problem: ProblemRef,
  mutants: ReadonlyArray<string>,
  tests: ReadonlyArray<Test>,
  limits: Limits = MUTANT_LIMITS
): Effect.Effect<KillMatrix, SandboxError> =>
  tests.length === 0
    ? Effect.succeed(mutants.map(() => []))
    : Effect.forEach(mutants, (code) =>
        Effect.forEach(chunks(tests), (batch) => killsIn(sandbox, problem, code, batch, limits)).pipe(Effect.map((xs) => xs.flat()))
      ).pipe(Effect.withSpan("tcg.killMatrix", { attributes: { mutants: mutants.length, tests: tests.length } }))

export const killedMutants = (matrix: KillMatrix, testIndices?: ReadonlyArray<number>): number =>
  matrix.filter((row) => (testIndices === undefined ? row.some(Boolean) : testIndices.some((t) => row[t] === true))).length

export const mutationScore = (matrix: KillMatrix, testIndices?: ReadonlyArray<number>): number =>
  matrix.length === 0 ? 0 : killedMutants(matrix, testIndices) / matrix.length

/**
 * Greedy set cover: repeatedly take the test that kills the most mutants not yet killed (ties:
 * the earlier test), until every mutant the whole suite kills is killed. Returns test indices in
 * the order chosen.
 */
export const reduceSuite = (matrix: KillMatrix, testCount: number): ReadonlyArray<number> => {
  const alive = new Set(matrix.map((_, m) => m).filter((m) => matrix[m]!.some(Boolean)))
  const chosen: Array<number> = []
  while (alive.size > 0) {
    let best = -1
    let bestKills = 0
    for (let t = 0; t < testCount; t++) {
      let kills = 0
      for (const m of alive) if (matrix[m]![t]) kills++
      if (kills > bestKills) {
        best = t
        bestKills = kills
      }
    }
    if (best < 0) break
    chosen.push(best)
    for (const m of [...alive]) if (matrix[m]![best]) alive.delete(m)
  }
  return chosen
}

/**
 * Which mutants the tests kill, stopping at a mutant's first killing chunk (cheaper than the
 * full matrix when only the score is needed, e.g. for large reference suites).
 */
export const killedBy = (
  sandbox: typeof Sandbox.Service,
  problem: ProblemRef,
  mutants: ReadonlyArray<string>,
  tests: ReadonlyArray<Test>,
  limits: Limits = MUTANT_LIMITS
): Effect.Effect<ReadonlyArray<boolean>, SandboxError> =>
  Effect.forEach(mutants, (code) =>
    Effect.gen(function* () {
      for (const batch of chunks(tests)) {
        if ((yield* killsIn(sandbox, problem, code, batch, limits)).some((killed) => killed)) return true
      }
      return false
    })
  )

import * as CodeMutator from "@o1coder/models/CodeMutator"
import { Context, Effect, Layer } from "effect"

/**
 * Where the mutants of a reference solution come from (for the mutation score and suite
 * reduction). The CLI and benchmarks provide it from the models package's CodeMutator; without
 * it TestGen reports no mutation score. Must be deterministic for the same (code, seed, count).
 */
export interface MutantSourceService {
  readonly mutants: (code: string, options: { readonly seed: number; readonly count: number }) => Effect.Effect<ReadonlyArray<string>, unknown>
}

export class MutantSource extends Context.Tag("o1coder/tcg/MutantSource")<MutantSource, MutantSourceService>() {}

/** The models package's AST CodeMutator as a MutantSource (one trusted helper process per call). */
export const fromCodeMutator = (
  mutate: (requests: ReadonlyArray<{ readonly id: string; readonly code: string; readonly seed?: number | undefined; readonly max?: number | undefined }>) => Effect.Effect<ReadonlyMap<string, ReadonlyArray<{ readonly code: string }>>, unknown>
): MutantSourceService => ({
  mutants: (code, { count, seed }) =>
    mutate([{ id: "m", code, seed, max: count }]).pipe(Effect.map((m) => (m.get("m") ?? []).map((x) => x.code)))
})

/** Precomputed mutants by reference code (benchmarks mutate every problem in one batch first). */
export const fromMap = (byCode: ReadonlyMap<string, ReadonlyArray<string>>): MutantSourceService => ({
  mutants: (code, { count }) => Effect.succeed((byCode.get(code) ?? []).slice(0, count))
})

/** The live MutantSource: the models package's CodeMutator (trusted Python `ast` helper). */
export const MutantSourceLive = Layer.succeed(MutantSource, fromCodeMutator(CodeMutator.mutate))

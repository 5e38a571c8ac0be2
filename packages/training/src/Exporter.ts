import { canonicalJson, hashOf } from "@o1coder/domain"
import { DatasetsRepo, type SearchRef, type VisibleProblem } from "@o1coder/store/DatasetsRepo"
import { Effect, Option, Stream } from "effect"
import { ExportError } from "./Errors.ts"
import { writeJsonl, type WrittenFile } from "./JsonlWriter.ts"
import { defaultRenderPrompt, type RenderPrompt } from "./Prompt.ts"
import { O1CoderPrm, Preference, SftMessages, SftPromptCompletion, TrlStepwise, type VerlRow } from "./Records.ts"
import * as Trees from "./Trees.ts"
import { writeVerlParquet } from "./VerlParquet.ts"

export const EXPORT_KINDS = ["sft", "prm", "prm-pairs", "dpo", "verl"] as const
export type ExportKind = (typeof EXPORT_KINDS)[number]

/** Formats per kind; the first is the default. */
export const EXPORT_FORMATS = {
  sft: ["messages", "prompt-completion"],
  prm: ["trl-stepwise", "o1coder-hard", "o1coder-soft"],
  "prm-pairs": ["preference"],
  dpo: ["preference"],
  verl: ["parquet"]
} as const satisfies Record<ExportKind, ReadonlyArray<string>>

export interface ExportOptions {
  readonly runId: string
  readonly round?: number | undefined
  /** Output file (JSONL, or parquet for verl). */
  readonly out: string
  readonly format?: string | undefined
  /** Only problems of this dataset split (e.g. "train"). */
  readonly split?: string | undefined
  /** At most this many records per problem (first in the exporter's deterministic order). */
  readonly maxPerProblem?: number | undefined
  /** PRM: nodes with fewer visits carry no value and are skipped (default 1). */
  readonly minVisits?: number | undefined
  /** PRM hard labels: positive when Q/N >= threshold (default 0.5). */
  readonly threshold?: number | undefined
  /** PRM pairs: minimum value gap between chosen and rejected siblings (default 0.2). */
  readonly margin?: number | undefined
  /** DPO: chosen pass rate at least this (default 1). */
  readonly chosenMinPassRate?: number | undefined
  /** DPO: chosen minus rejected pass rate at least this (default 0.4). */
  readonly minPassRateGap?: number | undefined
  /** DPO: rejected pass rate at least this (default 0). */
  readonly rejectedMinPassRate?: number | undefined
  /** Also read searches that are still running or failed (default false). */
  readonly includeIncomplete?: boolean | undefined
  /** The prompt renderer; default `defaultRenderPrompt` (pass the search's to match its prompts). */
  readonly renderPrompt?: RenderPrompt | undefined
}

export interface ExportResult extends WrittenFile {
  readonly datasetId: string
  readonly kind: ExportKind
  readonly format: string
  /** verl: problems left out because their suite is not reward-safe (a trivial baseline passes it, or it was never checked). */
  readonly excludedUnsafe?: ReadonlyArray<string> | undefined
}

/**
 * verl's `reward_model.ground_truth`: exactly the part of a `/v1/reward` completion item that is
 * not the completion, as canonical JSON: `problem_id`, `suite_id` and `problem` (the generated
 * suite inline: `kind`, `entry_point`, `setup`, `tests` in the domain's Test encoding), so
 * `recipes/verl/o1coder_reward.py` posts it as it is and the score never depends on which suites
 * the service's store holds later. Stdio suites also carry TACO/APPS-style `inputs`/`outputs`, what
 * verl's own `sandbox_fusion` reward reads (pointed at o1coder's `/run_code`).
 */
export const groundTruth = (
  problem: Pick<VisibleProblem, "id" | "kind" | "entryPoint" | "setup">,
  suiteId: string,
  tests: ReadonlyArray<unknown>
): string => {
  const stdio = tests.filter((t): t is { _tag: "stdio"; input: string; output: string } => (t as { _tag?: string })?._tag === "stdio")
  return canonicalJson({
    problem_id: problem.id,
    suite_id: suiteId,
    problem: { kind: problem.kind, entry_point: problem.entryPoint, setup: problem.setup, tests },
    ...(stdio.length > 0 && stdio.length === tests.length ? { inputs: stdio.map((t) => t.input), outputs: stdio.map((t) => t.output) } : {})
  })
}

type UnindexedVerlRow = Omit<VerlRow, "extra_info"> & { readonly extra: Omit<VerlRow["extra_info"], "index"> }

interface LoadedTree {
  readonly search: SearchRef
  readonly problem: VisibleProblem
  readonly tree: Trees.Tree
}

/** The options that select data, as recorded in `datasets.filters` (defaults made explicit). */
const filtersOf = (kind: ExportKind, format: string, o: ExportOptions) => {
  const base = { split: o.split ?? null, maxPerProblem: o.maxPerProblem ?? null, includeIncomplete: o.includeIncomplete ?? false }
  switch (kind) {
    case "prm":
      return { ...base, minVisits: o.minVisits ?? 1, ...(format === "o1coder-soft" ? {} : { threshold: o.threshold ?? 0.5 }) }
    case "prm-pairs":
      return { ...base, minVisits: o.minVisits ?? 1, margin: o.margin ?? 0.2 }
    case "dpo":
      return { ...base, chosenMinPassRate: o.chosenMinPassRate ?? 1, minPassRateGap: o.minPassRateGap ?? 0.4, rejectedMinPassRate: o.rejectedMinPassRate ?? 0 }
    default:
      return base
  }
}

/**
 * Writes training files from stored search trees (step 4 of a self-play round; shapes in Records.ts) and
 * records each in `datasets` with its sha256 and row count. Trees are read one search at a time
 * and records are streamed to disk, so memory is bounded by the largest tree, not the dataset.
 * The same trees and options give a byte-identical file.
 */
export class Exporter extends Effect.Service<Exporter>()("o1coder/Exporter", {
  effect: Effect.gen(function* () {
    const repo = yield* DatasetsRepo

    const trees = (o: ExportOptions): Stream.Stream<LoadedTree> =>
      Stream.fromIterableEffect(repo.searches(o)).pipe(
        Stream.mapEffect((search) =>
          Effect.all({ problem: repo.problem(search.problemId), nodes: repo.nodes(search.id) }).pipe(
            Effect.map(({ nodes, problem }) => {
              const tree = Trees.buildTree(nodes)
              return problem === undefined || tree === undefined ? Option.none() : Option.some({ search, problem, tree })
            })
          )
        ),
        Stream.filterMap((x) => x),
        Stream.orDie
      )

    /** Records per tree, capped per problem (searches arrive grouped by problem). */
    const perTree = <A>(o: ExportOptions, f: (t: LoadedTree, prompt: string) => ReadonlyArray<A>): Stream.Stream<A> => {
      const render = o.renderPrompt ?? defaultRenderPrompt
      const cap = o.maxPerProblem ?? Number.POSITIVE_INFINITY
      return trees(o).pipe(
        Stream.mapAccum({ problemId: "", taken: 0 }, (state, t) => {
          const taken = state.problemId === t.problem.id ? state.taken : 0
          const records = f(t, render(t.problem)).slice(0, Math.max(0, cap - taken))
          return [{ problemId: t.problem.id, taken: taken + records.length }, records]
        }),
        Stream.mapConcat((records) => records)
      )
    }

    const verlRows = (o: ExportOptions, excluded: Array<string>): Stream.Stream<VerlRow, ExportError> => {
      const render = o.renderPrompt ?? defaultRenderPrompt
      return Stream.fromIterableEffect(repo.searches(o)).pipe(
        Stream.orDie,
        // One row per problem: its first search (in order) that has a generated suite.
        Stream.filter((s) => s.suiteId !== null),
        Stream.changesWith((a, b) => a.problemId === b.problemId),
        Stream.mapEffect((search) =>
          Effect.gen(function* () {
            const problem = yield* repo.problem(search.problemId)
            if (problem === undefined) return Option.none<UnindexedVerlRow>()
            // RL rewards come from this suite: one a trivial program passes would be gamed.
            if (!(yield* repo.suiteRewardSafe(search.suiteId!))) {
              excluded.push(problem.id)
              yield* Effect.logWarning(`verl export: ${problem.id} left out: suite ${search.suiteId} is not reward-safe (see suite_stats.baseline_survivors)`)
              return Option.none<UnindexedVerlRow>()
            }
            const heldOut = yield* repo.heldOutHashes(problem.id)
            const cases = yield* repo.suiteCases(search.suiteId!)
            // Held-out tests never enter training data, even when a generator reproduced one.
            const tests = cases.map((c) => c.test).filter((t) => !heldOut.has(hashOf(t)))
            return Option.some<UnindexedVerlRow>({
              data_source: problem.dataset,
              prompt: [{ role: "user", content: render(problem) }],
              ability: "code",
              reward_model: { style: "rule", ground_truth: groundTruth(problem, search.suiteId!, tests) },
              extra: { split: problem.split, problem_id: problem.id, suite_id: search.suiteId!, entry_point: problem.entryPoint ?? "" }
            })
          }).pipe(Effect.orDie)
        ),
        Stream.filterMap((x) => x),
        Stream.zipWithIndex,
        Stream.map(([r, index]): VerlRow => ({
          data_source: r.data_source,
          prompt: r.prompt,
          ability: r.ability,
          reward_model: r.reward_model,
          extra_info: { index, ...r.extra }
        }))
      )
    }

    const write = (kind: ExportKind, format: string, o: ExportOptions, excluded: Array<string>): Effect.Effect<WrittenFile, ExportError> => {
      const prm = { threshold: o.threshold ?? 0.5, minVisits: o.minVisits ?? 1 }
      switch (kind) {
        case "sft":
          return format === "messages"
            ? writeJsonl(o.out, SftMessages, perTree(o, (t, p) => Trees.sftRecords(t.tree, p).map((r) => ({
                messages: [{ role: "user" as const, content: r.prompt }, { role: "assistant" as const, content: r.completion }]
              }))))
            : writeJsonl(o.out, SftPromptCompletion, perTree(o, (t, p) => Trees.sftRecords(t.tree, p)))
        case "prm":
          return format === "trl-stepwise"
            ? writeJsonl(o.out, TrlStepwise, perTree(o, (t, p) => Trees.trlStepwiseRecords(t.tree, p, prm)))
            : writeJsonl(o.out, O1CoderPrm, perTree(o, (t, p) => Trees.o1coderPrmRecords(t.tree, p, { ...prm, soft: format === "o1coder-soft" })))
        case "prm-pairs":
          return writeJsonl(o.out, Preference, perTree(o, (t, p) => Trees.prmPairRecords(t.tree, p, { margin: o.margin ?? 0.2, minVisits: prm.minVisits })))
        case "dpo":
          return writeJsonl(o.out, Preference, perTree(o, (t, p) => Trees.dpoRecords(t.tree, p, {
            chosenMinPassRate: o.chosenMinPassRate ?? 1,
            minPassRateGap: o.minPassRateGap ?? 0.4,
            rejectedMinPassRate: o.rejectedMinPassRate ?? 0
          })))
        case "verl":
          return writeVerlParquet(o.out, verlRows(o, excluded))
      }
    }

    /**
     * Writes one dataset and records it. `kind`: sft | prm | prm-pairs | dpo | verl; `format`
     * per kind in EXPORT_FORMATS (default the first).
     */
    const export_ = (kind: ExportKind, o: ExportOptions): Effect.Effect<ExportResult, ExportError> =>
      Effect.gen(function* () {
        const formats: ReadonlyArray<string> = EXPORT_FORMATS[kind]
        if (formats === undefined) return yield* new ExportError({ reason: `unknown export kind ${kind}; one of ${EXPORT_KINDS.join(", ")}` })
        const format = o.format ?? formats[0]!
        if (!formats.includes(format)) return yield* new ExportError({ reason: `format ${format} is not one of ${formats.join(", ")} for ${kind}` })
        const excluded: Array<string> = []
        const written = yield* write(kind, format, o, excluded)
        const datasetId = yield* repo
          .record({ kind, format, path: written.path, sha256: written.sha256, rows: written.rows, runId: o.runId, round: o.round ?? null, filters: filtersOf(kind, format, o) })
          .pipe(Effect.orDie)
        return { ...written, datasetId, kind, format, ...(kind === "verl" ? { excludedUnsafe: excluded } : {}) }
      }).pipe(Effect.withSpan("Exporter.export", { attributes: { kind, runId: o.runId, round: o.round } }))

    return { export: export_ } as const
  }),
  dependencies: [DatasetsRepo.Default]
}) {}

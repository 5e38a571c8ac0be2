import type { Problem, Test, TestCase } from "@o1coder/domain"
import { sha256 } from "@o1coder/domain"
import { DatasetsRepo } from "@o1coder/store/DatasetsRepo"
import { ProblemsRepo } from "@o1coder/store/ProblemsRepo"
import { SuitesRepo } from "@o1coder/store/SuitesRepo"
import { Effect, Schema } from "effect"
import * as NodeFs from "node:fs"
import * as NodePath from "node:path"
import { promptInputFor, renderTcgCases, renderTcgPrompt } from "./TcgFormat.ts"

/**
 * TCG training data in TRL's formats. SFT: `{"prompt", "completion"}` where the prompt is the
 * TCG template (with the reference in the code part) and the completion the validated cases.
 * DPO (the paper's recipe): `{"prompt", "chosen", "rejected"}` where chosen holds validated
 * cases and rejected the same inputs with the expected outputs shuffled among them.
 */

export interface TcgExportFilters {
  readonly dataset?: string | undefined
  readonly split?: string | undefined
  readonly generator?: string | undefined
  /** Cases per record (default 3, as the paper's template). */
  readonly casesPerRecord?: number | undefined
  /** Records per suite at most (default 4): long mutation suites would repeat one prompt many times. */
  readonly recordsPerSuite?: number | undefined
}

export interface TcgExportOptions {
  readonly format: "sft" | "dpo"
  readonly out: string
  readonly filters?: TcgExportFilters | undefined
}

export interface TcgExportResult {
  readonly datasetId: string
  readonly path: string
  readonly rows: number
  readonly sha256: string
  readonly suites: number
  /** Groups of cases skipped in DPO because shuffling their outputs changes nothing. */
  readonly skipped: number
}

export class TcgExportError extends Schema.TaggedError<TcgExportError>()("TcgExportError", { reason: Schema.String }) {
  override get message() {
    return this.reason
  }
}

export interface SftRecord {
  readonly prompt: string
  readonly completion: string
}
export interface DpoRecord {
  readonly prompt: string
  readonly chosen: string
  readonly rejected: string
}

const outputOf = (t: Test): string | undefined => (t._tag === "call" ? t.expected : t._tag === "stdio" ? t.output : undefined)

const withOutput = (t: Test, output: string): Test =>
  t._tag === "call" ? { ...t, expected: output } as Test : t._tag === "stdio" ? ({ ...t, output } as Test) : t

/**
 * The paper's DPO negative: the same inputs with outputs rotated by one among the cases, a
 * deterministic shuffle in which every case whose output differs from its successor's gets a wrong
 * output. Undefined when no case would change (all outputs equal, or fewer than two cases).
 */
export const shuffledOutputs = (tests: ReadonlyArray<Test>): ReadonlyArray<Test> | undefined => {
  const outputs = tests.map(outputOf)
  if (tests.length < 2 || outputs.some((o) => o === undefined)) return undefined
  const rotated = tests.map((t, i) => withOutput(t, outputs[(i + 1) % tests.length]!))
  return rotated.some((t, i) => outputOf(t) !== outputs[i]) ? rotated : undefined
}

const groups = <A>(xs: ReadonlyArray<A>, size: number, max: number): Array<ReadonlyArray<A>> => {
  const out: Array<ReadonlyArray<A>> = []
  for (let i = 0; i < xs.length && out.length < max; i += size) out.push(xs.slice(i, i + size))
  return out
}

/** SFT and DPO records of one problem's validated cases (pure: what the exporter writes). */
export const tcgRecords = (
  problem: Problem,
  cases: ReadonlyArray<TestCase>,
  options: { readonly casesPerRecord?: number | undefined; readonly recordsPerSuite?: number | undefined } = {}
): { readonly sft: ReadonlyArray<SftRecord>; readonly dpo: ReadonlyArray<DpoRecord>; readonly skipped: number } => {
  const size = Math.max(1, options.casesPerRecord ?? 3)
  const usable = cases.map((c) => c.test).filter((t) => t._tag !== "assert")
  const sft: Array<SftRecord> = []
  const dpo: Array<DpoRecord> = []
  let skipped = 0
  for (const group of groups(usable, size, options.recordsPerSuite ?? 4)) {
    const prompt = renderTcgPrompt(promptInputFor(problem, group.length))
    const chosen = renderTcgCases(group, problem.entryPoint)
    sft.push({ prompt, completion: chosen })
    const negative = shuffledOutputs(group)
    if (negative === undefined) skipped++
    else dpo.push({ prompt, chosen, rejected: renderTcgCases(negative, problem.entryPoint) })
  }
  return { sft, dpo, skipped }
}

/**
 * Writes the TCG SFT or DPO JSONL file of the stored suites matching `filters` and records it in
 * `datasets` (kind tcg-sft / tcg-dpo). Deterministic: the same store gives the same file.
 */
export const exportTcg = (options: TcgExportOptions) =>
  Effect.gen(function* () {
    const suites = yield* SuitesRepo
    const problems = yield* ProblemsRepo
    const datasets = yield* DatasetsRepo
    const f = options.filters ?? {}
    const stored = yield* suites.list({ dataset: f.dataset, split: f.split, generator: f.generator })
    const lines: Array<string> = []
    let skipped = 0
    const cache = new Map<string, Problem>()
    for (const s of stored) {
      const problem = cache.get(s.suite.problemId) ?? (yield* problems.get(s.suite.problemId))
      cache.set(problem.id, problem)
      const records = tcgRecords(problem, s.suite.cases, f)
      skipped += records.skipped
      for (const r of options.format === "sft" ? records.sft : records.dpo) lines.push(JSON.stringify(r))
    }
    const text = lines.map((l) => l + "\n").join("")
    yield* Effect.try({
      try: () => {
        NodeFs.mkdirSync(NodePath.dirname(NodePath.resolve(options.out)), { recursive: true })
        NodeFs.writeFileSync(options.out, text)
      },
      catch: (e) => new TcgExportError({ reason: `cannot write ${options.out}: ${e}` })
    })
    const digest = sha256(text)
    const path = NodePath.resolve(options.out)
    const datasetId = yield* datasets.record({
      kind: options.format === "sft" ? "tcg-sft" : "tcg-dpo",
      format: options.format === "sft" ? "trl-prompt-completion" : "trl-preference",
      path,
      sha256: digest,
      rows: lines.length,
      runId: null,
      round: null,
      filters: { dataset: f.dataset ?? null, split: f.split ?? null, generator: f.generator ?? null, casesPerRecord: f.casesPerRecord ?? 3, recordsPerSuite: f.recordsPerSuite ?? 4 }
    })
    return { datasetId, path, rows: lines.length, sha256: digest, suites: stored.length, skipped } satisfies TcgExportResult
  }).pipe(Effect.withSpan("tcg.export", { attributes: { format: options.format } }))

/** The TCG export as a service, on the suites, problems and datasets repositories. */
export class TcgExporter extends Effect.Service<TcgExporter>()("o1coder/TcgExporter", {
  effect: Effect.gen(function* () {
    const repos = yield* Effect.context<SuitesRepo | ProblemsRepo | DatasetsRepo>()
    return {
      /** `exportTcg`: the JSONL file of the matching stored suites, recorded in `datasets`. */
      export: Effect.fn("TcgExporter.export")((options: TcgExportOptions) => Effect.provide(exportTcg(options), repos))
    } as const
  }),
  dependencies: [SuitesRepo.Default, ProblemsRepo.Default, DatasetsRepo.Default]
}) {}

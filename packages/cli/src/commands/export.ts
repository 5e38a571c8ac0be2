import { Args, Command, Options } from "@effect/cli"
import { ProblemsRepo } from "@o1coder/store/ProblemsRepo"
import { RunsRepo } from "@o1coder/store/RunsRepo"
import { TcgExporter } from "@o1coder/tcg"
import { defaultRenderPrompt, EXPORT_FORMATS, Exporter, plainRenderPrompt, type ExportKind } from "@o1coder/training"
import { Effect, Option } from "effect"
import { provide } from "../Layers.ts"
import { output, printTable } from "../Output.ts"

const KINDS = ["sft", "prm", "prm-pairs", "dpo", "verl", "tcg-sft", "tcg-dpo"] as const

const kind = Args.choice(KINDS.map((k) => [k, k] as const), { name: "KIND" }).pipe(
  Args.withDescription("sft | prm | prm-pairs | dpo | verl (from search trees), tcg-sft | tcg-dpo (from test suites).")
)
const run = Options.text("run").pipe(Options.optional, Options.withDescription("The run whose searches are exported: an id or a name (required except for tcg-*)."))
const round = Options.integer("round").pipe(Options.optional, Options.withDescription("Only this round's searches."))
const out = Options.text("out").pipe(Options.withDescription("Output file: JSONL, or parquet for verl."))
const format = Options.text("format").pipe(
  Options.optional,
  Options.withDescription(
    "sft: messages (default) | prompt-completion; prm: trl-stepwise (default) | o1coder-hard | o1coder-soft; " +
      "prm-pairs, dpo: preference; verl: parquet."
  )
)
const split = Options.text("split").pipe(Options.optional, Options.withDescription("Only problems of this split (e.g. train)."))
const maxPerProblem = Options.integer("max-per-problem").pipe(Options.optional, Options.withDescription("At most N records per problem."))
const minVisits = Options.integer("min-visits").pipe(Options.optional, Options.withDescription("PRM: skip nodes visited fewer times (default 1)."))
const threshold = Options.float("threshold").pipe(Options.optional, Options.withDescription("PRM hard labels: positive when Q/N >= this (default 0.5)."))
const margin = Options.float("margin").pipe(Options.optional, Options.withDescription("prm-pairs: minimum value gap between siblings (default 0.2)."))
const chosenMin = Options.float("chosen-min-pass-rate").pipe(Options.optional, Options.withDescription("dpo: chosen passes at least this share (default 1)."))
const minGap = Options.float("min-pass-rate-gap").pipe(Options.optional, Options.withDescription("dpo: chosen minus rejected pass rate (default 0.4)."))
const rejectedMin = Options.float("rejected-min-pass-rate").pipe(Options.optional, Options.withDescription("dpo: rejected passes at least this share (default 0)."))
const includeIncomplete = Options.boolean("include-incomplete").pipe(Options.withDescription("Also read searches still running or failed."))
const dataset = Options.text("dataset").pipe(Options.optional, Options.withDescription("tcg-*: only suites of this dataset."))
const generator = Options.text("generator").pipe(Options.optional, Options.withDescription("tcg-*: only suites of this generator."))
const prompt = Options.choice("prompt", ["search", "plain"]).pipe(
  Options.withDefault("search" as const),
  Options.withDescription("search (default): the search's own prompt text, so prompt + completion is what the policy saw; plain: statement only.")
)
const json = Options.boolean("json").pipe(Options.withDescription("Print the result as JSON."))

const u = Option.getOrUndefined

export const exportCommand = Command.make(
  "export",
  { kind, run, round, out, format, split, maxPerProblem, minVisits, threshold, margin, chosenMin, minGap, rejectedMin, includeIncomplete, dataset, generator, prompt, json },
  (o) =>
    Effect.gen(function* () {
      if (o.kind === "tcg-sft" || o.kind === "tcg-dpo") {
        yield* (yield* ProblemsRepo).requireMatch({ dataset: u(o.dataset), split: u(o.split) })
        const result = yield* (yield* TcgExporter).export({
          format: o.kind === "tcg-sft" ? "sft" : "dpo",
          out: o.out,
          filters: { dataset: u(o.dataset), split: u(o.split), generator: u(o.generator) }
        })
        return yield* output(o.json, result, printTable([result]))
      }
      if (Option.isNone(o.run)) return yield* Effect.fail(new Error(`export ${o.kind} needs --run`))
      // A run, round or split that does not exist is an error naming what does, not an empty file.
      const runs = yield* RunsRepo
      const runId = (yield* runs.resolve(o.run.value)).id
      if (Option.isSome(o.round)) yield* runs.requireRound(runId, o.round.value)
      if (Option.isSome(o.split)) yield* runs.requireSplit(runId, o.split.value)
      const exporter = yield* Exporter
      const result = yield* exporter.export(o.kind as ExportKind, {
        runId,
        round: u(o.round),
        out: o.out,
        format: u(o.format),
        split: u(o.split),
        maxPerProblem: u(o.maxPerProblem),
        minVisits: u(o.minVisits),
        threshold: u(o.threshold),
        margin: u(o.margin),
        chosenMinPassRate: u(o.chosenMin),
        minPassRateGap: u(o.minGap),
        rejectedMinPassRate: u(o.rejectedMin),
        includeIncomplete: o.includeIncomplete,
        renderPrompt: o.prompt === "search" ? defaultRenderPrompt : plainRenderPrompt
      })
      yield* output(o.json, result, printTable([{ dataset: result.datasetId, kind: result.kind, format: result.format, rows: result.rows, bytes: result.bytes, sha256: result.sha256, path: result.path }]))
    }).pipe(provide("exporter"))
).pipe(
  Command.withDescription(
    "Write training data from search trees or test suites\n" +
      "In the formats trainers read (TRL, verl, OpenRLHF), recorded in `datasets` with its sha256 and row count. The\n" +
      "same trees and options give a byte-identical file. Held-out tests are never included. --run takes a run id\n" +
      "or a run name (the latest run of that name).\n\n" +
      `Formats: ${Object.entries(EXPORT_FORMATS).map(([k, v]) => `${k}: ${v.join("|")}`).join("; ")}.\n\n` +
      "Examples:\n" +
      "  o1coder export sft --run demo --round 1 --out data/sft.jsonl\n" +
      "  o1coder export prm --run demo --out data/prm.jsonl --format o1coder-soft\n" +
      "  o1coder export verl --run demo --out data/rl.parquet"
  )
)

export const commands = [exportCommand] as const

import { Command, Options } from "@effect/cli"
import { ModelSpecs } from "@o1coder/models"
import { ProblemsRepo } from "@o1coder/store/ProblemsRepo"
import { DROP_REASONS, type SuiteStats, TcgExporter, TestGen } from "@o1coder/tcg"
import { Console, Effect, Option } from "effect"
import { provide } from "../Layers.ts"
import { output, printTable } from "../Output.ts"
import { makeProgress } from "../Progress.ts"

const json = Options.boolean("json").pipe(Options.withDescription("Print JSON instead of a table."))
// Optional at parse time so that `tcg export` (a subcommand) does not require the parent's options.
const dataset = Options.text("dataset").pipe(Options.optional, Options.withDescription("Dataset name in the store (import it first); required."))
const split = Options.text("split").pipe(Options.optional, Options.withDescription("Only this split."))
const limit = Options.integer("limit").pipe(Options.optional, Options.withDescription("At most this many problems (task order)."))
const generator = Options.choice("generator", ["mutation", "llm", "dataset", "all", "reduced"]).pipe(
  Options.withDefault("mutation" as const),
  Options.withDescription("mutation (type-aware input mutation), llm (TCG model), dataset (visible tests), all, reduced (set cover of `all`).")
)
const model = Options.text("model").pipe(
  Options.optional,
  Options.withDescription("TCG model spec for llm/all, e.g. simulated-tcg, simulated-tcg:0.3, openai:http://host:8000/v1#model.")
)
const budget = Options.integer("budget").pipe(Options.withDefault(60), Options.withDescription("Mutated inputs tried per problem."))
const seed = Options.integer("seed").pipe(Options.withDefault(0), Options.withDescription("Seed of mutation, sampling and mutants."))
const mutants = Options.integer("mutants").pipe(Options.withDefault(20), Options.withDescription("Reference mutants for the mutation score (0: skip)."))
const samples = Options.integer("samples").pipe(Options.withDefault(2), Options.withDescription("LLM completions per problem (3 cases each)."))

const pct = (x: number | null) => (x === null ? null : Math.round(x * 1000) / 10)

/** Pooled totals over suites: kept and dropped by reason, validity over validated cases, mutants killed. */
const summarise = (generatorName: string, stats: ReadonlyArray<SuiteStats>) => {
  const sum = (f: (s: SuiteStats) => number) => stats.reduce((a, s) => a + f(s), 0)
  const validated = sum((s) => s.validated)
  const passed = sum((s) => (s.validity ?? 0) * s.validated)
  const mutantsTotal = sum((s) => s.mutants)
  return {
    generator: generatorName,
    problems: stats.length,
    generated: sum((s) => s.generated),
    kept: sum((s) => s.kept),
    ...Object.fromEntries(DROP_REASONS.map((r) => [r, sum((s) => s.dropped?.[r] ?? 0)])),
    validity_pct: validated > 0 ? pct(passed / validated) : null,
    mutation_score_pct: mutantsTotal > 0 ? pct(sum((s) => s.killed) / mutantsTotal) : null,
    mean_size: stats.length > 0 ? sum((s) => s.size) / stats.length : 0
  }
}

const build = Command.make(
  "tcg",
  { dataset, split, limit, generator, model, budget, seed, mutants, samples, json },
  (o) =>
    Effect.gen(function* () {
      if (Option.isNone(o.dataset)) return yield* Effect.fail(new Error("--dataset is required (e.g. --dataset mbpp-plus)"))
      const datasetName = o.dataset.value
      const problemsRepo = yield* ProblemsRepo
      const problems = yield* problemsRepo.list({ dataset: datasetName, split: Option.getOrUndefined(o.split), limit: Option.getOrUndefined(o.limit) })
      if (problems.length === 0) {
        yield* Console.error(`no problems in dataset ${datasetName}${Option.isSome(o.split) ? ` split ${o.split.value}` : ""}: import them first`)
        return
      }
      const tcgModel = Option.isSome(o.model)
        ? yield* ModelSpecs.make(o.model.value, { role: "tcg", problems })
        : undefined
      if ((o.generator === "llm") && tcgModel === undefined) {
        return yield* Effect.fail(new Error("--generator llm needs --model (e.g. --model simulated-tcg)"))
      }
      const gen = yield* TestGen
      const progress = yield* makeProgress(`tcg ${o.generator}`, problems.length)
      let done = 0
      const failures: Array<{ problem: string; reason: string }> = []
      const results = yield* Effect.forEach(
        problems,
        (problem) =>
          gen
            .suiteFor(problem, { generator: o.generator, budget: o.budget, seed: o.seed, mutants: o.mutants, samples: o.samples, model: tcgModel })
            .pipe(
              Effect.map((b) => ({ problem: problem.id, suiteId: b.suite.id as string, reused: b.reused, size: b.suite.cases.length, stats: b.stats })),
              Effect.catchAll((e) => Effect.sync(() => {
                failures.push({ problem: problem.id, reason: e.reason })
                return undefined
              })),
              Effect.tap(() => progress.update(++done, problem.id))
            ),
        { concurrency: 2 }
      )
      yield* progress.finish()
      const built = results.filter((r) => r !== undefined)
      const summary = summarise(o.generator, built.map((r) => r.stats))
      yield* output(
        o.json,
        { summary, failures, suites: built },
        Effect.gen(function* () {
          yield* printTable([summary])
          if (failures.length > 0) {
            yield* Console.log(`\n${failures.length} problem(s) failed:`)
            yield* printTable(failures.slice(0, 20))
          }
          const reused = built.filter((r) => r.reused).length
          if (reused > 0) yield* Console.log(`${reused} suite(s) were already stored and reused.`)
        })
      )
    }).pipe(Effect.scoped, provide("tcg"))
).pipe(
  Command.withDescription(
    "Generate, validate and store a test suite per problem\n" +
      "Prints the cases kept and dropped by reason, validity (share of generated cases the reference passes) and\n" +
      "mutation score (share of the reference's mutants the suite kills). Suites are stored per (problem,\n" +
      "generator, options) and reused.\n\n" +
      "Example:\n" +
      "  o1coder tcg --dataset demo --limit 3 --generator all --model simulated-tcg"
  )
)

const format = Options.choice("format", ["sft", "dpo"]).pipe(Options.withDescription("sft: {prompt, completion}; dpo: {prompt, chosen, rejected} (TRL)."))
const out = Options.file("out").pipe(Options.withDescription("Output JSONL file."))
const exportDataset = Options.text("dataset").pipe(Options.optional, Options.withDescription("Only suites of this dataset."))
const exportGenerator = Options.text("generator").pipe(Options.optional, Options.withDescription("Only suites of this generator."))

const exportCommand = Command.make("export", { format, out, dataset: exportDataset, split, generator: exportGenerator, json }, (o) =>
  Effect.gen(function* () {
    yield* (yield* ProblemsRepo).requireMatch({ dataset: Option.getOrUndefined(o.dataset), split: Option.getOrUndefined(o.split) })
    const result = yield* (yield* TcgExporter).export({
      format: o.format,
      out: o.out,
      filters: { dataset: Option.getOrUndefined(o.dataset), split: Option.getOrUndefined(o.split), generator: Option.getOrUndefined(o.generator) }
    })
    yield* output(o.json, result, printTable([result]))
  }).pipe(provide("tcg"))
).pipe(
  Command.withDescription(
    "Write test-generator training data from stored suites\n" +
      "SFT records (the TCG template with validated cases) or DPO records (chosen: validated cases; rejected: the\n" +
      "same inputs with outputs shuffled), recorded in `datasets`.\n\n" +
      "Example:\n" +
      "  o1coder tcg export --format dpo --out data/tcg-dpo.jsonl --dataset demo"
  )
)

export const tcg = build.pipe(Command.withSubcommands([exportCommand]))

export const commands = [tcg] as const

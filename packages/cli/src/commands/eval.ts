import { Args, Command, Options } from "@effect/cli"
import { InputError } from "@o1coder/domain"
import * as Evaluate from "@o1coder/eval/Evaluate"
import { Evaluator } from "@o1coder/eval/Evaluator"
import { parseKs } from "@o1coder/eval/PassAtK"
import { indexSamplesFile, isBadLine, matchSamples } from "@o1coder/eval/Samples"
import { searchOnVisibleTests } from "@o1coder/eval/SearchAdapter"
import * as ModelSpecs from "@o1coder/models/ModelSpecs"
import { SearchConfig } from "@o1coder/search"
import { EvaluationsRepo, type EvaluationRecord } from "@o1coder/store/EvaluationsRepo"
import { ProblemsRepo } from "@o1coder/store/ProblemsRepo"
import { Console, Effect, Option } from "effect"
import * as NodeFs from "node:fs"
import { provide } from "../Layers.ts"
import { formatCell } from "../Output.ts"
import { output, printTable } from "../Output.ts"
import { makeProgress } from "../Progress.ts"
// mcts mode: the search's prompt and step options.
import { examples, modelNotices, stepMaxTokens } from "./search.ts"

// Evaluation takes the search's services (the same Reward; executions through the execution cache,
// which logs their purpose, search or scoring, in execution_log).
const json = Options.boolean("json").pipe(Options.withDescription("Print the result as JSON."))
const dataset = Options.text("dataset").pipe(
  Options.optional,
  Options.withDescription("Imported dataset to evaluate: mbpp, mbpp-sanitized, mbpp-plus, humaneval, humaneval-plus, apps, ...")
)
const split = Options.text("split").pipe(Options.optional, Options.withDescription("Only this split (MBPP: test = tasks 11-510). Default: every split."))
const limit = Options.integer("limit").pipe(Options.optional, Options.withDescription("The first N problems (natural task order)."))
const policy = Options.text("policy").pipe(
  Options.optional,
  Options.withDescription(
    "`reference` (the default: the dataset's reference solution, proves the harness, must score 100%) or a model spec " +
      "(openai:<url>#<model>, llama:<file.gguf>, simulated[:<params.json>], replay:<run>). Not with --samples FILE."
  )
)
const mode = Options.choice("mode", ["direct", "mcts"] as const).pipe(
  Options.withDefault("direct" as const),
  Options.withDescription("direct: sample from the benchmark's standard prompt; mcts: one search per problem on search-visible tests.")
)
const samples = Options.text("samples").pipe(
  Options.optional,
  Options.withDescription(
    "A number n of samples per problem (direct mode), or a JSONL FILE of EvalPlus-style samples " +
      "{\"task_id\", \"solution\"|\"completion\"} produced elsewhere (task ids as Mbpp/2, HumanEval/0, or MBPP integers)."
  )
)
const ks = Options.text("ks").pipe(
  Options.withAlias("k"),
  Options.withDefault("1"),
  Options.withDescription("pass@k values to report, e.g. -k 1,10 (also --ks; @effect/cli spells one-letter options with one dash).")
)
const seed = Options.integer("seed").pipe(Options.withDefault(0), Options.withDescription("Sampling and search seed."))
const rollouts = Options.integer("rollouts").pipe(Options.withDefault(15), Options.withDescription("MCTS rollouts per problem (mcts mode)."))
const temperature = Options.float("temperature").pipe(Options.optional, Options.withDescription("Sampling temperature (default 0 for n = 1, else 0.8)."))
const runId = Options.text("run").pipe(Options.optional, Options.withDescription("Record the evaluation under this run id."))
const out = Options.file("out").pipe(
  Options.optional,
  Options.withDescription("Write one JSON line per scored sample (task_id, sample, line, passed, base_passed, verdicts, first_failure).")
)
const lenient = Options.boolean("lenient").pipe(
  Options.withDescription("With --samples FILE: score the usable lines when some are malformed or name another dataset's task (default: exit 1).")
)
const scoring = Options.choice("scoring", ["fast", "full"] as const).pipe(
  Options.withDefault("fast" as const),
  Options.withDescription("fast: a sample stops at its first failing test, per-test limits from the reference's time; full: every test runs.")
)
const concurrency = Options.integer("concurrency").pipe(Options.withDefault(4), Options.withDescription("Problems evaluated at once."))

const pct = (x: number | undefined) => (x === undefined ? "n/a" : `${(100 * x).toFixed(1)}%`)

const printReport = (record: EvaluationRecord, withTable: boolean) =>
  Effect.gen(function* () {
    const e = record.evaluation
    yield* Console.log(`evaluation ${e.id}: ${e.dataset}/${e.split} mode ${e.mode}, model ${e.modelVersion ?? "?"}${e.runId !== null ? `, run ${e.runId} round ${e.round}` : ""}`)
    yield* Console.log(e.protocol)
    const passKeys = Object.keys(e.metrics).filter((k) => /pass@\d+$/.test(k)).sort()
    // An input the reference could not label is not scored: the headline says so, not only a note.
    const unscored = e.metrics.inputs_unscored ?? e.metrics.unlabelled_inputs ?? 0
    const caveat = unscored > 0 ? ` (NOT all inputs scored: ${unscored} of ${unscored + (e.metrics.inputs_scored ?? 0)} left out, see notes)` : ""
    for (const k of passKeys) yield* Console.log(`${k}: ${pct(e.metrics[k])}${caveat}`)
    if (e.metrics.aspr !== undefined) yield* Console.log(`aspr: ${pct(e.metrics.aspr)}`)
    const rest = Object.entries(e.metrics).filter(([k]) => !passKeys.includes(k) && k !== "aspr")
    yield* Console.log(rest.map(([k, v]) => `${k} ${formatCell(v)}`).join(", "))
    for (const n of record.notes) yield* Console.log(`note: ${n}`)
    if (withTable) {
      yield* printTable(
        e.details.map((d) => {
          const detail = (d.detail ?? {}) as Record<string, unknown>
          return {
            problem: d.problemId,
            passed: d.passed,
            samples: d.samples,
            base: typeof detail.basePassed === "number" ? detail.basePassed : null,
            tests: typeof detail.tests === "number" ? detail.tests : null,
            aspr: typeof detail.aspr === "number" ? detail.aspr : null
          }
        })
      )
      const failing = e.details.filter((d) => d.passed < d.samples || d.samples === 0)
      if (failing.length > 0) yield* Console.log(`\nfailures (${failing.length} problems; first failing sample's verdicts):`)
      for (const d of failing) {
        const detail = (d.detail ?? {}) as { failures?: ReadonlyArray<Evaluate.FailedTest>; error?: string }
        yield* Console.log(`${d.problemId}: ${d.passed}/${d.samples} passed${detail.error !== undefined ? ` (${detail.error})` : ""}`)
        for (const f of detail.failures ?? []) {
          yield* Console.log(`  ${f.status}: ${f.test.replace(/\n/g, "⏎")}${f.seen !== undefined ? `  seen ${f.seen}` : ""}${f.error !== undefined ? `  ${f.error.replace(/\n/g, "⏎")}` : ""}`)
        }
      }
    }
  })

/** The EvalPlus-style task id of a problem (`Mbpp/2`, `HumanEval/0`), else its own. */
const benchmarkTaskId = (dataset: string, taskId: string) =>
  dataset.startsWith("mbpp") ? `Mbpp/${taskId}` : dataset.startsWith("humaneval") ? `HumanEval/${taskId}` : taskId

const sampleLine = (dataset: string, r: Evaluate.SampleResult) =>
  JSON.stringify({
    task_id: benchmarkTaskId(dataset, r.task),
    sample: r.sample,
    ...(r.line !== undefined ? { line: r.line } : {}),
    passed: r.passed,
    base_passed: r.basePassed,
    verdicts: r.counts,
    ...(r.firstFailure !== undefined ? { first_failure: r.firstFailure } : {})
  })

const usageError = (reason: string) =>
  Effect.zipRight(Effect.sync(() => void (process.exitCode = 2)), Effect.fail(new InputError({ file: "eval", reason })))

const evaluate = (o: {
  readonly dataset: string
  readonly split: Option.Option<string>
  readonly limit: Option.Option<number>
  readonly policy: Option.Option<string>
  readonly out: Option.Option<string>
  readonly lenient: boolean
  readonly scoring: "fast" | "full"
  readonly mode: "direct" | "mcts"
  readonly samples: Option.Option<string>
  readonly ks: string
  readonly seed: number
  readonly rollouts: number
  readonly examples: "on" | "off"
  readonly stepMaxTokens: number
  readonly temperature: Option.Option<number>
  readonly runId: Option.Option<string>
  readonly concurrency: number
  readonly json: boolean
}) =>
    Effect.gen(function* () {
      const problemsRepo = yield* ProblemsRepo
      const problems = yield* problemsRepo.list({
        dataset: o.dataset,
        split: Option.getOrUndefined(o.split),
        limit: Option.getOrUndefined(o.limit)
      })
      if (problems.length === 0) {
        return yield* new InputError({ file: o.dataset, reason: `no problems imported for dataset ${o.dataset}${Option.isSome(o.split) ? ` split ${o.split.value}` : ""} (run o1coder problems import first)` })
      }
      const samplesText = Option.getOrUndefined(o.samples)
      const n = samplesText !== undefined && /^\d+$/.test(samplesText) ? Number(samplesText) : undefined
      const file = samplesText !== undefined && n === undefined ? samplesText : undefined
      const runIdValue = Option.getOrUndefined(o.runId)
      let policyValue: Evaluate.EvalPolicy
      const policySpec = Option.getOrElse(o.policy, () => "reference")
      if (file !== undefined) {
        if (Option.isSome(o.policy)) return yield* usageError(`--policy ${o.policy.value} cannot be used with --samples FILE (the samples are the answers)`)
        if (!NodeFs.existsSync(file)) return yield* new InputError({ file, reason: "samples file not found" })
        // Indexed, not read whole: each problem's samples are read back when it is scored.
        const parsed = indexSamplesFile(file)
        const bad = [...parsed.issues, ...matchSamples(parsed.records, problems).issues].filter(isBadLine).sort((a, b) => a.line - b.line)
        if (bad.length > 0 && !o.lenient) {
          for (const issue of bad) yield* Console.error(`${file}: ${issue.message}`)
          return yield* new InputError({ file, reason: `${bad.length} bad line(s) (${bad.map((i) => i.line).join(", ")}); nothing scored (--lenient scores the rest)` })
        }
        policyValue = { _tag: "samples", file, ...parsed }
      } else if (policySpec === "reference") {
        policyValue = { _tag: "reference" }
      } else {
        const model = yield* ModelSpecs.make(policySpec, { role: "policy", problems, runId: runIdValue, openai: modelNotices })
        policyValue = { _tag: "model", model }
      }
      const outFile = Option.getOrUndefined(o.out)
      if (outFile !== undefined) NodeFs.writeFileSync(outFile, "")
      const progress = yield* makeProgress(`eval ${o.dataset}`, problems.length)
      const report = yield* (yield* Evaluator).run({
        problems,
        dataset: o.dataset,
        split: Option.getOrElse(o.split, () => "all"),
        mode: o.mode,
        policy: policyValue,
        samples: n,
        ks: parseKs(o.ks),
        seed: o.seed,
        temperature: Option.getOrUndefined(o.temperature),
        runId: runIdValue,
        concurrency: o.concurrency,
        search:
          o.mode === "mcts" && policyValue._tag === "model"
            ? searchOnVisibleTests({
              policy: policyValue.model,
              policySpec,
              config: new SearchConfig({ rollouts: o.rollouts, seed: o.seed, examples: o.examples === "on", stepMaxTokens: o.stepMaxTokens })
            })
            : undefined,
        scoring: o.scoring,
        ...(outFile !== undefined ? { onSample: (r: Evaluate.SampleResult) => Effect.sync(() => NodeFs.appendFileSync(outFile, sampleLine(o.dataset, r) + "\n")) } : {}),
        onProgress: (done) => progress.update(done)
      })
      yield* progress.finish()
      const record = { evaluation: report.evaluation, notes: report.notes }
      yield* output(o.json, { ...report.evaluation, notes: report.notes }, printReport(record, false))
    }).pipe(Effect.scoped, provide("search"))

const DESCRIPTION = "Score a policy on a benchmark's held-out tests\n" +
      "Prints pass@k (unbiased estimator), base vs plus for MBPP+/HumanEval+, ASPR in mcts mode, and the test\n" +
      "protocol: what the model saw, what search could execute, what only scored. The result is stored (see\n" +
      "`o1coder eval show`). --samples FILE scores EvalPlus-style samples written by another tool (a bad line:\n" +
      "exit 1, --lenient scores the rest); --out FILE writes one JSON line per sample. MBPP+ and HumanEval+ are\n" +
      "graded by EvalPlus's rules; --scoring fast (default) stops a sample at its first failing test.\n\n" +
      "Examples:\n" +
      "  o1coder eval --dataset demo --policy reference --mode direct\n" +
      "  o1coder eval --dataset demo --limit 4 --policy simulated --mode mcts \\\n" +
      "      --rollouts 4"

const id = Args.text({ name: "ID" }).pipe(Args.withDescription("An evaluation id (printed by `o1coder eval`, or `select id from evaluations`)."))

const showSamples = Options.boolean("samples").pipe(Options.withDescription("Print one line per scored sample: passed, verdict counts, first failure."))

/** Per-sample results of a stored evaluation (details[].detail.samples), as `--out` writes them. */
const samplesOf = (record: EvaluationRecord) =>
  record.evaluation.details.flatMap((d) => {
    const detail = (d.detail ?? {}) as { taskId?: string; samples?: ReadonlyArray<Omit<Evaluate.SampleResult, "task" | "problemId">> }
    return (detail.samples ?? []).map((s) => ({ ...s, task: detail.taskId ?? String(d.problemId), problemId: String(d.problemId) }))
  })

const show = Command.make("show", { id, json, samples: showSamples }, (o) =>
  Effect.gen(function* () {
    const repo = yield* EvaluationsRepo
    const record = yield* repo.get(o.id)
    if (o.samples) {
      const dataset = record.evaluation.dataset
      const rows = samplesOf(record)
      if (rows.length === 0 && !o.json) {
        return yield* Console.log(`evaluation ${record.evaluation.id} stored no per-sample results (only per-problem counts): o1coder eval show ${record.evaluation.id}`)
      }
      return yield* output(
        o.json,
        rows.map((r) => JSON.parse(sampleLine(dataset, r))),
        Effect.forEach(rows, (r) => {
          const f = r.firstFailure
          const counts = Object.entries(r.counts).map(([k, v]) => `${k} ${v}`).join(", ")
          return Console.log(
            `${benchmarkTaskId(dataset, r.task)} #${r.sample}${r.line !== undefined ? ` (line ${r.line})` : ""}: ${r.passed ? "passed" : "FAILED"} [${counts}]` +
              (f !== undefined ? `  first failure: ${f.status}${f.input !== undefined ? ` on (${f.input})` : ""}${f.seen !== undefined ? ` seen ${f.seen}` : ""}${f.error !== undefined ? ` ${f.error.replace(/\n/g, "⏎")}` : ""}` : "")
          )
        }, { discard: true })
      )
    }
    yield* output(o.json, { ...record.evaluation, notes: record.notes }, printReport(record, true))
  }).pipe(provide("store"))
).pipe(
  Command.withDescription(
    "Show a stored evaluation\n" +
      "Its metrics, test protocol, the per-problem table and the failures' verdicts. ID is printed by `o1coder eval`\n" +
      "and listed by `o1coder eval list`.\n\n" +
      "--samples prints one line per scored sample instead.\n\n" +
      "Example:\n" +
      "  o1coder eval show EVAL_ID --samples"
  )
)

const list = Command.make("list", { json }, (o) =>
  Effect.gen(function* () {
    const repo = yield* EvaluationsRepo
    const records = yield* repo.list({ limit: 50 })
    const rows = records.map(({ evaluation: e }) => ({
      id: e.id,
      dataset: e.dataset,
      split: e.split,
      mode: e.mode,
      model: e.modelVersion,
      run: e.runId,
      round: e.round,
      "pass@1": e.metrics["pass@1"] ?? null,
      aspr: e.metrics.aspr ?? null,
      problems: e.metrics.problems ?? null,
      created: e.createdAt
    }))
    yield* output(o.json, rows, printTable(rows))
  }).pipe(provide("store"))
).pipe(Command.withDescription("List stored evaluations, newest first\n\nExample:\n  o1coder eval list"))

// `o1coder eval --dataset ...` runs an evaluation; `eval show ID` and `eval list` read stored ones.
const evalCommand = Command.make(
  "eval",
  { dataset, split, limit, policy, mode, samples, out, lenient, scoring, ks, seed, rollouts, examples, stepMaxTokens, temperature, runId, concurrency, json },
  (o) =>
    Option.match(o.dataset, {
      onNone: () => Effect.fail(new InputError({ file: "eval", field: "--dataset", reason: "required (or use `eval show ID` / `eval list`)" })),
      onSome: (d) => evaluate({ ...o, dataset: d })
    })
).pipe(Command.withDescription(DESCRIPTION), Command.withSubcommands([show, list]))

export const commands = [evalCommand] as const

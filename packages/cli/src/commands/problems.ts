import { Args, Command, Options } from "@effect/cli"
import { FORMATS, importProblems, inferFormat, testVisibility } from "@o1coder/problems"
import { InputError, Problem, type Test } from "@o1coder/domain"
import { ProblemsRepo } from "@o1coder/store/ProblemsRepo"
import { Console, Effect, Option, Schema } from "effect"
import { provide } from "../Layers.ts"
import { output, printJson, printTable } from "../Output.ts"

const json = Options.boolean("json").pipe(Options.withDescription("Print JSON instead of a table."))

const path = Args.text({ name: "PATH" }).pipe(Args.withDescription("The benchmark file (.jsonl, .jsonl.gz or .json)."))
const format = Options.choice("format", FORMATS).pipe(
  Options.optional,
  Options.withDescription(
    "mbpp | mbpp-sanitized | mbpp-plus | humaneval | humaneval-plus | apps | jsonl (o1coder's generic format). " +
      "Inferred from the file name when left out (mbpp.jsonl, sanitized-mbpp.json, MbppPlus.jsonl, HumanEval*.jsonl[.gz], apps*.jsonl, other .jsonl)."
  )
)
const importDataset = Options.text("dataset").pipe(
  Options.optional,
  Options.withDescription("Dataset name (problem ids become <dataset>/<task id>). Default: the format's name; for jsonl the file's base name.")
)

const importCommand = Command.make("import", { path, format, dataset: importDataset, json }, (o) =>
  Effect.gen(function* () {
    const chosen = Option.getOrUndefined(o.format) ?? inferFormat(o.path)
    if (chosen === undefined) {
      return yield* new InputError({ file: o.path, reason: `cannot infer the format from the file name: pass --format (${FORMATS.join(", ")})` })
    }
    const report = yield* importProblems(o.path, { format: chosen, dataset: Option.getOrUndefined(o.dataset) })
    const rejected = report.rejected.map((e) => ({ file: e.file, line: e.line ?? null, field: e.field ?? null, reason: e.reason }))
    yield* output(
      o.json,
      { ...report, rejected },
      Effect.gen(function* () {
        yield* Console.log(`${report.file} (${report.format}): imported ${report.imported}, rejected ${report.rejected.length}, skipped ${report.skipped.reduce((n, s) => n + s.count, 0)}`)
        for (const s of report.skipped) yield* Console.log(`  skipped ${s.count}: ${s.reason}`)
        for (const e of report.rejected) {
          yield* Console.error(`${e.file}:${e.line ?? "?"}: ${e.field ?? "(record)"}: ${e.reason}`)
        }
      })
    )
    if (report.rejected.length > 0) process.exitCode = 1
  }).pipe(provide("store"))
).pipe(
  Command.withDescription(
    "Import a benchmark file into the store\n" +
      "Idempotent: re-importing replaces problems by id. Malformed records are listed as file:line: field: reason,\n" +
      "the valid ones are still imported, and the exit code is 1 if anything was rejected.\n\n" +
      "Examples:\n" +
      "  o1coder problems import packages/problems/data/demo-problems.jsonl \\\n" +
      "      --format jsonl --dataset mine\n" +
      "  o1coder problems import ../shared/data/mbpp/mbpp.jsonl --format mbpp"
  )
)

const listDataset = Options.text("dataset").pipe(Options.optional, Options.withDescription("Only this dataset (e.g. mbpp, mbpp-plus, apps, demo)."))
const split = Options.text("split").pipe(Options.optional, Options.withDescription("Only this split (MBPP: prompt, test, validation, train)."))
const limit = Options.integer("limit").pipe(Options.withDefault(50), Options.withDescription("At most this many rows (default 50)."))
const offset = Options.integer("offset").pipe(Options.withDefault(0), Options.withDescription("Skip this many rows first."))

const firstLine = (text: string, width: number) => {
  const line = text.trim().split("\n")[0] ?? ""
  return line.length > width ? line.slice(0, width - 1) + "…" : line
}

const list = Command.make("list", { dataset: listDataset, split, limit, offset, json }, (o) =>
  Effect.gen(function* () {
    const repo = yield* ProblemsRepo
    const filter = { dataset: Option.getOrUndefined(o.dataset), split: Option.getOrUndefined(o.split) }
    yield* repo.requireMatch(filter)
    const problems = yield* repo.list({ ...filter, limit: o.limit, offset: o.offset })
    const total = yield* repo.count(filter)
    if (o.json) return yield* printJson(Schema.encodeSync(Schema.Array(ProblemSummary))(problems.map(summary)))
    yield* printTable(
      problems.map((p) => ({
        id: p.id,
        split: p.split,
        kind: p.kind,
        entry_point: p.entryPoint ?? "",
        visible: p.visibleTests.length,
        held_out: p.heldOutTests.length + p.heldOutInputs.length,
        statement: firstLine(p.statement, 60)
      }))
    )
    if (total > problems.length) yield* Console.log(`${problems.length} of ${total} shown (--limit, --offset)`)
  }).pipe(provide("store"))
).pipe(
  Command.withDescription(
    "List imported problems in task order\n" +
      "With split, kind, entry point and the visible and held-out test counts.\n\n" +
      "Example:\n" +
      "  o1coder problems list --dataset demo --limit 10"
  )
)

const ProblemSummary = Schema.Struct({
  id: Schema.String,
  dataset: Schema.String,
  taskId: Schema.String,
  split: Schema.String,
  kind: Schema.String,
  entryPoint: Schema.optional(Schema.String),
  visibleTests: Schema.Number,
  heldOutTests: Schema.Number,
  heldOutInputs: Schema.Number,
  statement: Schema.String
})
const summary = (p: Problem): typeof ProblemSummary.Type => ({
  id: p.id,
  dataset: p.dataset,
  taskId: p.taskId,
  split: p.split,
  kind: p.kind,
  ...(p.entryPoint !== undefined ? { entryPoint: p.entryPoint } : {}),
  visibleTests: p.visibleTests.length,
  heldOutTests: p.heldOutTests.length,
  heldOutInputs: p.heldOutInputs.length,
  statement: p.statement
})

const id = Args.text({ name: "ID" }).pipe(Args.withDescription("A problem id, <dataset>/<task id>, e.g. mbpp/11."))

const testLine = (t: Test, entryPoint = "f"): string =>
  t._tag === "call"
    ? `call  ${entryPoint}(${t.args}) == ${t.expected}${t.atol !== undefined ? `  (atol ${t.atol})` : ""}`
    : t._tag === "assert"
      ? `assert  ${t.source.replace(/\n/g, "⏎ ")}`
      : `stdio  ${JSON.stringify(t.input)} -> ${JSON.stringify(t.output)}`

const show = Command.make("show", { id, json }, (o) =>
  Effect.gen(function* () {
    const p = yield* (yield* ProblemsRepo).get(o.id)
    if (o.json) return yield* printJson(Schema.encodeSync(Problem)(p))
    const proto = testVisibility(p.dataset)
    const lines = [
      `id:         ${p.id}   (dataset ${p.dataset}, task ${p.taskId}, split ${p.split}, kind ${p.kind})`,
      ...(p.entryPoint !== undefined ? [`entry:      ${p.entryPoint}`] : []),
      ...(p.signature !== undefined ? [`signature:  ${p.signature}`] : []),
      ...(p.atol !== undefined ? [`atol:       ${p.atol}`] : []),
      "",
      "statement:",
      p.statement,
      ...(p.setup !== undefined ? ["", "setup:", p.setup] : []),
      ...(p.reference !== undefined ? ["", "reference:", p.reference.trimEnd()] : []),
      "",
      `visible tests (${p.visibleTests.length}; ${proto.visible}):`,
      ...p.visibleTests.map((t) => `  ${testLine(t, p.entryPoint)}`),
      "",
      `held-out tests (${p.heldOutTests.length}; ${proto.heldOut}):`,
      ...p.heldOutTests.map((t) => `  ${testLine(t, p.entryPoint)}`),
      ...(p.heldOutInputs.length > 0
        ? ["", `held-out inputs (${p.heldOutInputs.length}, labelled by the reference), first 5:`, ...p.heldOutInputs.slice(0, 5).map((a) => `  ${p.entryPoint ?? "f"}(${a.length > 200 ? a.slice(0, 199) + "…" : a})`)]
        : [])
    ]
    yield* Console.log(lines.join("\n"))
  }).pipe(provide("store"))
).pipe(
  Command.withDescription(
    "Show one problem\n" +
      "Its statement, reference solution, visible and held-out tests and the benchmark's protocol.\n\n" +
      "Example:\n" +
      "  o1coder problems show demo/sum_to_n"
  )
)

export const problems = Command.make("problems").pipe(
  Command.withDescription("Benchmark problems: import, list, show"),
  Command.withSubcommands([importCommand, list, show])
)

export const commands = [problems] as const

/**
 * "Trains" the SIMULATED policy of the offline demo: a real training command for the local
 * trainer backend that reads the round's exported data and writes a new parameter file.
 *
 *   npx tsx packages/selfplay/scripts/train-simulated.ts --data FILE --base SPEC --out DIR [--problems FILE --format F --dataset NAME] [--rate 0.5]
 *
 * - Preference pairs (TRL `{prompt, chosen, rejected}`, iterative DPO) are used as they are.
 * - SFT records (`{prompt, completion}` or `{messages}`, D+) count as pairs whose chosen side is
 *   the correct completion: SFT on correct paths raises the chance of writing them again.
 * - PRM records (`{prompt, completions, labels}` or O1-CODER's) make a "PRM": the share of
 *   positive labels per step prefix, written to DIR/prm.json (the simulated PRM artifact).
 * The base SPEC is `simulated` (default parameters) or `simulated:PATH` (a parameter file).
 * Writes DIR/params.json (policy) and prints what changed. Exits 3 when no record names a problem
 * of `--problems` (wrong file, format or dataset name): a "training" that changes nothing silently
 * is a failed job.
 */
import { Effect } from "effect"
import * as NodeFs from "node:fs"
import * as NodePath from "node:path"
import { inferFormat, readProblems, type Format } from "@o1coder/problems/Import"
import { problemLookup } from "@o1coder/models/Simulated"
import { decodeParams, defaultParams, encodeParams } from "@o1coder/models/SimulatedPolicy"
import { trainSimulatedPolicy } from "@o1coder/models/TrainSimulated"

const args = process.argv.slice(2)
const arg = (name: string): string | undefined => {
  const i = args.indexOf(`--${name}`)
  return i >= 0 ? args[i + 1] : undefined
}
const fail = (message: string, code = 3): never => {
  process.stderr.write(`train-simulated: ${message}\n`)
  process.exit(code)
}

const data = arg("data") ?? fail("--data FILE is required", 2)
const out = arg("out") ?? fail("--out DIR is required", 2)
const base = arg("base") ?? "simulated"
const rate = Number(arg("rate") ?? "0.5")
const problemsFile = arg("problems")
/** The dataset name the problems were imported under (their ids are `<dataset>/<task id>`). */
const dataset = arg("dataset")

const lines = NodeFs.readFileSync(data, "utf8").split("\n").filter((l) => l.trim() !== "")
const records = lines.map((l) => JSON.parse(l) as Record<string, any>)
NodeFs.mkdirSync(out, { recursive: true })
// One line per start: tests prove that a resumed run never starts a job twice.
NodeFs.appendFileSync(NodePath.join(out, "starts.log"), `started pid ${process.pid}\n`)

const isPrm = records.some((r) => Array.isArray(r.labels) || "has_final_step" in r)
if (isPrm) {
  // The simulated PRM: mean label per step prefix (the prompt plus the steps so far).
  const table: Record<string, { n: number; positive: number }> = {}
  for (const r of records) {
    const steps: Array<[string, number]> = Array.isArray(r.labels)
      ? r.completions.map((c: string, i: number) => [`${r.prompt}${r.completions.slice(0, i).join("")}${c}`, r.labels[i] ? 1 : 0])
      : [[`${r.prompt}${r.response}`, typeof r.label === "number" ? r.label : r.label === "positive" ? 1 : 0]]
    for (const [prefix, label] of steps) {
      const entry = (table[prefix] ??= { n: 0, positive: 0 })
      entry.n++
      entry.positive += label
    }
  }
  NodeFs.writeFileSync(NodePath.join(out, "prm.json"), JSON.stringify({ kind: "simulated-prm", prefixes: table }, null, 1))
  process.stdout.write(`simulated PRM: ${Object.keys(table).length} step prefixes from ${records.length} records -> ${out}/prm.json\n`)
  process.exit(0)
}

const pairs = records
  .map((r) => {
    if (typeof r.chosen === "string") return r
    if (typeof r.completion === "string") return { prompt: r.prompt, chosen: r.completion, rejected: "" }
    if (Array.isArray(r.messages)) {
      const prompt = r.messages.filter((m: any) => m.role !== "assistant").map((m: any) => m.content).join("\n")
      const chosen = r.messages.filter((m: any) => m.role === "assistant").map((m: any) => m.content).join("\n")
      return { prompt, chosen, rejected: "" }
    }
    return undefined
  })
  .filter((p) => p !== undefined)

const baseParams = base.startsWith("simulated:")
  ? decodeParams(JSON.parse(NodeFs.readFileSync(base.slice("simulated:".length), "utf8")))
  : defaultParams()
const format = (arg("format") ?? (problemsFile !== undefined ? inferFormat(problemsFile) : undefined) ?? "jsonl") as Format
const problems =
  problemsFile === undefined
    ? []
    : Effect.runSync(readProblems(problemsFile, format, dataset)).problems.map((r) => r.problem)
if (problems.length > 0) {
  const lookup = problemLookup(problems)
  if (pairs.length > 0 && !pairs.some((p) => lookup(String(p.prompt ?? "")) !== undefined)) {
    fail(`none of ${pairs.length} records names a problem of ${problemsFile} (format ${format}, dataset ${dataset ?? "default"}): wrong --problems, --format or --dataset?`)
  }
}
const trained = trainSimulatedPolicy(baseParams, pairs.map((p) => JSON.stringify(p)).join("\n"), { problems, rate })
NodeFs.writeFileSync(NodePath.join(out, "params.json"), JSON.stringify(encodeParams(trained), null, 1) + "\n")
const raised = Object.keys(trained.perProblem).filter((id) => trained.perProblem[id] !== baseParams.perProblem[id])
process.stdout.write(
  `simulated policy v${baseParams.version} -> v${trained.version}: ${pairs.length} pairs, pCorrect raised on ${raised.length} problem(s) -> ${out}/params.json\n`
)

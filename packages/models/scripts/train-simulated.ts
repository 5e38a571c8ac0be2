/**
 * Local "training" of the simulated policy (a test double), usable as a training command:
 *
 *   npx tsx packages/models/scripts/train-simulated.ts --params in.json --pairs pairs.jsonl --out out.json \
 *     [--problems problems.jsonl] [--rate 0.5]
 *
 * `--params` may be absent (defaults), `--problems` is JSONL of encoded Problem objects (to find a
 * pair's problem from its prompt and check that its chosen code is the reference).
 */
import { Problem } from "@o1coder/domain"
import { Schema } from "effect"
import * as NodeFs from "node:fs"
import { parseArgs } from "node:util"
import { encodeParams } from "../src/SimulatedPolicy.ts"
import { trainSimulatedPolicy } from "../src/TrainSimulated.ts"

const { values } = parseArgs({
  options: {
    params: { type: "string" },
    pairs: { type: "string" },
    out: { type: "string" },
    problems: { type: "string" },
    rate: { type: "string" }
  }
})
if (values.pairs === undefined || values.out === undefined) {
  console.error("usage: train-simulated.ts [--params in.json] --pairs pairs.jsonl --out out.json [--problems problems.jsonl] [--rate 0.5]")
  process.exit(2)
}
const paramsIn = values.params !== undefined && NodeFs.existsSync(values.params) ? JSON.parse(NodeFs.readFileSync(values.params, "utf8")) : {}
const problems = values.problems !== undefined
  ? NodeFs.readFileSync(values.problems, "utf8").split("\n").filter((l) => l.trim() !== "").map((l) => Schema.decodeUnknownSync(Problem)(JSON.parse(l)))
  : []
const trained = trainSimulatedPolicy(paramsIn, NodeFs.readFileSync(values.pairs, "utf8"), {
  problems,
  rate: values.rate !== undefined ? Number(values.rate) : undefined
})
NodeFs.writeFileSync(values.out, JSON.stringify(encodeParams(trained), null, 2) + "\n")
console.log(`simulated policy params v${trained.version}: ${Object.keys(trained.perProblem).length} problems with their own pCorrect -> ${values.out}`)

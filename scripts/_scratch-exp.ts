import { sharedDataFile, type Test } from "@o1coder/domain"
import { calledName, parseAssert } from "@o1coder/problems/PyAssert"
import { parsePyLiteral } from "../packages/sandbox/src/PyLiteral.ts"
import * as NodeFs from "node:fs"
const file = sharedDataFile("mbpp/mbpp.jsonl")
let cands = 0, exprs = 0, nonlit = 0, asserts = 0
const samples: string[] = []
for (const l of NodeFs.readFileSync(file.path!, "utf8").split("\n").filter((x) => x.trim())) {
  const r = JSON.parse(l)
  const ep = calledName(r.test_list)
  const tests = r.test_list.map((a: string) => parseAssert(a, ep)) as Test[]
  let need = false
  for (const t of tests) {
    if (t._tag === "assert") asserts++
    if (t._tag !== "call") continue
    exprs++
    if (parsePyLiteral(t.expected) === undefined) { nonlit++; need = true; if (samples.length < 25) samples.push(t.expected.slice(0, 80)) }
  }
  if (need) cands++
}
console.log({ cands, exprs, nonlit, asserts })
console.log(samples.join("\n"))

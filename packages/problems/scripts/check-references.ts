/**
 * Checks an importer's output against the dataset's own reference solutions, in plain Python
 * (no sandbox: run it only on trusted benchmark files). For every CallTest: does
 * `entry(args) == expected` hold (within atol)? For every held-out input: does the reference run?
 *
 *   npx tsx packages/problems/scripts/check-references.ts ../shared/data/mbpp-plus/MbppPlus.jsonl mbpp-plus
 */
import { Effect } from "effect"
import * as NodeChild from "node:child_process"
import { type Format, readProblems } from "../src/Import.ts"

const CHECK = String.raw`
import io, json, signal, sys, contextlib
class Slow(Exception): pass
def on_alarm(*_): raise Slow()
signal.signal(signal.SIGALRM, on_alarm)
def timed(f, seconds=2.0):
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            return f()
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
counts = {"problems": 0, "call_tests": 0, "call_failed": 0, "inputs": 0, "input_errors": 0, "input_timeouts": 0, "load_errors": 0}
for line in sys.stdin:
    p = json.loads(line)
    counts["problems"] += 1
    ns = {}
    try:
        timed(lambda: exec(p["reference"] + "\n" + p["setup"], ns))
    except BaseException as e:
        counts["load_errors"] += 1; print("LOAD", p["id"], repr(e)[:120], file=sys.stderr); continue
    for t in p["tests"]:
        counts["call_tests"] += 1
        try:
            got = timed(lambda: eval(p["entry"] + "(" + t["args"] + ")", ns))
            exp = eval(t["expected"], dict(ns))
            ok = abs(got - exp) <= t["atol"] if "atol" in t else got == exp
        except BaseException as e:
            ok, got = False, e
        if not ok:
            counts["call_failed"] += 1; print("FAIL", p["id"], t["args"][:80], "expected", t["expected"][:60], "got", repr(got)[:60], file=sys.stderr)
    for a in p["inputs"]:
        counts["inputs"] += 1
        try:
            timed(lambda: eval(p["entry"] + "(" + a + ")", ns))
        except Slow:
            counts["input_timeouts"] += 1; print("SLOW", p["id"], a[:80], file=sys.stderr)
        except BaseException as e:
            counts["input_errors"] += 1; print("INPUT", p["id"], a[:80], repr(e)[:80], file=sys.stderr)
print(json.dumps(counts))
`

const [file, format] = process.argv.slice(2) as [string, Format]
const parsed = await Effect.runPromise(readProblems(file, format))
const lines = parsed.problems
  .filter(({ problem: p }) => p.reference !== undefined && p.entryPoint !== undefined)
  .map(({ problem: p }) =>
    JSON.stringify({ id: p.id, reference: p.reference, setup: p.setup ?? "", entry: p.entryPoint, tests: p.heldOutTests.filter((t) => t._tag === "call"), inputs: p.heldOutInputs })
  )
const run = NodeChild.spawnSync("/usr/bin/python3.11", ["-c", CHECK], { input: lines.join("\n") + "\n", encoding: "utf8", maxBuffer: 1 << 26 })
process.stderr.write(run.stderr)
console.log(run.stdout.trim())

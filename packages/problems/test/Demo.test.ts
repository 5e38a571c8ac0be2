import { describe, expect, it } from "@effect/vitest"
import * as NodeChild from "node:child_process"
import * as NodeFs from "node:fs"
import { demoProblemsPath } from "../src/Demo.ts"

const PYTHON = "/usr/bin/python3.11"

/**
 * Runs every demo reference on its own tests, and checks that the demo is the kind where simple
 * mutations (operator swaps, off-by-one, negated conditions) change behaviour: for each problem,
 * at least one applicable mutant of the reference fails a test.
 */
const CHECK = String.raw`
import json, re, signal, sys
class Slow(Exception): pass
def on_alarm(*_): raise Slow()
signal.signal(signal.SIGALRM, on_alarm)
mutations = [(r"<=", "<"), (r"(?<![<>=!])<(?!=)", "<="), (r">=", ">"), (r"(?<![<>=!-])>(?!=)", ">="), (r"==", "!="), (r"!=", "=="),
             (r"\+ 1\b", "+ 2"), (r"- 1\b", ""), (r"\+=", "-="), (r"\bif (?!not)", "if not "), (r"\*", "+"), (r"(?<!\+)\+(?![+=])", "-"), (r"%", "//"), (r"\band\b", "or"), (r"\bor\b", "and")]
def passes(code, entry, tests):
    ns = {}
    signal.setitimer(signal.ITIMER_REAL, 0.5)  # mutants may loop forever
    try:
        exec(code, ns)
        return all(eval(f"{entry}({t['args']})", ns) == eval(t["expected"], {}) for t in tests)
    except Exception:
        return False
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
out = {}
for line in open(sys.argv[1]):
    p = json.loads(line)
    tests = json.loads(sys.stdin.readline())
    killed = applicable = 0
    for pattern, repl in mutations:
        for m in re.finditer(pattern, p["reference"]):
            mutant = p["reference"][:m.start()] + m.expand(repl) + p["reference"][m.end():]
            applicable += 1
            killed += not passes(mutant, p["entry_point"], tests)
    out[p["id"]] = {"reference_passes": passes(p["reference"], p["entry_point"], tests), "killed": killed, "applicable": applicable}
print(json.dumps(out))
`

describe.skipIf(!NodeFs.existsSync(PYTHON))("demo problems", () => {
  it("have references that pass their tests, and tests that kill simple mutants", async () => {
    const { Effect } = await import("effect")
    const { readProblems } = await import("../src/Import.ts")
    const parsed = await Effect.runPromise(readProblems(demoProblemsPath(), "jsonl", "demo"))
    expect(parsed.rejected).toEqual([])
    expect(parsed.problems.length).toBeGreaterThanOrEqual(24)
    const stdin = parsed.problems.map((r) => JSON.stringify(r.problem.heldOutTests)).join("\n") + "\n"
    const run = NodeChild.spawnSync(PYTHON, ["-c", CHECK, demoProblemsPath()], { input: stdin, encoding: "utf8", timeout: 60_000 })
    expect(run.stderr).toBe("")
    const result = JSON.parse(run.stdout) as Record<string, { reference_passes: boolean; killed: number; applicable: number }>
    expect(Object.keys(result)).toHaveLength(parsed.problems.length)
    expect(Object.entries(result).filter(([, r]) => !r.reference_passes).map(([id]) => id)).toEqual([])
    expect(Object.entries(result).filter(([, r]) => r.killed === 0).map(([id]) => id)).toEqual([])
    const killed = Object.values(result).reduce((n, r) => n + r.killed, 0)
    const applicable = Object.values(result).reduce((n, r) => n + r.applicable, 0)
    console.log(`demo: ${Object.keys(result).length} problems, ${killed}/${applicable} simple mutants killed by the held-out tests`)
  })
})

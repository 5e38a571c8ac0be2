import { describe, expect, layer } from "@effect/vitest"
import { sharedDataFile, StdioTest } from "@o1coder/domain"
import { Effect } from "effect"
import * as NodeFs from "node:fs"
import { Limits, Sandbox, sandboxLayer } from "../src/index.ts"

/** APPS stdin/stdout problems with references written for these fixtures: every test of theirs passes. */
const references: Record<string, string> = {
  // Codeforces 894A "QAQ": subsequences Q, A, Q.
  "1607": "s = input().strip()\nq = a = t = 0\nfor ch in s:\n    if ch == 'Q':\n        t += a\n        q += 1\n    elif ch == 'A':\n        a += q\nprint(t)\n",
  // Codeforces 553A "Kyoya and Colored Balls".
  "2130":
    "import sys\nfrom math import comb\ndata = sys.stdin.read().split()\nk = int(data[0])\nans, total = 1, 0\nfor c in map(int, data[1:1 + k]):\n" +
    "    total += c\n    ans = ans * comb(total - 1, c - 1) % 1_000_000_007\nprint(ans)\n"
}

const apps = sharedDataFile("apps/apps_selected150.jsonl")

describe("APPS stdio problems", () => {
  layer(sandboxLayer({ workers: 2 }), { timeout: 60_000, excludeTestServices: true })((it) => {
    it.effect.skipIf(apps.missing !== undefined)("references pass every test; a wrong program fails", () =>
      Effect.gen(function* () {
        const sandbox = yield* Sandbox
        const rows = NodeFs.readFileSync(apps.path, "utf8").split("\n").filter((l) => l.trim() !== "").map((l) => JSON.parse(l))
        const limits = new Limits({ ...Limits.default, totalTimeoutMs: 60_000 })
        for (const [id, code] of Object.entries(references)) {
          const row = rows.find((r) => String(r.id) === id)
          expect(row, id).toBeDefined()
          const tests = (row.test_list as Array<{ input: string; output: Array<string> | string }>).map(
            (t) => new StdioTest({ input: t.input, output: Array.isArray(t.output) ? t.output.join("") : t.output })
          )
          const ex = yield* sandbox.run({ code, kind: "stdio", tests, limits })
          expect(ex.verdicts.filter((v) => v.status !== "passed"), id).toEqual([])
          expect(ex.total).toBe(tests.length)
          const wrong = yield* sandbox.run({ code: "print(0)", kind: "stdio", tests, limits })
          expect(wrong.passed).toBeLessThan(tests.length)
        }
      }))
  })
})

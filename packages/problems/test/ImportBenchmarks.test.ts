import { describe, expect, it } from "@effect/vitest"
import { sharedDataFile } from "@o1coder/domain"
import { ProblemsRepo } from "@o1coder/store/ProblemsRepo"
import { TestDatabase } from "@o1coder/store"
import { Effect, Layer } from "effect"
import { SKIP_CALL_BASED } from "../src/Apps.ts"
import { importProblems } from "../src/Import.ts"

const mbpp = sharedDataFile("mbpp/mbpp.jsonl")
const sanitized = sharedDataFile("mbpp/sanitized-mbpp.json")
const plus = sharedDataFile("mbpp-plus/MbppPlus.jsonl")
const apps = sharedDataFile("apps/apps_selected150.jsonl")

const Repo = ProblemsRepo.Default.pipe(Layer.provideMerge(TestDatabase.pglite))

describe("importers on PGlite", () => {
  it.layer(Repo, { timeout: 120_000 })((it) => {
    it.effect.skipIf(mbpp.missing !== undefined)("imports all 974 MBPP problems twice into 974 rows with the 10/500/90/374 split", () =>
      Effect.gen(function* () {
        const repo = yield* ProblemsRepo
        for (let i = 0; i < 2; i++) {
          const report = yield* importProblems(mbpp.path, { format: "mbpp" })
          expect(report.imported).toBe(974)
          expect(report.rejected).toEqual([])
        }
        expect(yield* repo.count({ dataset: "mbpp" })).toBe(974)
        const splits = Object.fromEntries((yield* repo.countBySplit("mbpp")).map((s) => [s.split, s.count]))
        expect(splits).toEqual({ prompt: 10, test: 500, validation: 90, train: 374 })
        const p = yield* repo.get("mbpp/11")
        expect(p.entryPoint).toBe("remove_Occ")
        expect(p.reference).not.toContain("\r")
        expect(p.signature).toMatch(/^def remove_Occ\(s,ch\):/)
        expect(p.visibleTests).toHaveLength(1)
        // test_list (3) then challenge_test_list (2).
        expect(p.heldOutTests).toHaveLength(5)
        expect(p.heldOutTests[0]).toMatchObject({ _tag: "call", args: `"hello","l"`, expected: `"heo"` })
        const first = yield* repo.list({ dataset: "mbpp", limit: 3 })
        expect(first.map((x) => x.id)).toEqual(["mbpp/1", "mbpp/2", "mbpp/3"])
        // Challenge tests are held out too; test_setup_code is kept as setup.
        const withChallenge = (yield* repo.list({ dataset: "mbpp" })).filter((x) => x.heldOutTests.length > 3)
        expect(withChallenge.length).toBe(11)
        expect((yield* repo.get("mbpp/927")).setup).toContain("root = Node(1)")
      })
    )

    it.effect.skipIf(sanitized.missing !== undefined)("imports MBPP sanitized (427) with test_imports as setup", () =>
      Effect.gen(function* () {
        const report = yield* importProblems(sanitized.path, { format: "mbpp-sanitized" })
        expect(report.imported).toBe(427)
        expect(report.rejected).toEqual([])
        const repo = yield* ProblemsRepo
        expect(yield* repo.count({ dataset: "mbpp-sanitized" })).toBe(427)
        const withImports = (yield* repo.list({ dataset: "mbpp-sanitized" })).filter((p) => p.setup === "import math")
        expect(withImports).toHaveLength(13)
      })
    )

    it.effect.skipIf(plus.missing !== undefined)("imports MBPP+ (399) with plus inputs held out as Python argument lists", () =>
      Effect.gen(function* () {
        const report = yield* importProblems(plus.path, { format: "mbpp-plus" })
        expect(report.imported).toBe(399)
        expect(report.rejected).toEqual([])
        const repo = yield* ProblemsRepo
        const all = yield* repo.list({ dataset: "mbpp-plus" })
        expect(all).toHaveLength(399)
        expect(all.reduce((n, p) => n + p.heldOutInputs.length, 0)).toBe(42082)
        const p2 = yield* repo.get("mbpp-plus/2")
        expect(p2.statement).toBe("Write a function to find the shared elements from the given two lists.")
        expect(p2.entryPoint).toBe("similar_elements")
        expect(p2.visibleTests).toEqual(p2.heldOutTests.slice(0, 1))
        expect(p2.heldOutInputs[0]).toBe("(), ()")
        expect(p2.atol).toBe(0)
        expect(all.filter((p) => p.atol === 0.0001)).toHaveLength(16)
        // JSON's NaN/Infinity and big ints reach Python exactly.
        expect(all.some((p) => p.heldOutInputs.some((a) => a.includes("float('-inf')")))).toBe(true)
        expect(all.some((p) => p.heldOutInputs.some((a) => a.includes("9999999999999999999999999")))).toBe(true)
        expect((yield* repo.get("mbpp-plus/793")).heldOutInputs).toEqual([])
      })
    )

    it.effect.skipIf(apps.missing !== undefined)("imports the 52 APPS stdio records (49 distinct) and skips 98 call-based ones with a reason", () =>
      Effect.gen(function* () {
        const report = yield* importProblems(apps.path, { format: "apps" })
        expect(report.rejected).toEqual([])
        expect(report.skipped).toEqual([
          { reason: SKIP_CALL_BASED, count: 98 },
          { reason: "identical repeat of an earlier record (same id and content)", count: 3 }
        ])
        expect(report.imported + 3).toBe(52)
        const repo = yield* ProblemsRepo
        const p = yield* repo.get("apps/1604")
        expect(p.kind).toBe("stdio")
        expect(p.visibleTests).toEqual([p.heldOutTests[0]])
        expect(p.heldOutTests[0]).toMatchObject({ _tag: "stdio", input: "1 1\n.\n", output: "1\n" })
        expect(yield* repo.count({ dataset: "apps" })).toBe(49)
      })
    )

  })
})

describe.skipIf(mbpp.missing !== undefined)("MBPP on Postgres", () => {
  it.layer(ProblemsRepo.Default.pipe(Layer.provideMerge(TestDatabase.postgres)), { timeout: 120_000 })((it) => {
    it.effect("imports 974 rows twice with the same split counts", () =>
      Effect.gen(function* () {
        yield* importProblems(mbpp.path, { format: "mbpp" })
        const report = yield* importProblems(mbpp.path, { format: "mbpp" })
        expect(report.imported).toBe(974)
        const repo = yield* ProblemsRepo
        expect(yield* repo.count()).toBe(974)
        expect(yield* repo.countBySplit("mbpp")).toEqual([
          { dataset: "mbpp", split: "prompt", count: 10 },
          { dataset: "mbpp", split: "test", count: 500 },
          { dataset: "mbpp", split: "train", count: 374 },
          { dataset: "mbpp", split: "validation", count: 90 }
        ])
        expect((yield* repo.list({ dataset: "mbpp", split: "test", limit: 1 }))[0]!.id).toBe("mbpp/11")
      })
    )
  })
})

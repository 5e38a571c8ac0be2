import { describe, expect, it, layer } from "@effect/vitest"
import { CallTest, Execution, Verdict } from "@o1coder/domain"
import { ExecutionsRepo } from "@o1coder/store/ExecutionsRepo"
import * as TestDatabase from "@o1coder/store/TestDatabase"
import { Effect, Layer } from "effect"
import { CachedSandbox, Limits, Sandbox } from "../src/index.ts"

/** A counting stand-in for the real sandbox: passes when the code contains "ok", `killed` when it contains "kill". */
let innerRuns = 0
const CountingSandboxFake = Layer.succeed(
  Sandbox,
  Sandbox.of({
    run: (r) =>
      Effect.sync(() => {
        innerRuns++
        const status = r.code.includes("kill") ? "killed" : r.code.includes("ok") ? "passed" : "failed"
        const verdicts = r.tests.map(() => new Verdict({ status, ms: 1 }))
        return new Execution({ compiled: true, verdicts, passed: status === "passed" ? verdicts.length : 0, total: verdicts.length, ms: 1 })
      }),
    call: () => Effect.succeed([]),
    info: { interpreter: "fake", level: "none", details: [], workers: 0 }
  })
)

const tests = [new CallTest({ args: "1", expected: "2" })]

for (const backend of TestDatabase.backends) {
  describe(`execution cache on ${backend.name}`, () => {
    const live = CachedSandbox.layer.pipe(Layer.provideMerge(ExecutionsRepo.Default), Layer.provide(CountingSandboxFake), Layer.provide(backend.layer))
    layer(Layer.merge(live, ExecutionsRepo.Default.pipe(Layer.provide(backend.layer))), { timeout: 60_000 })((it) => {
      it.effect("runs once per (code, suite, limits), logs every request with its purpose", () =>
        Effect.gen(function* () {
          const sandbox = yield* Sandbox
          const repo = yield* ExecutionsRepo
          innerRuns = 0
          const req = { code: "ok", kind: "function" as const, entryPoint: "f", tests, purpose: "search" as const, context: { searchId: "s1", problemId: "p1" } }
          const a = yield* sandbox.run(req)
          const b = yield* sandbox.run(req)
          expect(innerRuns).toBe(1)
          expect(b).toEqual(a)
          expect(b.allPassed).toBe(true)
          // Other limits or another suite: a different key.
          yield* sandbox.run({ ...req, limits: new Limits({ ...Limits.default, testTimeoutMs: 1 }) })
          yield* sandbox.run({ ...req, tests: [new CallTest({ args: "2", expected: "4" })], purpose: "scoring", context: {} })
          expect(innerRuns).toBe(3)
          expect(yield* repo.countLog({ searchId: "s1" })).toEqual([
            { purpose: "search", cached: false, count: 2 },
            { purpose: "search", cached: true, count: 1 }
          ])
          expect(yield* repo.countLog({ searchId: "s1", purpose: "scoring" })).toEqual([])
          expect(yield* repo.countLog({ purpose: "scoring" })).toEqual([{ purpose: "scoring", cached: false, count: 1 }])
        }))

      it.effect("stores an execution only together with its log row (one transaction)", () =>
        Effect.gen(function* () {
          const sandbox = yield* Sandbox
          const repo = yield* ExecutionsRepo
          // A purpose the log's CHECK constraint refuses: the log insert fails after the execution's.
          const req = { code: "ok # unlogged", kind: "function" as const, entryPoint: "f", tests, purpose: "bogus" as never }
          const before = yield* repo.size
          const failed = yield* Effect.flip(sandbox.run(req))
          expect(failed.reason).toContain("execution cache")
          expect(yield* repo.size).toBe(before)
        }))

      it.effect("identical requests in flight at once share one execution", () =>
        Effect.gen(function* () {
          const sandbox = yield* Sandbox
          const repo = yield* ExecutionsRepo
          innerRuns = 0
          const req = { code: "ok # concurrent", kind: "function" as const, entryPoint: "f", tests, purpose: "search" as const, context: { searchId: "s2" } }
          const results = yield* Effect.all(Array.from({ length: 5 }, () => sandbox.run(req)), { concurrency: "unbounded" })
          expect(innerRuns).toBe(1)
          expect(results.every((r) => r.allPassed)).toBe(true)
          expect(yield* repo.countLog({ searchId: "s2" })).toEqual([
            { purpose: "search", cached: false, count: 1 },
            { purpose: "search", cached: true, count: 4 }
          ])
        }))

      it.effect("never caches an execution the infrastructure killed", () =>
        Effect.gen(function* () {
          const sandbox = yield* Sandbox
          innerRuns = 0
          const req = { code: "kill", kind: "function" as const, entryPoint: "f", tests }
          yield* sandbox.run(req)
          yield* sandbox.run(req)
          expect(innerRuns).toBe(2)
        }))
    })
  })
}

describe("execution key", () => {
  it("depends on code, suite and limits only", () => {
    const base = { code: "def f(): pass", kind: "function" as const, entryPoint: "f", tests }
    const k = CachedSandbox.executionKey(base).key
    expect(CachedSandbox.executionKey({ ...base, purpose: "scoring" }).key).toBe(k)
    expect(CachedSandbox.executionKey({ ...base, code: "x" }).key).not.toBe(k)
    expect(CachedSandbox.executionKey({ ...base, setup: "import math" }).key).not.toBe(k)
    expect(CachedSandbox.executionKey({ ...base, limits: new Limits({ ...Limits.default, memoryBytes: 1 }) }).key).not.toBe(k)
  })
})

import { it } from "@effect/vitest"
import { Database, TestDatabase } from "@o1coder/store"
import { RunsRepo } from "@o1coder/store/RunsRepo"
import * as SqlClient from "@effect/sql/SqlClient"
import { Effect, Either, Layer, Redacted } from "effect"
import * as NodeFs from "node:fs"
import * as NodeOs from "node:os"
import * as NodePath from "node:path"
import { describe, expect } from "vitest"
import { makeFakeStages } from "../src/testing/index.ts"
import { decodeConfig, encodeConfig, runIdFor } from "../src/RunConfig.ts"
import * as SelfPlay from "../src/SelfPlay.ts"

const config = Either.getOrThrow(
  decodeConfig({
    name: "wf",
    problems: { dataset: "demo" },
    models: { policy: "simulated" },
    training: { backend: "local", pollSeconds: 0.01, stages: { sft: { command: "true" }, prm: { command: "true" }, dpo: { command: "true" } } },
    rounds: { count: 2 }
  })
)

const stack = (db: Database.DatabaseTarget, stages: ReturnType<typeof makeFakeStages>) =>
  SelfPlay.layer.pipe(Layer.provideMerge(stages.layer), Layer.provideMerge(RunsRepo.Default), Layer.provideMerge(Database.layer(db)))

/** Two processes in sequence over one database: the second finds the journal of the first. */
const scenario = (db: Database.DatabaseTarget) =>
  Effect.gen(function* () {
    const runId = runIdFor(config)
    const first = makeFakeStages({ jobPolls: 2 })
    yield* Effect.gen(function* () {
      const repo = yield* RunsRepo
      yield* repo.create({ id: runId, name: config.name, config: encodeConfig(config) })
      yield* SelfPlay.execute(runId)
      const rounds = yield* repo.rounds(runId)
      expect(rounds.map((r) => [r.round, r.stage])).toEqual([[1, "done"], [2, "done"]])
      expect((yield* repo.get(runId)).status).toBe("completed")
      // Round 2 searched with the policy trained in round 1.
      expect(rounds[1]!.policyVersion).toContain("/sft/1")
      const report = yield* repo.report(runId)
      expect(report.map((r) => r.round)).toEqual([1, 2])
    }).pipe(Effect.provide(stack(db, first)))
    expect([...first.calls.values()].every((n) => n === 1)).toBe(true)
    expect(first.calls.get("r1/train/sft")).toBe(1)
    expect(first.calls.get("r2/train/dpo")).toBe(1)
    expect(first.calls.has("r2/train/sft")).toBe(false)

    // A completed run is left as it is: nothing runs, its status and last update stay.
    const idle = makeFakeStages()
    yield* Effect.gen(function* () {
      const repo = yield* RunsRepo
      const before = yield* repo.get(runId)
      yield* SelfPlay.execute(runId)
      const after = yield* repo.get(runId)
      expect([after.status, after.updatedAt.getTime()]).toEqual(["completed", before.updatedAt.getTime()])
      // As if the first process died before it could write `completed`: the next one replays the journal.
      yield* repo.setStatus(runId, "interrupted")
    }).pipe(Effect.provide(stack(db, idle)))
    expect(idle.calls.size).toBe(0)

    const second = makeFakeStages()
    yield* SelfPlay.execute(runId).pipe(Effect.provide(stack(db, second)))
    expect(second.calls.size).toBe(0)
  })

describe("SelfPlay workflow", () => {
  it.live("a failed run is retried as a new attempt after the cause is fixed", () =>
    Effect.gen(function* () {
      const dataDir = NodeFs.mkdtempSync(NodePath.join(NodeOs.tmpdir(), "o1-wf-"))
      const db: Database.DatabaseTarget = { _tag: "Pglite", dataDir }
      const runId = runIdFor(config)
      const broken = makeFakeStages()
      broken.failures.set("r1/search/demo/2", 100)
      const failed = yield* Effect.gen(function* () {
        const repo = yield* RunsRepo
        yield* repo.create({ id: runId, name: config.name, config: encodeConfig(config) })
        const exit = yield* Effect.exit(SelfPlay.execute(runId))
        return { exit, status: (yield* repo.get(runId)).status }
      }).pipe(Effect.provide(stack(db, broken)))
      expect(failed.exit._tag).toBe("Failure")
      expect(failed.status).toBe("failed")
      expect(broken.calls.get("r1/search/demo/2")).toBe(3) // the activity's own retries
      expect(broken.calls.has("r1/export/sft")).toBe(false)

      const fixed = makeFakeStages()
      yield* Effect.gen(function* () {
        const repo = yield* RunsRepo
        yield* SelfPlay.execute(runId)
        expect((yield* repo.get(runId)).status).toBe("completed")
        expect(yield* repo.attempt(runId)).toBe(2)
      }).pipe(Effect.provide(stack(db, fixed)))
      expect(fixed.calls.get("r1/search/demo/2")).toBe(1)
      expect(fixed.calls.get("r2/evaluate")).toBe(1)
      NodeFs.rmSync(dataDir, { recursive: true, force: true })
    })
  )

  it.live("PGlite: runs every stage once; a second process replays the journal without paying again", () =>
    Effect.gen(function* () {
      const dataDir = NodeFs.mkdtempSync(NodePath.join(NodeOs.tmpdir(), "o1-wf-"))
      yield* scenario({ _tag: "Pglite", dataDir })
      NodeFs.rmSync(dataDir, { recursive: true, force: true })
    })
  )

  // The cluster's message ids are 64-bit snowflakes: the store's Postgres client must read int8
  // exactly (rounded ids leave every reply unmatched and the workflow waits forever).
  it.live("Postgres: the same over the cluster's SQL storage on a server", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const { url } = yield* TestDatabase.freshPostgresUrl
        const target: Database.DatabaseTarget = { _tag: "Postgres", url: Redacted.make(url) }
        const rows = yield* Effect.flatMap(SqlClient.SqlClient, (sql) => sql<{ x: unknown; n: unknown }>`select 251645613752451073::int8 as x, 42::int8 as n`).pipe(
          Effect.provide(Database.layer(target))
        )
        expect(String(rows[0]!.x)).toBe("251645613752451073")
        expect(rows[0]!.n).toBe(42)
        yield* scenario(target)
      })
    ), 120_000
  )
})

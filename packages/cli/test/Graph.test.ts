import { Command } from "@effect/cli"
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as SqlClient from "@effect/sql/SqlClient"
import { describe, expect, it } from "@effect/vitest"
import { demoProblemsPath } from "@o1coder/problems"
import { SandboxStub } from "@o1coder/sandbox/testing"
import * as TestDatabase from "@o1coder/store/TestDatabase"
import { ConfigProvider, Effect, Logger, LogLevel } from "effect"
import * as NodeFs from "node:fs"
import * as NodeOs from "node:os"
import * as NodePath from "node:path"
import { commands as evalCommands } from "../src/commands/eval.ts"
import { commands as problemsCommands } from "../src/commands/problems.ts"
import { commands as searchCommands } from "../src/commands/search.ts"
import { AppGraph, liveLeaves, provide } from "../src/Layers.ts"

const cli = Command.make("o1coder").pipe(Command.withSubcommands([...problemsCommands, ...searchCommands, ...evalCommands]))
const run = Command.run(cli, { name: "o1coder", version: "test" })

/**
 * Real commands through the real composition root, with one leaf swapped: the sandbox is a stub
 * where every program compiles and fails every test, so a code node's terminal reward is exactly
 * the configured compile weight α (α·compile + (1−α)·pass_ratio).
 */
const storeSettings = [
  {
    name: "pglite",
    settings: Effect.acquireRelease(
      Effect.sync(() => NodeFs.mkdtempSync(NodePath.join(NodeOs.tmpdir(), "o1-graph-"))),
      (dir) => Effect.sync(() => NodeFs.rmSync(dir, { recursive: true, force: true }))
    ).pipe(Effect.map((dir) => [["DATABASE_URL", ""], ["O1CODER_DATA_DIR", dir]] as const))
  },
  { name: "postgres", settings: Effect.map(TestDatabase.freshPostgresUrl, ({ url }) => [["DATABASE_URL", url]] as const) }
] as const

describe("the composition root", () => {
  for (const { name, settings } of storeSettings) {
    it.scoped(`search and eval see the same reward configuration, on a stub sandbox (${name})`, () =>
      Effect.gen(function* () {
        const executions = { count: 0 }
        const graph = AppGraph.make({
          ...liveLeaves,
          sandbox: SandboxStub.layer((request) => {
            executions.count++
            return SandboxStub.compiledFailing(request)
          })
        })
        /** Runs a command line in a store of its own, then returns the rewards of the stored code nodes. */
        const rewardsAfter = (...args: ReadonlyArray<string>) =>
          Effect.gen(function* () {
            const store = yield* settings
            const config = ConfigProvider.fromMap(new Map([...store, ["O1CODER_REWARD_COMPILE_WEIGHT", "0.25"], ["O1CODER_REWARD_GAMMA", "0.5"]]))
            const inGraph = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
              effect.pipe(
                Effect.provideService(AppGraph, graph),
                Effect.provide(NodeContext.layer),
                Effect.withConfigProvider(config),
                Logger.withMinimumLogLevel(LogLevel.Error)
              )
            yield* inGraph(run(["node", "o1coder", "problems", "import", demoProblemsPath(), "--format", "jsonl", "--dataset", "demo"]))
            yield* inGraph(run(["node", "o1coder", ...args]))
            const rows = yield* inGraph(
              Effect.flatMap(SqlClient.SqlClient, (sql) => sql<{ reward: number }>`select reward from nodes where code is not null`).pipe(provide("store"))
            )
            return rows.map((r) => r.reward)
          })

        const fromSearch = yield* rewardsAfter("search", "--dataset", "demo", "--limit", "1", "--policy", "simulated", "--rollouts", "3", "--suite", "visible")
        const fromEval = yield* rewardsAfter("eval", "--dataset", "demo", "--limit", "1", "--policy", "simulated", "--mode", "mcts", "--rollouts", "3")

        expect(executions.count).toBeGreaterThan(0)
        expect(fromSearch.length).toBeGreaterThan(0)
        expect(fromEval.length).toBeGreaterThan(0)
        expect(new Set(fromSearch)).toEqual(new Set([0.25]))
        expect(new Set(fromEval)).toEqual(new Set([0.25]))
      }), { timeout: 180_000 })
  }

  it.effect("an invalid reward setting fails the command before it searches", () =>
    Effect.gen(function* () {
      const graph = AppGraph.make({ ...liveLeaves, sandbox: SandboxStub.layer(SandboxStub.compiledFailing), database: TestDatabase.pglite })
      const exit = yield* run(["node", "o1coder", "search", "--dataset", "demo", "--policy", "simulated"]).pipe(
        Effect.provideService(AppGraph, graph),
        Effect.provide(NodeContext.layer),
        Effect.withConfigProvider(ConfigProvider.fromMap(new Map([["O1CODER_REWARD_GAMMA", "0.9x"]]))),
        Effect.exit
      )
      expect(exit._tag).toBe("Failure")
      expect(String(exit)).toContain("O1CODER_REWARD_GAMMA")
    }))
})

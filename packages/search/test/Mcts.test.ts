import { describe, expect, it } from "@effect/vitest"
import { ModelError } from "@o1coder/models/LanguageModel"
import { Effect } from "effect"
import * as Mcts from "../src/Mcts.ts"
import { SearchConfig } from "../src/SearchConfig.ts"
import { makeNode } from "../src/Tree.ts"
import { problem, scriptedPolicy } from "./fixtures.ts"

/** The machine on in-memory collaborators: no store, code scores 1 when it says CORRECT. */
const machine = (config: SearchConfig, overrides: Partial<Mcts.Machine<ModelError>> = {}): Mcts.Machine<ModelError> => ({
  searchId: "m",
  problem: problem(1),
  config,
  elapsed: () => 0,
  complete: scriptedPolicy().complete,
  execute: (code) => Effect.succeed(code.includes("CORRECT") ? { reward: 1, passed: 4, total: 4 } : { reward: 0, passed: 0, total: 4 }),
  ...overrides
})

const fresh = () => {
  const root = makeNode({
    id: "m:0", seq: 0, depth: 0, parent: undefined, action: null, body: "", code: null, terminal: false,
    reward: null, passed: null, total: null, prior: null
  })
  return Mcts.initial({ root, all: [root] }, { rolloutsDone: 0, tokens: 0, modelCalls: 0, executions: 0 })
}

/** Steps the machine `n` times, returning the phases passed through (the start's included). */
const phases = (m: Mcts.Machine<ModelError>, s: Mcts.State, n: number) =>
  Effect.gen(function* () {
    const seen: Array<string> = [s.phase._tag]
    let state = s
    for (let i = 0; i < n && state.phase._tag !== "Stopped"; i++) {
      state = yield* Mcts.step(m, state)
      seen.push(state.phase._tag)
    }
    return { seen, state }
  })

describe("the MCTS state machine", () => {
  it.effect("goes through one rollout phase by phase, down to a terminal", () =>
    Effect.gen(function* () {
      // depth 2: the root's children are A1 steps, their children terminals at the depth limit
      const m = machine(new SearchConfig({ rollouts: 3, maxDepth: 2, width: 2, seed: 1 }))
      const { seen, state } = yield* phases(m, fresh(), 8)
      expect(seen).toEqual(["Budget", "Select", "Expand", "Evaluate", "Expand", "Evaluate", "Backpropagate", "Checkpoint", "Budget"])
      expect(state.rolloutsDone).toBe(1)
      expect(state.modelCalls).toBe(2)
      expect(state.all.map((n) => n.seq)).toEqual([0, 1, 2, 3, 4])
      expect(state.root.visits).toBe(1)
      // without a store the new nodes wait in `unsaved` for the end
      expect(state.unsaved).toHaveLength(4)
    })
  )

  it.effect("stops on the rollout budget and calls the store once per rollout", () =>
    Effect.gen(function* () {
      const stored: Array<number> = []
      const m = machine(new SearchConfig({ rollouts: 4, maxDepth: 3, width: 2, seed: 2 }), {
        store: ({ created, state }) => Effect.sync(() => void stored.push(state.rolloutsDone, created.length))
      })
      const end = yield* Mcts.run(m, fresh())
      expect(end.stoppedBy).toBe("rollouts")
      expect(end.state.rolloutsDone).toBe(4)
      expect(end.state.root.visits).toBe(4)
      expect(end.state.unsaved).toHaveLength(0)
      expect(stored.filter((_, i) => i % 2 === 0)).toEqual([1, 2, 3, 4])
      expect(stored.filter((_, i) => i % 2 === 1).reduce((a, b) => a + b, 0)).toBe(end.state.all.length - 1)
    })
  )

  it.effect("turns a context overflow into a terminal with reward 0 (Expand → Backpropagate)", () =>
    Effect.gen(function* () {
      const m = machine(new SearchConfig({ rollouts: 1, seed: 3 }), {
        complete: () => Effect.fail(new ModelError({ kind: "context_too_long", reason: "too long", modelVersion: "v" }))
      })
      const { seen, state } = yield* phases(m, fresh(), 5)
      expect(seen).toEqual(["Budget", "Select", "Expand", "Backpropagate", "Checkpoint", "Budget"])
      expect([state.root.terminal, state.root.reward, state.root.visits, state.modelCalls]).toEqual([true, 0, 1, 0])
      // any other model error fails the step
      const down = machine(new SearchConfig({ rollouts: 1 }), {
        complete: () => Effect.fail(new ModelError({ kind: "unreachable", reason: "down", modelVersion: "v" }))
      })
      const error = yield* Mcts.run(down, fresh()).pipe(Effect.flip)
      expect(error.kind).toBe("unreachable")
    })
  )

  it.effect("checks the budgets before each rollout: early stop once solved, tokens", () =>
    Effect.gen(function* () {
      const early = yield* Mcts.run(machine(new SearchConfig({ rollouts: 40, earlyStop: true, seed: 4 })), fresh())
      expect(early.stoppedBy).toBe("early_stop")
      expect(early.state.solved).toBe(true)
      expect(early.state.rolloutsDone).toBeLessThan(40)
      const tokens = yield* Mcts.run(machine(new SearchConfig({ rollouts: 40, tokenBudget: 1000, seed: 4 })), fresh())
      expect(tokens.stoppedBy).toBe("tokens")
      expect(tokens.state.tokens).toBeGreaterThanOrEqual(1000)
    })
  )
})

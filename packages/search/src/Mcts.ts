import type { Problem, Step } from "@o1coder/domain"
import { parseStep, renderPrompt, STOP_STRINGS } from "@o1coder/domain"
import type { Completion } from "@o1coder/models/LanguageModel"
import { ModelError, SamplingOptions } from "@o1coder/models/LanguageModel"
import type { PrmInput } from "@o1coder/reward/ProcessReward"
import { Clock, Data, Effect } from "effect"
import type { Rng } from "./Rng.ts"
import { derivedSeed, makeRng } from "./Rng.ts"
import type { SearchConfig } from "./SearchConfig.ts"
import type { TreeNode } from "./Tree.ts"
import { backup, isTerminal, makeNode, nodeId, pathSteps, selectLeaf, solvesSuite } from "./Tree.ts"

/**
 * The MCTS loop as a state machine: an explicit state value, one transition per phase, and a small
 * interpreter that steps until the search stops. One rollout is
 *
 *     Budget → Select → (Expand → Evaluate)* → Backpropagate → Checkpoint → Budget ...
 *
 * Budget ends the search (`Stopped`) when a budget is spent. Select descends the tree with the
 * rollout's own generator; Expand asks the policy for the children of a leaf (one request, n = k) and
 * Evaluate runs their code steps, scores priors and adds them, then follows one child at random:
 * back to Expand until a terminal is reached. A prompt that outgrows the model's context makes the
 * node a terminal with reward 0 (Expand → Backpropagate). The store is not the machine's: it calls
 * `Machine.store` at each checkpoint (or keeps the new nodes in `unsaved` when the tree is written
 * once at the end) and the service does the rest (load, resume, finish).
 *
 * The tree's nodes are mutable in place (N, Q; terminal and reward after a context overflow);
 * everything else is in the state value, which each transition replaces.
 */

/** Where the machine is. */
export type Phase = Data.TaggedEnum<{
  /** Between rollouts: stop on a spent budget, else start rollout `rolloutsDone`. */
  Budget: {}
  /** Descend from the root (UCT or PUCT) to a leaf. */
  Select: { readonly rollout: Rollout }
  /** One policy request for the children of `node`. */
  Expand: { readonly rollout: Rollout; readonly node: TreeNode }
  /** Run the code steps of `node`'s sampled children, score their priors, add them, follow one. */
  Evaluate: {
    readonly rollout: Rollout
    readonly node: TreeNode
    /** The steps from the root to `node`. */
    readonly path: ReadonlyArray<Step>
    /** The sampled children's steps, in sample order. */
    readonly steps: ReadonlyArray<Step>
  }
  /** N += 1 and Q += the leaf's reward from the leaf up to the root. */
  Backpropagate: { readonly rollout: Rollout; readonly leaf: TreeNode }
  /** Store the rollout (or keep it for the end) and report progress. */
  Checkpoint: { readonly rollout: Rollout; readonly touched: ReadonlyArray<TreeNode> }
  /** The search is over. */
  Stopped: { readonly stoppedBy: StopReason }
}>
export const Phase = Data.taggedEnum<Phase>()

export type StopReason = "rollouts" | "tokens" | "wall" | "early_stop" | "already_completed"

/** One rollout in progress: its index, its generator (seeded by (seed, search id, index)) and the nodes it created. */
export interface Rollout {
  readonly iteration: number
  readonly rng: Rng
  readonly created: ReadonlyArray<TreeNode>
}

export interface State {
  readonly phase: Phase
  readonly root: TreeNode
  /** Every node, in creation order. */
  readonly all: ReadonlyArray<TreeNode>
  readonly nextSeq: number
  readonly rolloutsDone: number
  readonly tokens: number
  readonly modelCalls: number
  readonly executions: number
  /** Some terminal passed every test of the suite. */
  readonly solved: boolean
  /** Nodes not stored yet (when the tree is written once at the end). */
  readonly unsaved: ReadonlyArray<TreeNode>
}

/** What a code step scored: the terminal reward and the tests it passed. */
export interface Scored {
  readonly reward: number
  readonly passed: number
  readonly total: number
}

/** What the machine runs on: the search's settings and its collaborators, each failing with `E`. */
export interface Machine<E> {
  readonly searchId: string
  readonly problem: Problem
  readonly config: SearchConfig
  readonly complete: (prompt: string, options: SamplingOptions) => Effect.Effect<ReadonlyArray<Completion>, E>
  /** Runs a code step on the suite. */
  readonly execute: (code: string) => Effect.Effect<Scored, E>
  /** Priors of new nodes (a process reward model), if any. */
  readonly score?: ((inputs: ReadonlyArray<PrmInput>) => Effect.Effect<ReadonlyArray<number>, E>) | undefined
  /** Wall time spent by the search so far (earlier sessions included), at `now`. */
  readonly elapsed: (now: number) => number
  /**
   * Stores one rollout: the nodes it created and the nodes stored before that it touched. Absent: the
   * new nodes are kept in `State.unsaved` for the caller to write once at the end.
   */
  readonly store?: ((checkpoint: { readonly state: State; readonly created: ReadonlyArray<TreeNode>; readonly updated: ReadonlyArray<TreeNode>; readonly now: number }) => Effect.Effect<void, E>) | undefined
  /** Called after every rollout. */
  readonly report?: ((state: State) => Effect.Effect<void>) | undefined
}

/** The state a search starts or resumes in: its stored tree and counters, before the next rollout. */
export const initial = (
  tree: { readonly root: TreeNode; readonly all: ReadonlyArray<TreeNode> },
  counters: Pick<State, "rolloutsDone" | "tokens" | "modelCalls" | "executions">
): State => ({
  phase: Phase.Budget(),
  root: tree.root,
  all: tree.all,
  nextSeq: tree.all.reduce((m, n) => Math.max(m, n.seq), -1) + 1,
  rolloutsDone: counters.rolloutsDone,
  tokens: counters.tokens,
  modelCalls: counters.modelCalls,
  executions: counters.executions,
  solved: tree.all.some(solvesSuite),
  unsaved: []
})

const isContextOverflow = (e: unknown): boolean => e instanceof ModelError && e.kind === "context_too_long"

/** The transition out of the state's phase. */
export const step = <E>(m: Machine<E>, s: State): Effect.Effect<State, E> => {
  const { config } = m
  const to = (phase: Phase, changes: Partial<State> = {}): State => ({ ...s, ...changes, phase })
  return Phase.$match(s.phase, {
    Budget: () =>
      Effect.gen(function* () {
        if (s.rolloutsDone >= config.rollouts) return to(Phase.Stopped({ stoppedBy: "rollouts" }))
        if (config.earlyStop && s.solved) return to(Phase.Stopped({ stoppedBy: "early_stop" }))
        if (config.tokenBudget > 0 && s.tokens >= config.tokenBudget) return to(Phase.Stopped({ stoppedBy: "tokens" }))
        if (config.wallMs > 0 && m.elapsed(yield* Clock.currentTimeMillis) >= config.wallMs) return to(Phase.Stopped({ stoppedBy: "wall" }))
        const rollout: Rollout = { iteration: s.rolloutsDone, rng: makeRng(config.seed, m.searchId, s.rolloutsDone), created: [] }
        return to(Phase.Select({ rollout }))
      }),

    Select: ({ rollout }) =>
      Effect.sync(() => {
        const leaf = selectLeaf(s.root, config.c, rollout.rng, config.selection)
        return to(leaf.terminal ? Phase.Backpropagate({ rollout, leaf }) : Phase.Expand({ rollout, node: leaf }))
      }),

    Expand: ({ node, rollout }) => {
      const path = pathSteps(node)
      const options = new SamplingOptions({
        n: config.width,
        stop: [...STOP_STRINGS],
        temperature: config.temperature,
        topP: config.topP,
        topK: config.topK,
        maxTokens: config.stepMaxTokens,
        ...(config.sendSeed ? { seed: derivedSeed(config.seed, m.searchId, node.seq) } : {})
      })
      return m.complete(renderPrompt(m.problem, path, { examples: config.examples }), options).pipe(
        Effect.map((completions) =>
          to(Phase.Evaluate({ rollout, node, path, steps: completions.map((c) => parseStep(c.text, node.depth + 1)) }), {
            modelCalls: s.modelCalls + 1,
            tokens: s.tokens + Math.max(0, ...completions.map((c) => c.promptTokens)) + completions.reduce((sum, c) => sum + c.completionTokens, 0)
          })
        ),
        // The prompt no longer fits the model's context: a terminal with reward 0; the search goes on.
        Effect.catchIf(isContextOverflow, () =>
          Effect.sync(() => {
            node.terminal = true
            node.reward = 0
            return to(Phase.Backpropagate({ rollout, leaf: node }))
          })
        )
      )
    },

    Evaluate: ({ node, path, rollout, steps }) =>
      Effect.gen(function* () {
        const outcomes = yield* Effect.forEach(
          steps,
          (step) => (step.code !== undefined ? Effect.map(m.execute(step.code), (r): Scored | undefined => r) : Effect.succeed(undefined)),
          { concurrency: "unbounded" }
        )
        const priors = m.score
          ? yield* m.score(steps.map((step) => ({ problemId: m.problem.id, statement: m.problem.statement, steps: [...path, step] })))
          : undefined
        const depth = node.depth + 1
        const children = steps.map((step, i) => {
          const outcome = outcomes[i]
          const terminal = isTerminal(step, depth, config.maxDepth)
          const seq = s.nextSeq + i
          return makeNode({
            id: nodeId(m.searchId, seq),
            seq,
            depth,
            parent: node,
            action: step.action,
            body: step.body,
            code: step.code ?? null,
            terminal,
            reward: outcome !== undefined ? outcome.reward : terminal ? 0 : null,
            passed: outcome?.passed ?? null,
            total: outcome?.total ?? null,
            prior: priors?.[i] ?? null
          })
        })
        const grown = { ...rollout, created: [...rollout.created, ...children] }
        const changes = {
          all: [...s.all, ...children],
          nextSeq: s.nextSeq + children.length,
          executions: s.executions + outcomes.filter((o) => o !== undefined).length
        }
        if (children.length === 0) return to(Phase.Backpropagate({ rollout: grown, leaf: node }), changes)
        // Simulation: follow one random child, expanding every node reached, down to a terminal.
        const next = children[rollout.rng.int(children.length)]!
        return to(next.terminal ? Phase.Backpropagate({ rollout: grown, leaf: next }) : Phase.Expand({ rollout: grown, node: next }), changes)
      }),

    Backpropagate: ({ leaf, rollout }) =>
      Effect.sync(() => {
        const touched = backup(leaf, leaf.reward ?? 0)
        return to(Phase.Checkpoint({ rollout, touched }), {
          rolloutsDone: rollout.iteration + 1,
          solved: s.solved || rollout.created.some(solvesSuite) || solvesSuite(leaf)
        })
      }),

    Checkpoint: ({ rollout, touched }) =>
      Effect.gen(function* () {
        const now = yield* Clock.currentTimeMillis
        const next = m.store !== undefined ? to(Phase.Budget()) : to(Phase.Budget(), { unsaved: [...s.unsaved, ...rollout.created] })
        if (m.store !== undefined) {
          const fresh = new Set(rollout.created)
          yield* m.store({ state: next, created: rollout.created, updated: touched.filter((n) => !fresh.has(n)), now })
        }
        if (m.report !== undefined) yield* m.report(next)
        return next
      }),

    Stopped: () => Effect.succeed(s)
  })
}

/** The interpreter: steps from `state` until the search stops. */
export const run = <E>(m: Machine<E>, state: State): Effect.Effect<{ readonly state: State; readonly stoppedBy: StopReason }, E> =>
  Effect.gen(function* () {
    let s = state
    while (true) {
      const phase = s.phase
      if (phase._tag === "Stopped") return { state: s, stoppedBy: phase.stoppedBy }
      s = yield* step(m, s).pipe(
        Effect.withSpan(`search.${phase._tag.toLowerCase()}`, {
          attributes: { searchId: m.searchId, iteration: "rollout" in phase ? phase.rollout.iteration : s.rolloutsDone }
        })
      )
    }
  })

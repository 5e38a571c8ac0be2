/**
 * MCTS over pseudocode steps, with the tree stored as its checkpoint.
 *
 * Usage (layers: `Search.Default` needs `Sandbox` (with the execution cache), `Reward`, and a SqlClient):
 *
 *     const search = yield* Search
 *     const outcome = yield* search.run({ problem, suite: { id: suite.id, tests }, policy, config: new SearchConfig({ rollouts: 15 }) })
 *     outcome.answer?.code       // the answer: highest-value terminal (ties: PRM score, shorter)
 *     yield* search.resume(outcome.searchId, { problem, suite, policy })   // continue a stored search
 *     yield* search.runMany(inputs, { concurrency: 2 })                     // several problems
 *
 * `run` is idempotent: the default search id is derived from (problem, suite, policy version,
 * config, run, round), so running again continues (or returns) the stored search. The tree is
 * checkpointed each iteration in one transaction; with the policy behind the record/replay layer
 * and the sandbox behind the execution cache, a killed and resumed search ends with exactly the
 * tree of an uninterrupted one and pays no model call or execution twice.
 *
 * `selectAnswer(nodes)` picks the answer from stored nodes (`search.tree(id)` or SearchRepo).
 */
export * from "./SearchConfig.ts"
export * from "./Search.ts"
export * from "./Answer.ts"
export * as Tree from "./Tree.ts"
export * as Mcts from "./Mcts.ts"
export * from "./Rng.ts"
export * from "./LlmJudgePrm.ts"

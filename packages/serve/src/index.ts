/**
 * `o1coder serve`: the execution-reward service RL trainers call during rollouts.
 *
 * - `Server.layer(settings)` / `Server.start`: the HTTP server (needs Sandbox, ProblemsRepo, SuitesRepo, Reward).
 * - `ServeApi`: `POST /v1/reward` (batches), SandboxFusion's `POST /run_code`, OpenRLHF's
 *   `POST /get_reward`, `GET /health`, `GET /ready`, `GET /metrics`.
 * - `RewardScorer`: problems and suites resolved, code extracted, run through the cache, rewarded.
 */
export * from "./Api.ts"
export * as Server from "./Server.ts"
export * as Settings from "./Settings.ts"
export { completionCode } from "./Completion.ts"
export { RewardScorer } from "./Scorer.ts"

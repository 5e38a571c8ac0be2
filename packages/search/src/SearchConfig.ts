import { Schema } from "effect"

/** Budgets and knobs of one search. Every default follows the O1-Coder paper's search settings. */
export class SearchConfig extends Schema.Class<SearchConfig>("SearchConfig")({
  /** Iterations (selection, expansion, simulation, backup), each ending in one terminal reward. */
  rollouts: Schema.optionalWith(Schema.Number, { default: () => 15 }),
  /** Max steps on a path: a node at this depth is terminal (reward 0 without code). */
  maxDepth: Schema.optionalWith(Schema.Number, { default: () => 5 }),
  /** k: children per expansion, sampled in one request with n = k. */
  width: Schema.optionalWith(Schema.Number, { default: () => 3 }),
  /** Exploration constant of UCT/PUCT. */
  c: Schema.optionalWith(Schema.Number, { default: () => 2.0 }),
  /** "uct": Q/N + c·sqrt(ln N_parent / N), unvisited first. "puct": Q/N + c·P·sqrt(N_parent)/(1+N) with PRM priors. */
  selection: Schema.optionalWith(Schema.Literal("uct", "puct"), { default: () => "uct" as const }),
  seed: Schema.optionalWith(Schema.Number, { default: () => 0 }),
  temperature: Schema.optionalWith(Schema.Number, { default: () => 0.8 }),
  topP: Schema.optionalWith(Schema.Number, { default: () => 0.95 }),
  topK: Schema.optionalWith(Schema.Number, { default: () => 40 }),
  /** Include the worked examples in the step prompt (off for models with a tiny context window). */
  examples: Schema.optionalWith(Schema.Boolean, { default: () => true }),
  /** Max tokens of one step. */
  stepMaxTokens: Schema.optionalWith(Schema.Number, { default: () => 512 }),
  /** Stop before an iteration once this many prompt + completion tokens were used (0: no limit). */
  tokenBudget: Schema.optionalWith(Schema.Number, { default: () => 0 }),
  /**
   * Stop before an iteration once this much wall time was spent (0: no limit). Wall time is the
   * one budget a resumed search cannot reproduce exactly: use rollouts or tokens for exact resume.
   */
  wallMs: Schema.optionalWith(Schema.Number, { default: () => 0 }),
  /** Stop as soon as a terminal passes every test of the suite. */
  earlyStop: Schema.optionalWith(Schema.Boolean, { default: () => false }),
  /**
   * Send the sampling seed derived from (seed, search id, node) with each request. Engines do not
   * reproduce outputs from it under batching; exact resume comes from the record/replay layer.
   */
  sendSeed: Schema.optionalWith(Schema.Boolean, { default: () => true })
}) {
  static readonly default = new SearchConfig({})
}

import type { Problem } from "@o1coder/domain"
import type { LanguageModelService } from "@o1coder/models/LanguageModel"
import { Search, SearchConfig, type SearchSuite } from "@o1coder/search"
import { Effect } from "effect"
import type { SearchProblem } from "./Evaluate.ts"

/**
 * The search suite of evaluation: the problem's visible tests only (the benchmark's shown
 * example), never `heldOutTests` or `heldOutInputs`. `extraSuite` may add question-only
 * generated tests (built without the reference or held-out tests).
 */
export const visibleSuite = (problem: Problem): SearchSuite => ({ id: null, tests: problem.visibleTests })

export interface SearchOptions {
  readonly policy: LanguageModelService
  readonly config?: SearchConfig | undefined
  readonly policySpec?: string | undefined
  /** Replaces the visible-tests suite (e.g. a question-only generated suite). */
  readonly suiteFor?: ((problem: Problem) => Effect.Effect<SearchSuite, unknown>) | undefined
}

/** One MCTS per problem on search-visible tests; its answer is the search's own selection. */
export const searchOnVisibleTests = (options: SearchOptions): SearchProblem<unknown, Search> => (problem, context) =>
  Effect.gen(function* () {
    const search = yield* Search
    const suite = options.suiteFor !== undefined ? yield* options.suiteFor(problem) : visibleSuite(problem)
    const config = options.config ?? new SearchConfig({ seed: context.seed })
    const outcome = yield* search.run({
      problem,
      suite,
      policy: options.policy,
      config,
      runId: context.runId,
      round: context.round,
      policySpec: options.policySpec,
      persist: "end"
    })
    const nodes = yield* search.tree(outcome.searchId)
    return { searchId: outcome.searchId, answer: outcome.answer?.code, nodes, tokens: outcome.tokens }
  })

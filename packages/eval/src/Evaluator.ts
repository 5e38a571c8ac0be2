import type { Sandbox } from "@o1coder/sandbox/Sandbox"
import { EvaluationsRepo } from "@o1coder/store/EvaluationsRepo"
import { Effect } from "effect"
import * as Evaluate from "./Evaluate.ts"

/**
 * The evaluation harness as a service: `run` is `Evaluate.run` on the sandbox and the evaluations
 * repository this service was built with (the sandbox is the caller's: the execution cache in
 * the program, so scoring runs are logged with purpose "scoring").
 */
export class Evaluator extends Effect.Service<Evaluator>()("o1coder/Evaluator", {
  effect: Effect.gen(function* () {
    const services = yield* Effect.context<Sandbox | EvaluationsRepo>()
    return {
      run: <E = never, R = never>(options: Evaluate.EvaluateOptions<E, R>) =>
        Evaluate.run(options).pipe(Effect.provide(services), Effect.withSpan("Evaluator.run", { attributes: { dataset: options.dataset, mode: options.mode } }))
    } as const
  }),
  dependencies: [EvaluationsRepo.Default]
}) {}

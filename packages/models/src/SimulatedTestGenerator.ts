import type { Problem } from "@o1coder/domain"
import { Effect, Schema } from "effect"
import { fileURLToPath } from "node:url"
import { trustedPython } from "./ModelsConfig.ts"
import type { ChatMessage, LanguageModelService, SamplingOptions } from "./LanguageModel.ts"
import { ModelError } from "./LanguageModel.ts"
import { runHelper } from "./PythonHelper.ts"
import { chatPrompt, draws, finishText, problemLookup } from "./Simulated.ts"

/**
 * The simulated test-generator model (`simulated-tcg`), a test double: it answers the TCG prompt
 * (packages/tcg/src/TcgFormat.ts: instruction, problem, code part, test part, then `### Test
 * Cases`) about a known problem with N cases, where N is read from "write N test cases". Inputs
 * come from the problem's visible call tests (and nearby literals derived from them) or visible
 * stdin tests; outputs are labelled by running the REFERENCE solution with plain trusted Python
 * (dataset code, not model output). A configurable share of cases gets a wrong expected output.
 *
 * Output format (agreed with the tcg package): `assert ENTRY(ARGS) == EXPECTED` lines for
 * function problems, `### Input` / `### Output` blocks for stdio, then `### End`.
 */

export const LABEL_SCRIPT = fileURLToPath(new URL("../python/label_cases.py", import.meta.url))

export interface SimulatedTcgOptions {
  readonly problems: ReadonlyArray<Problem>
  /** Share of cases written with a wrong expected output (default 0.2). */
  readonly wrongShare?: number | undefined
  readonly lookup?: ((prompt: string) => Problem | undefined) | undefined
  readonly modelVersion?: string | undefined
}

const LabelledCase = Schema.Struct({
  args: Schema.optional(Schema.String),
  expected: Schema.optional(Schema.String),
  input: Schema.optional(Schema.String),
  output: Schema.optional(Schema.String),
  wrong: Schema.String
})
type LabelledCase = typeof LabelledCase.Type
const LabelReply = Schema.Struct({ cases: Schema.Array(LabelledCase), error: Schema.optional(Schema.String) })

const runLabeller = (request: unknown): Effect.Effect<typeof LabelReply.Type, string> =>
  Effect.flatMap(Effect.orDie(trustedPython), (python) =>
    runHelper(python, ["-I", LABEL_SCRIPT], JSON.stringify(request), { name: "label_cases.py", timeoutMs: 60_000 })
  ).pipe(
    Effect.flatMap((text) => Schema.decodeUnknown(Schema.parseJson(LabelReply))(text).pipe(Effect.mapError((e) => e.message)))
  )

const COUNT = /write (\d+) test cases/i

export const make = (options: SimulatedTcgOptions): Effect.Effect<LanguageModelService> =>
  Effect.gen(function* () {
    const wrongShare = options.wrongShare ?? 0.2
    const modelVersion = options.modelVersion ?? `simulated-tcg@${wrongShare}`
    const lookup = options.lookup ?? problemLookup(options.problems)
    const labelled = new Map<string, ReadonlyArray<LabelledCase>>()
    const lock = yield* Effect.makeSemaphore(1)
    const fail = (reason: string) => new ModelError({ kind: "bad_response", reason: `simulated-tcg: ${reason}`, modelVersion })

    /** Up to `want` labelled cases of a problem, computed once per problem. */
    const casesOf = (problem: Problem, want: number) =>
      lock.withPermits(1)(
        Effect.suspend(() => {
          const cached = labelled.get(problem.id)
          if (cached !== undefined && cached.length >= Math.min(want, 12)) return Effect.succeed(cached)
          if (problem.reference === undefined) return Effect.fail(fail(`problem ${problem.id} has no reference solution`))
          const request = problem.kind === "function"
            ? {
                kind: "function",
                code: problem.reference,
                setup: problem.setup ?? "",
                entryPoint: problem.entryPoint,
                args: problem.visibleTests.flatMap((t) => (t._tag === "call" ? [t.args] : [])),
                want: Math.max(want, 12),
                seed: 0
              }
            : { kind: "stdio", code: problem.reference, inputs: problem.visibleTests.flatMap((t) => (t._tag === "stdio" ? [t.input] : [])) }
          return runLabeller(request).pipe(
            Effect.mapError(fail),
            Effect.map((reply) => reply.cases),
            Effect.tap((cases) => Effect.sync(() => labelled.set(problem.id, cases)))
          )
        })
      )

    const render = (problem: Problem, cases: ReadonlyArray<LabelledCase>, u: (j: number) => number): string =>
      cases
        .map((c, j) => {
          const wrong = u(j) < wrongShare
          return problem.kind === "function"
            ? `assert ${problem.entryPoint}(${c.args}) == ${wrong ? c.wrong : c.expected}\n`
            : `### Input\n${c.input!.replace(/\n$/, "")}\n### Output\n${(wrong ? c.wrong : c.output!).replace(/\n$/, "")}\n`
        })
        .join("") + "### End\n"

    const complete = (prompt: string, o: SamplingOptions) =>
      Effect.gen(function* () {
        const problem = lookup(prompt)
        if (problem === undefined) return yield* fail("no known problem's statement appears in the prompt")
        const count = Number(prompt.match(COUNT)?.[1] ?? 3)
        const pool = yield* casesOf(problem, count)
        return Array.from({ length: o.n }, (_, i) => {
          // A deterministic shuffle of the pool per sample, then `count` cases.
          const order = pool
            .map((c, j) => ({ c, key: draws(prompt, o.seed ?? 0, i, j)[0]! }))
            .sort((a, b) => a.key - b.key)
            .slice(0, count)
            .map((x) => x.c)
          const text = render(problem, order, (j) => draws(prompt, o.seed ?? 0, i, "wrong", j)[0]!)
          return finishText(prompt, text, o)
        })
      }).pipe(Effect.withSpan("SimulatedTestGenerator.complete", { attributes: { n: o.n } }))

    return {
      modelVersion,
      complete,
      chat: (messages: ReadonlyArray<ChatMessage>, o: SamplingOptions) => complete(chatPrompt(messages), o)
    } satisfies LanguageModelService
  })

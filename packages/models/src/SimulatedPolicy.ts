import type { Problem } from "@o1coder/domain"
import { hashOf } from "@o1coder/domain"
import { Effect, Schema } from "effect"
import * as NodeFs from "node:fs"
import type { CodeToolsError, Mutant, Outline } from "./CodeMutator.ts"
import * as CodeMutator from "./CodeMutator.ts"
import type { ChatMessage, LanguageModelService, SamplingOptions } from "./LanguageModel.ts"
import { ModelError } from "./LanguageModel.ts"
import { chatPrompt, draws, finishText, problemLookup } from "./Simulated.ts"

/**
 * The simulated policy: a test double for the offline demo and tests, never a real model. Given a
 * step prompt (ending with `### Step n [`, see @o1coder/domain Step.ts) about a known problem, it
 * writes an A1 structure step and A2 refinement steps derived mechanically from the reference
 * solution's syntax tree, then an A3 step with a ```python block holding the reference or one of
 * its mutants. Its choices are deterministic given (prompt, seed, sample index); the chance of
 * correct code is read from a parameter file, which `trainSimulatedPolicy` raises per problem.
 */

export class SimulatedPolicyParams extends Schema.Class<SimulatedPolicyParams>("SimulatedPolicyParams")({
  version: Schema.optionalWith(Schema.Number, { default: () => 1 }),
  /** Probability that an A3 step holds the reference rather than a mutant. */
  pCorrect: Schema.optionalWith(Schema.Number, { default: () => 0.35 }),
  /** Probability of writing code before every refinement has been written. */
  pEarlyCode: Schema.optionalWith(Schema.Number, { default: () => 0.25 }),
  /** pCorrect per problem id, overriding the global one. */
  perProblem: Schema.optionalWith(Schema.Record({ key: Schema.String, value: Schema.Number }), { default: () => ({}) })
}) {}

export const defaultParams = (): SimulatedPolicyParams => new SimulatedPolicyParams({})

export const decodeParams = (json: unknown): SimulatedPolicyParams => Schema.decodeUnknownSync(SimulatedPolicyParams)(json)

export const encodeParams = (params: SimulatedPolicyParams): unknown => Schema.encodeSync(SimulatedPolicyParams)(params)

export const loadParams = (path: string): Effect.Effect<SimulatedPolicyParams, ModelError> =>
  Effect.try({
    try: () => decodeParams(JSON.parse(NodeFs.readFileSync(path, "utf8"))),
    catch: (e) => new ModelError({ kind: "load_failed", reason: `simulated policy params ${path}: ${e}`, modelVersion: `simulated:${path}` })
  })

/** `simulated@<hash of the parameters>`: a trained parameter file is a new model version. */
export const simulatedVersion = (params: SimulatedPolicyParams): string => `simulated@${hashOf(encodeParams(params)).slice(0, 12)}`

export const pCorrectFor = (params: SimulatedPolicyParams, problemId: string): number =>
  params.perProblem[problemId] ?? params.pCorrect

export interface SimulatedPolicyOptions {
  readonly problems: ReadonlyArray<Problem>
  readonly params?: SimulatedPolicyParams | undefined
  /** Prompt → problem; default: the problem whose statement appears in the prompt. */
  readonly lookup?: ((prompt: string) => Problem | undefined) | undefined
  readonly modelVersion?: string | undefined
  /** Mutants prepared per problem (default 6). */
  readonly mutantsPerProblem?: number | undefined
}

export interface SimulatedPolicy extends LanguageModelService {
  readonly params: SimulatedPolicyParams
  /** The A3 code candidates of a problem: the reference first, then its mutants. */
  readonly candidates: (problemId: string) => ReadonlyArray<string>
}

interface Prepared {
  readonly outline: Outline
  readonly mutants: ReadonlyArray<Mutant>
}

const STEP_HEADER = /### Step (\d+) \[\s*$/

const structureIntro = ["Structure:", "Plan:", "Outline of the algorithm:"]
const refineIntro = ["Refinement:", "More precisely:", "Details:"]

/** Code that compiles and is wrong, for problems without mutants. */
const fallbackWrong = (problem: Problem): string =>
  problem.kind === "function" && problem.entryPoint !== undefined
    ? `def ${problem.entryPoint}(*args, **kwargs):\n    return None`
    : "print()"

export const make = (options: SimulatedPolicyOptions): Effect.Effect<SimulatedPolicy, CodeToolsError> =>
  Effect.gen(function* () {
    const params = options.params ?? defaultParams()
    const modelVersion = options.modelVersion ?? simulatedVersion(params)
    const lookup = options.lookup ?? problemLookup(options.problems)
    const withReference = options.problems.filter((p) => p.reference !== undefined && p.reference.trim() !== "")
    const requests = withReference.map((p) => ({ id: p.id, code: p.reference!.replace(/\r\n/g, "\n") }))
    const outlines = yield* CodeMutator.outline(requests)
    const mutants = yield* CodeMutator.mutate(
      requests.map((r) => ({ ...r, seed: 0, max: options.mutantsPerProblem ?? 6 }))
    )
    const prepared = new Map<string, Prepared>(
      withReference.map((p) => [p.id, { outline: outlines.get(p.id)!, mutants: mutants.get(p.id) ?? [] }])
    )

    const candidates = (problemId: string): ReadonlyArray<string> => {
      const problem = options.problems.find((p) => p.id === problemId)
      if (problem === undefined) return []
      const prep = prepared.get(problemId)
      const reference = problem.reference?.replace(/\r\n/g, "\n").trimEnd()
      return [
        ...(reference !== undefined ? [reference] : []),
        ...(prep !== undefined && prep.mutants.length > 0 ? prep.mutants.map((m) => m.code) : [fallbackWrong(problem)])
      ]
    }

    const step = (problem: Problem, stepNumber: number, u: ReadonlyArray<number>): string => {
      const prep = prepared.get(problem.id)
      const structure = prep !== undefined && prep.outline.structure.length > 0
        ? prep.outline.structure
        : ["Read the inputs.", "Compute the answer.", "Return (or print) it."]
      const refinements = prep?.outline.refinements ?? []
      if (stepNumber <= 1) return `A1]\n${structureIntro[Math.floor(u[1]! * 3)]}\n${structure.join("\n")}\n`
      const r = stepNumber - 2
      if (r < refinements.length && u[0]! >= params.pEarlyCode) {
        return `A2]\n${refineIntro[Math.floor(u[1]! * 3)]}\n${refinements[r]!.join("\n")}\n`
      }
      const all = candidates(problem.id)
      const correct = problem.reference !== undefined && u[2]! < pCorrectFor(params, problem.id)
      const wrong = all.slice(problem.reference !== undefined ? 1 : 0)
      const code = correct ? all[0]! : wrong[Math.floor(u[3]! * wrong.length)]!
      return `A3]\n\`\`\`python\n${code}\n\`\`\`\n`
    }

    const complete = (prompt: string, o: SamplingOptions) =>
      Effect.suspend(() => {
        const problem = lookup(prompt)
        if (problem === undefined) {
          return Effect.fail(
            new ModelError({ kind: "bad_response", reason: "simulated policy: no known problem's statement appears in the prompt", modelVersion })
          )
        }
        const header = prompt.match(STEP_HEADER)
        const stepNumber = header !== null ? Number(header[1]) : 1
        return Effect.succeed(
          Array.from({ length: o.n }, (_, i) =>
            finishText(prompt, step(problem, stepNumber, draws(prompt, o.seed ?? 0, i)), o)
          )
        )
      }).pipe(Effect.withSpan("SimulatedPolicy.complete", { attributes: { n: o.n } }))

    return {
      modelVersion,
      params,
      candidates,
      complete,
      chat: (messages: ReadonlyArray<ChatMessage>, o: SamplingOptions) => complete(chatPrompt(messages), o)
    } satisfies SimulatedPolicy
  })

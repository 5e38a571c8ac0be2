import { Effect, Schema } from "effect"
import { fileURLToPath } from "node:url"
import { trustedPython } from "./ModelsConfig.ts"
import { runHelper } from "./PythonHelper.ts"

/**
 * Python `ast`-based code tools, run as a trusted helper script with plain Python (it only parses
 * and unparses code, it never executes it, so it does not need the sandbox). One process call
 * handles a whole batch of problems.
 */

export const CODE_TOOLS_SCRIPT = fileURLToPath(new URL("../python/code_tools.py", import.meta.url))

export { trustedPython } from "./ModelsConfig.ts"

export class CodeToolsError extends Schema.TaggedError<CodeToolsError>()("CodeToolsError", {
  reason: Schema.String
}) {}

export const MutationOperator = Schema.Literal(
  "compare_swap",
  "arith_swap",
  "bool_swap",
  "off_by_one",
  "negate_condition",
  "swap_arguments",
  "drop_statement"
)
export type MutationOperator = typeof MutationOperator.Type

export class Mutant extends Schema.Class<Mutant>("Mutant")({
  operator: MutationOperator,
  description: Schema.String,
  code: Schema.String
}) {}

export interface MutationRequest {
  readonly id: string
  readonly code: string
  /** Mutation sites are shuffled by this seed (default 0). */
  readonly seed?: number | undefined
  /** At most this many mutants (default 8). */
  readonly max?: number | undefined
}

const MutateReply = Schema.Struct({
  items: Schema.Array(Schema.Struct({ id: Schema.String, mutants: Schema.Array(Mutant), error: Schema.optional(Schema.String) }))
})

export class Outline extends Schema.Class<Outline>("Outline")({
  /** A1: inputs, outputs and the top-level structure. */
  structure: Schema.Array(Schema.String),
  /** A2 steps: pseudocode of increasing detail. */
  refinements: Schema.Array(Schema.Array(Schema.String)),
  error: Schema.optional(Schema.String)
}) {}

const OutlineReply = Schema.Struct({
  items: Schema.Array(Schema.Struct({ id: Schema.String, ...Outline.fields }))
})

/** Runs the trusted helper script once with a JSON request on stdin. */
export const runCodeTools = (request: unknown): Effect.Effect<unknown, CodeToolsError> =>
  // trustedPython cannot fail (a string with a default): orDie only removes ConfigError from the type.
  Effect.flatMap(Effect.orDie(trustedPython), (python) => runHelper(python, ["-I", CODE_TOOLS_SCRIPT], JSON.stringify(request), { name: "code_tools.py" })).pipe(
    Effect.mapError((reason) => new CodeToolsError({ reason })),
    Effect.flatMap((text) =>
      Effect.try({
        try: (): unknown => JSON.parse(text),
        catch: (e) => new CodeToolsError({ reason: `code_tools.py replied with malformed JSON: ${e}` })
      })
    )
  )

/**
 * Mutants of each program: comparison, arithmetic and boolean operator swaps, off-by-one integer
 * constants, negated conditions, swapped call arguments, dropped statements. Deterministic by
 * seed; mutants that do not compile or equal the (unparsed) reference are discarded. Returns a map
 * from request id to its mutants (empty when the code does not parse).
 */
export const mutate = (
  requests: ReadonlyArray<MutationRequest>
): Effect.Effect<ReadonlyMap<string, ReadonlyArray<Mutant>>, CodeToolsError> =>
  requests.length === 0
    ? Effect.succeed(new Map())
    : runCodeTools({
        op: "mutate",
        items: requests.map((r) => ({ id: r.id, code: r.code, seed: r.seed ?? 0, max: r.max ?? 8 }))
      }).pipe(
        Effect.flatMap(Schema.decodeUnknown(MutateReply)),
        Effect.mapError((e) => (e instanceof CodeToolsError ? e : new CodeToolsError({ reason: String(e) }))),
        Effect.map((reply) => new Map(reply.items.map((i) => [i.id, i.mutants]))),
        Effect.withSpan("CodeMutator.mutate", { attributes: { programs: requests.length } })
      )

/** Pseudocode outlines (A1 structure and A2 refinements) derived from each program's syntax tree. */
export const outline = (
  requests: ReadonlyArray<{ readonly id: string; readonly code: string }>
): Effect.Effect<ReadonlyMap<string, Outline>, CodeToolsError> =>
  requests.length === 0
    ? Effect.succeed(new Map())
    : runCodeTools({ op: "outline", items: requests }).pipe(
        Effect.flatMap(Schema.decodeUnknown(OutlineReply)),
        Effect.mapError((e) => (e instanceof CodeToolsError ? e : new CodeToolsError({ reason: String(e) }))),
        Effect.map(
          (reply) =>
            new Map(
              reply.items.map((i) => [
                i.id,
                new Outline({ structure: i.structure, refinements: i.refinements, ...(i.error !== undefined ? { error: i.error } : {}) })
              ])
            )
        )
      )

/** The CodeMutator as a service value, for the helpers that take it as a parameter. */
export const CodeMutator = { mutate, outline } as const

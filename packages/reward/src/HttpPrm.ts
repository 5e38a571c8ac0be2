import { renderStep } from "@o1coder/domain"
import { Duration, Effect, Redacted, Schedule, Schema } from "effect"
import type { PrmInput, ProcessRewardService } from "./ProcessReward.ts"
import { clampScore, ProcessRewardError } from "./ProcessReward.ts"

/**
 * A served process reward model behind vLLM's pooling API (targets vLLM 0.10.x-0.11.x: `POST
 * /pooling` on the OpenAI-compatible server started with `vllm serve <prm> --task reward` (0.10)
 * or `--runner pooling` (0.11), e.g. Qwen/Qwen2.5-Math-PRM-7B whose STEP pooler returns, for each
 * step-tag token in the input, the class probabilities `[p_negative, p_positive]`).
 *
 * Request:  `{"model": M, "input": TEXT}` where TEXT is the statement, a blank line, then each step
 *           of the prefix followed by the step tag (`<extra_0>` for Qwen PRMs).
 * Response: `{"data": [{"index": 0, "object": "pooling", "data": [[p0, p1], ...]}], ...}`.
 * Score of a prefix: the positive probability at the LAST step tag. A flat `[s0, s1, ...]` (one score
 * per tag) is accepted too.
 */
export interface HttpPrmOptions {
  /** Server root, e.g. `http://127.0.0.1:8001` (with or without a trailing `/v1`). */
  readonly baseUrl: string
  readonly model: string
  readonly apiKey?: Redacted.Redacted<string> | undefined
  readonly stepTag?: string | undefined
  /** Index of the "good step" class in each row (1 for Qwen PRMs). */
  readonly positiveIndex?: number | undefined
  readonly timeout?: Duration.DurationInput | undefined
  readonly retries?: number | undefined
}

const PoolingResponse = Schema.Struct({
  data: Schema.NonEmptyArray(Schema.Struct({ data: Schema.Union(Schema.Array(Schema.Array(Schema.Number)), Schema.Array(Schema.Number)) }))
})

export const prmInputText = (input: PrmInput, stepTag: string): string =>
  `${input.statement.trim()}\n\n${input.steps.map((s, i) => renderStep(i + 1, s).replace(/\n$/, "") + stepTag).join("\n")}`

/** Reads the score of the last step tag from a pooling response body. */
export const scoreFromPooling = (body: unknown, positiveIndex: number): number | undefined => {
  const decoded = Schema.decodeUnknownOption(PoolingResponse)(body)
  if (decoded._tag === "None") return undefined
  const rows = decoded.value.data[0].data
  if (rows.length === 0) return undefined
  const last = rows[rows.length - 1]!
  return typeof last === "number" ? last : last[positiveIndex] ?? last[last.length - 1]
}

export const makeHttpPrm = (options: HttpPrmOptions): ProcessRewardService => {
  const root = options.baseUrl.replace(/\/+$/, "").replace(/\/v1$/, "")
  const stepTag = options.stepTag ?? "<extra_0>"
  const positiveIndex = options.positiveIndex ?? 1
  const timeoutMs = Duration.toMillis(options.timeout ?? "30 seconds")
  const name = `http-prm:${options.model}`
  const fail = (reason: string) => new ProcessRewardError({ scorer: name, reason })

  const scoreOne = (input: PrmInput) =>
    Effect.tryPromise({
      try: async (signal) => {
        const response = await fetch(`${root}/pooling`, {
          method: "POST",
          headers: {
            "content-type": "application/json",
            ...(options.apiKey ? { authorization: `Bearer ${Redacted.value(options.apiKey)}` } : {})
          },
          body: JSON.stringify({ model: options.model, input: prmInputText(input, stepTag) }),
          signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)])
        })
        if (!response.ok) throw new Error(`HTTP ${response.status}: ${(await response.text()).slice(0, 200)}`)
        return (await response.json()) as unknown
      },
      catch: (e) => fail(`POST ${root}/pooling failed: ${e instanceof Error ? e.message : String(e)}`)
    }).pipe(
      Effect.retry(Schedule.exponential("200 millis").pipe(Schedule.jittered, Schedule.intersect(Schedule.recurs(options.retries ?? 2)))),
      Effect.flatMap((body) => {
        const score = scoreFromPooling(body, positiveIndex)
        return score === undefined ? Effect.fail(fail(`unexpected pooling response: ${JSON.stringify(body).slice(0, 200)}`)) : Effect.succeed(clampScore(score))
      })
    )

  return { name, score: (inputs) => Effect.forEach(inputs, scoreOne, { concurrency: 4 }) }
}

import { HttpClient, HttpClientRequest } from "@effect/platform"
import { isFinished, JobsRepo } from "@o1coder/store/JobsRepo"
import { Duration, Effect, Schedule, Schema } from "effect"
import * as Path from "node:path"
import type { JobHandle, PreparedJob } from "./backends/Backend.ts"
import { ServeFailed, TrainerError } from "./Errors.ts"
import { placeholderValues, type ResolvedSpec } from "./JobSpec.ts"
import { missingPlaceholders, render, unknownPlaceholders } from "./Placeholders.ts"
import { TrainingBackends } from "./Trainer.ts"

/**
 * How a trained checkpoint is served. Templates take the training job's placeholders
 * (`{output_dir}`, `{job_id}`, ...). Exactly one of `command` (run as a job of the training
 * job's backend: starts or reloads an OpenAI-compatible server on the checkpoint) and `lora` (the
 * server at `url` loads the checkpoint as a LoRA adapter named `model`).
 */
export class ServeSpec extends Schema.Class<ServeSpec>("ServeSpec")({
  url: Schema.String,
  model: Schema.String,
  command: Schema.optional(Schema.String),
  lora: Schema.optional(Schema.Boolean),
  timeout: Schema.optional(Schema.DurationFromSelf),
  pollEvery: Schema.optional(Schema.DurationFromSelf)
}) {}

export interface Served {
  readonly url: string
  readonly model: string
  /** The serving job's id (command mode). */
  readonly jobId: string | undefined
}

const ModelList = Schema.Struct({ data: Schema.Array(Schema.Struct({ id: Schema.String })) })
const decodeModels = Schema.decodeUnknownEither(Schema.parseJson(ModelList))

/** The id of the job that serves a training job's output. */
export const serveJobIdOf = (trainingJobId: string): string => `serve-${trainingJobId.replace(/^job-/, "")}`

class NotListed extends Schema.TaggedError<NotListed>()("NotListed", { answered: Schema.String }) {}

/**
 * Serves the checkpoint of a succeeded training job and waits until the server's `/models`
 * lists it: the next round samples from what it lists. The serving job (command mode) is
 * idempotent like a training job (same id, attached on resubmission); a serving job that ends,
 * an answer that never lists the model before the deadline, or a refused LoRA load fail with
 * `ServeFailed` naming the server and what it answered.
 */
export class Serving extends Effect.Service<Serving>()("o1coder/Serving", {
  effect: Effect.gen(function* () {
    const client = yield* HttpClient.HttpClient
    const jobs = yield* JobsRepo
    const backends = yield* TrainingBackends

    const answer = (request: HttpClientRequest.HttpClientRequest) =>
      client.execute(request).pipe(
        Effect.flatMap((res) => Effect.map(res.text, (body) => ({ status: res.status, body }))),
        Effect.scoped,
        Effect.timeout("30 seconds")
      )

    /** Fails with NotListed (what the server said) until `/models` lists `model`. */
    const listed = (url: string, model: string) =>
      answer(HttpClientRequest.get(`${url}/models`)).pipe(
        Effect.mapError((e) => new NotListed({ answered: e._tag === "TimeoutException" ? "no answer within 30 s" : e.message })),
        Effect.flatMap(({ body, status }) => {
          if (status !== 200) return Effect.fail(new NotListed({ answered: `HTTP ${status}: ${body.slice(0, 300)}` }))
          const models = decodeModels(body)
          if (models._tag === "Left") return Effect.fail(new NotListed({ answered: `HTTP 200, not a model list: ${body.slice(0, 300)}` }))
          const ids = models.right.data.map((m) => m.id)
          return ids.includes(model) ? Effect.void : Effect.fail(new NotListed({ answered: `HTTP 200, models: ${JSON.stringify(ids).slice(0, 300)}` }))
        })
      )

    const loadLora = (url: string, model: string, path: string) =>
      answer(HttpClientRequest.post(`${url}/load_lora_adapter`).pipe(HttpClientRequest.bodyUnsafeJson({ lora_name: model, lora_path: path }))).pipe(
        Effect.mapError((e) => new ServeFailed({ server: url, model, answered: `POST ${url}/load_lora_adapter: ${e.message}` })),
        Effect.flatMap(({ body, status }) =>
          status === 200 || (status === 400 && /already (been )?loaded/i.test(body))
            ? Effect.void
            : Effect.fail(new ServeFailed({ server: url, model, answered: `POST ${url}/load_lora_adapter: HTTP ${status}: ${body.slice(0, 300)}` }))
        )
      )

    const startJob = (row: { readonly id: string; readonly backend: string; readonly spec: unknown; readonly outputDir: string | null; readonly logPath: string | null }, command: string) =>
      Effect.gen(function* () {
        const backend = backends.get(row.backend)
        if (backend === undefined) return yield* new TrainerError({ backend: row.backend, operation: "serve", reason: "backend not configured" })
        const id = serveJobIdOf(row.id)
        // Beside the training job's directory (<workDir>/<job id>/train.log).
        const jobDir = Path.join(Path.dirname(Path.dirname(row.logPath ?? "")), id)
        const job: PreparedJob = { id, spec: row.spec as ResolvedSpec, command, jobDir, outputDir: row.outputDir ?? jobDir, logPath: Path.join(jobDir, "serve.log"), retry: false }
        const submitted = yield* backend.submit(job)
        const handle: JobHandle = { id, externalId: submitted.externalId, jobDir, logPath: job.logPath }
        yield* Effect.logInfo(`${submitted.attached ? "attached to" : "started"} serving job ${id} on ${backend.name}`)
        return { id, backend, handle }
      })

    /** Serves `trainingJobId`'s output as `spec` says and returns once the server lists it. */
    const serve = (trainingJobId: string, spec: ServeSpec) =>
      Effect.gen(function* () {
        const row = yield* jobs.get(trainingJobId).pipe(Effect.orDie)
        if (row === undefined) return yield* new TrainerError({ backend: "?", operation: "serve", reason: `no training job ${trainingJobId}` })
        if (row.status !== "succeeded") return yield* new TrainerError({ backend: row.backend, operation: "serve", reason: `training job ${trainingJobId} is ${row.status}, not succeeded` })
        const values = placeholderValues(row.spec as ResolvedSpec, { jobId: row.id, outputDir: row.outputDir ?? "" })
        const templates = { url: spec.url, model: spec.model, ...(spec.command !== undefined ? { command: spec.command } : {}) }
        const problems = Object.entries(templates).flatMap(([field, t]) => [
          ...unknownPlaceholders(t).map((p) => `serve.${field}: ${p}`),
          ...missingPlaceholders(t, values).map((p) => `serve.${field}: {${p}} has no value`)
        ])
        if (problems.length > 0) return yield* new TrainerError({ backend: row.backend, operation: "serve", reason: problems.join("; ") })
        const url = render(spec.url, values, false).replace(/\/+$/, "")
        const model = render(spec.model, values, false)
        const started = spec.command !== undefined ? yield* startJob(row, render(spec.command, values, true)) : undefined
        if (spec.lora === true) yield* loadLora(url, model, row.outputDir ?? "")

        /** The serving job ended (crashed, or exited) before the model was listed. */
        const jobEnded = (last: string) =>
          started === undefined
            ? Effect.void
            : Effect.flatMap(started.backend.status(started.handle).pipe(Effect.orElseSucceed(() => ({ status: "running" as const, message: null }))), (s) =>
                !isFinished(s.status)
                  ? Effect.void
                  : Effect.flatMap(started.backend.logs(started.handle, 20).pipe(Effect.orElseSucceed(() => "(logs unavailable)")), (logTail) =>
                      Effect.fail(new ServeFailed({ server: url, model, answered: `${last}; serving job ${started.id} ${s.status}${s.message !== null ? ` (${s.message})` : ""}`, logTail }))
                    )
              )

        let last = "no answer yet"
        const timeout = spec.timeout ?? Duration.minutes(30)
        yield* listed(url, model).pipe(
          Effect.tapError((e) => Effect.zipRight(Effect.sync(() => (last = e.answered)), jobEnded(e.answered))),
          Effect.retry({ schedule: Schedule.spaced(spec.pollEvery ?? Duration.seconds(5)), while: (e) => e._tag === "NotListed" }),
          Effect.timeoutFail({
            duration: timeout,
            onTimeout: () => new ServeFailed({ server: url, model, answered: `not listed after ${Duration.format(timeout)}; last answer: ${last}` })
          }),
          Effect.catchTag("NotListed", (e) => Effect.fail(new ServeFailed({ server: url, model, answered: e.answered })))
        )
        return { url, model, jobId: started?.id } satisfies Served
      }).pipe(Effect.withSpan("Serving.serve", { attributes: { trainingJobId } }))

    return { serve } as const
  }),
  dependencies: [JobsRepo.Default]
}) {}

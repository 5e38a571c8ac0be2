import { HttpClient, HttpClientRequest } from "@effect/platform"
import type { JobStatus } from "@o1coder/store/JobsRepo"
import { Effect } from "effect"
import { TrainerError } from "../Errors.ts"
import { tailLines, type TrainingBackend } from "./Backend.ts"

export interface RayOptions {
  /** The Ray dashboard address, e.g. `http://127.0.0.1:8265`. */
  readonly address: string
}

/** Ray job statuses to ours. */
export const mapRayStatus = (status: string): JobStatus => {
  switch (status) {
    case "PENDING":
      return "pending"
    case "RUNNING":
      return "running"
    case "SUCCEEDED":
      return "succeeded"
    case "STOPPED":
      return "cancelled"
    default:
      return "failed"
  }
}

/** Ray's answer to a reused submission id (HTTP 400, a ValueError's text). */
export const isDuplicateSubmission = (status: number, body: string): boolean => (status === 400 || status === 409) && /already exists/i.test(body)

/**
 * A Ray cluster through the Jobs REST API: `POST /api/jobs/` (the o1coder job id is the
 * `submission_id`), `GET /api/jobs/{id}`, `GET /api/jobs/{id}/logs`, `POST /api/jobs/{id}/stop`.
 * A duplicate submission id is the engine saying the job exists: that is an attach. A retry of
 * a finished job needs a fresh submission id (Ray never reuses one): `<job id>-retry-<time>`.
 */
export const make = (options: RayOptions): Effect.Effect<TrainingBackend, never, HttpClient.HttpClient> =>
  Effect.gen(function* () {
    const client = yield* HttpClient.HttpClient
    const base = options.address.replace(/\/+$/, "")
    const call = (operation: string, request: HttpClientRequest.HttpClientRequest) =>
      client.execute(request).pipe(
        Effect.flatMap((res) => Effect.map(res.text, (body) => ({ status: res.status, body }))),
        Effect.scoped,
        Effect.mapError((e) => new TrainerError({ backend: "ray", operation, reason: `${request.method} ${request.url}: ${e.message}` }))
      )
    const ok = (operation: string, url: string) => (r: { status: number; body: string }) =>
      r.status >= 200 && r.status < 300
        ? Effect.try({ try: () => JSON.parse(r.body) as Record<string, unknown>, catch: () => new TrainerError({ backend: "ray", operation, reason: `${url}: not JSON: ${r.body.slice(0, 200)}` }) })
        : Effect.fail(new TrainerError({ backend: "ray", operation, reason: `${url}: HTTP ${r.status}: ${r.body.slice(0, 500)}` }))

    const submit: TrainingBackend["submit"] = (job) =>
      Effect.gen(function* () {
        const submissionId = job.retry ? `${job.id}-retry-${Date.now()}` : job.id
        const runtimeEnv = { ...(job.spec.runtimeEnv ?? {}), env_vars: { ...((job.spec.runtimeEnv?.["env_vars"] as object) ?? {}), ...(job.spec.env ?? {}), O1CODER_JOB_ID: job.id, O1CODER_OUTPUT_DIR: job.outputDir } }
        const body = {
          entrypoint: job.command,
          submission_id: submissionId,
          runtime_env: runtimeEnv,
          metadata: { ...(job.spec.metadata ?? {}), o1coder_job_id: job.id, stage: job.spec.stage },
          ...(job.spec.gpus !== undefined ? { entrypoint_num_gpus: job.spec.gpus } : {})
        }
        const url = `${base}/api/jobs/`
        const r = yield* call("submit", HttpClientRequest.post(url).pipe(HttpClientRequest.bodyUnsafeJson(body)))
        if (isDuplicateSubmission(r.status, r.body)) return { externalId: submissionId, attached: true }
        const json = yield* ok("submit", url)(r)
        return { externalId: String(json["submission_id"] ?? submissionId), attached: false }
      })

    const status: TrainingBackend["status"] = (job) => {
      const url = `${base}/api/jobs/${encodeURIComponent(job.externalId)}`
      return call("status", HttpClientRequest.get(url)).pipe(
        Effect.flatMap(ok("status", url)),
        Effect.map((json) => {
          const status = mapRayStatus(String(json["status"]))
          const message = typeof json["message"] === "string" && status !== "succeeded" && status !== "running" ? (json["message"] as string) : null
          return { status, message }
        })
      )
    }

    const logs: TrainingBackend["logs"] = (job, tail) => {
      const url = `${base}/api/jobs/${encodeURIComponent(job.externalId)}/logs`
      return call("logs", HttpClientRequest.get(url)).pipe(
        Effect.flatMap(ok("logs", url)),
        Effect.map((json) => tailLines(String(json["logs"] ?? ""), tail))
      )
    }

    const cancel: TrainingBackend["cancel"] = (job) => {
      const url = `${base}/api/jobs/${encodeURIComponent(job.externalId)}/stop`
      return call("cancel", HttpClientRequest.post(url)).pipe(Effect.flatMap(ok("cancel", url)), Effect.asVoid)
    }

    return { name: "ray", submit, status, logs, cancel } satisfies TrainingBackend
  })

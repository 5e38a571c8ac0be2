import { Effect, type Scope } from "effect"
import { spawn, type ChildProcess } from "node:child_process"
import * as Http from "node:http"

/**
 * A FAKE Ray dashboard for tests (Ray cannot be installed here): real HTTP on 127.0.0.1
 * implementing only the Jobs REST endpoints o1coder uses, with Ray's documented shapes:
 *
 * - `POST /api/jobs/` `{entrypoint, submission_id, runtime_env, metadata, entrypoint_num_gpus}`
 *   → `{job_id, submission_id}`; a reused submission id → HTTP 400 "Job with submission_id …
 *   already exists. Please use a different submission_id." (Ray's ValueError text)
 * - `GET /api/jobs/{id}` → `{status, message, entrypoint, submission_id, metadata, …}` (404 unknown)
 * - `GET /api/jobs/{id}/logs` → `{logs}`
 * - `POST /api/jobs/{id}/stop` → `{stopped}`
 *
 * Each entrypoint really runs (`sh -c`, its own process group, `runtime_env.env_vars`), so
 * statuses move PENDING → RUNNING → SUCCEEDED/FAILED, or STOPPED when stopped.
 */
export interface FakeJob {
  readonly submissionId: string
  readonly request: Record<string, unknown>
  status: "PENDING" | "RUNNING" | "STOPPED" | "SUCCEEDED" | "FAILED"
  message: string
  logs: string
  child: ChildProcess | undefined
}

export interface FakeRay {
  readonly address: string
  readonly jobs: ReadonlyMap<string, FakeJob>
  /** Every request received, as `METHOD path`. */
  readonly requests: ReadonlyArray<string>
}

const send = (res: Http.ServerResponse, status: number, body: unknown) => {
  const text = typeof body === "string" ? body : JSON.stringify(body)
  res.writeHead(status, { "content-type": typeof body === "string" ? "text/plain" : "application/json" })
  res.end(text)
}

const start = (job: FakeJob) => {
  const env = { ...process.env, ...(((job.request["runtime_env"] as any)?.env_vars ?? {}) as Record<string, string>) }
  const child = spawn("/bin/sh", ["-c", String(job.request["entrypoint"])], { env, detached: true, stdio: ["ignore", "pipe", "pipe"] })
  job.child = child
  job.status = "RUNNING"
  job.message = "Job is currently running."
  child.stdout!.on("data", (d) => (job.logs += d.toString()))
  child.stderr!.on("data", (d) => (job.logs += d.toString()))
  child.on("error", (e) => {
    job.status = "FAILED"
    job.message = `Failed to start: ${e.message}`
  })
  child.on("exit", (code, signal) => {
    job.child = undefined
    if (job.status === "STOPPED") return
    if (code === 0) {
      job.status = "SUCCEEDED"
      job.message = "Job finished successfully."
    } else {
      job.status = "FAILED"
      job.message = `Job entrypoint command failed with exit code ${code ?? signal}, last available logs (truncated to 20,000 chars):\n${job.logs.slice(-20000)}`
    }
  })
}

/** Starts the fake on `port` (0: any free port) for the life of the scope. */
export const makeOn = (port: number): Effect.Effect<FakeRay, never, Scope.Scope> => Effect.gen(function* () {
  const jobs = new Map<string, FakeJob>()
  const requests: Array<string> = []
  const server = Http.createServer((req, res) => {
    let body = ""
    req.on("data", (d) => (body += d))
    req.on("end", () => {
      const path = (req.url ?? "/").split("?")[0]!
      requests.push(`${req.method} ${path}`)
      if (req.method === "POST" && path === "/api/jobs/") {
        let request: Record<string, unknown>
        try {
          request = JSON.parse(body)
        } catch {
          return send(res, 400, "invalid JSON")
        }
        if (typeof request["entrypoint"] !== "string") return send(res, 400, "entrypoint is required")
        const submissionId = typeof request["submission_id"] === "string" ? request["submission_id"] : `raysubmit_${jobs.size + 1}`
        if (jobs.has(submissionId)) {
          return send(res, 400, `Traceback (most recent call last):\nValueError: Job with submission_id ${submissionId} already exists. Please use a different submission_id.`)
        }
        const job: FakeJob = { submissionId, request, status: "PENDING", message: "Job has not started yet.", logs: "", child: undefined }
        jobs.set(submissionId, job)
        setTimeout(() => job.status === "PENDING" && start(job), 50)
        return send(res, 200, { job_id: submissionId, submission_id: submissionId })
      }
      const m = path.match(/^\/api\/jobs\/([^/]+)(\/logs|\/stop)?\/?$/)
      const job = m ? jobs.get(decodeURIComponent(m[1]!)) : undefined
      if (m === null) return send(res, 404, "Not Found")
      if (job === undefined) return send(res, 404, `Job ${m[1]} does not exist`)
      if (req.method === "GET" && m[2] === undefined) {
        return send(res, 200, {
          type: "SUBMISSION",
          job_id: job.submissionId,
          submission_id: job.submissionId,
          status: job.status,
          message: job.message,
          entrypoint: job.request["entrypoint"],
          metadata: job.request["metadata"] ?? {},
          runtime_env: job.request["runtime_env"] ?? {}
        })
      }
      if (req.method === "GET" && m[2] === "/logs") return send(res, 200, { logs: job.logs })
      if (req.method === "POST" && m[2] === "/stop") {
        const active = job.status === "PENDING" || job.status === "RUNNING"
        if (active) {
          job.status = "STOPPED"
          job.message = "Job was intentionally stopped."
          if (job.child?.pid !== undefined) {
            try {
              process.kill(-job.child.pid, "SIGTERM")
            } catch {}
          }
        }
        return send(res, 200, { stopped: active })
      }
      return send(res, 405, "Method Not Allowed")
    })
  })
  const bound = yield* Effect.async<number>((resume) => {
    server.listen(port, "127.0.0.1", () => resume(Effect.succeed((server.address() as { port: number }).port)))
  })
  yield* Effect.addFinalizer(() =>
    Effect.async<void>((resume) => {
      for (const job of jobs.values()) {
        if (job.child?.pid !== undefined) {
          try {
            process.kill(-job.child.pid, "SIGKILL")
          } catch {}
        }
      }
      server.closeAllConnections()
      server.close(() => resume(Effect.void))
    })
  )
  return { address: `http://127.0.0.1:${bound}`, jobs, requests }
})

export const make: Effect.Effect<FakeRay, never, Scope.Scope> = makeOn(0)

import { type Execution, StdioTest } from "@o1coder/domain"
import { Limits } from "@o1coder/sandbox"
import type { CommandRunResult, RunCodeRequest, RunCodeResponse } from "./Api.ts"

/**
 * SandboxFusion's `/run_code` over o1coder's sandbox: the code runs once as a stdio program with
 * the request's stdin, in a working directory holding the request's `files` (base64), whose
 * `fetch_files` come back base64 in `files`; the answer has SandboxFusion's fields and statuses (Python has no compile
 * step there: `compile_result` is null and a SyntaxError is a failed run), as verl's
 * `sandbox_fusion` reward reads them.
 */

const PYTHON = new Set(["python", "python3"])

export const sandboxError = (message: string): RunCodeResponse => ({
  status: "SandboxError",
  message,
  compile_result: null,
  run_result: null,
  executor_pod_name: null,
  files: {}
})

/** Bytes of files in (decoded), and of files fetched back, per request (the sandbox server's bound too). */
export const FILES_MAX = 16 * 1024 * 1024
const B64 = /^[A-Za-z0-9+/]*={0,2}$/

/** A path SandboxFusion would write inside its working directory: relative, without `..`. */
const relativePath = (name: string) => name !== "" && !name.startsWith("/") && !name.includes("\0") && name.split("/").every((p) => p !== "..") && name.split("/").some((p) => p !== "" && p !== ".")

/** Why the request cannot run here (other languages, bad or too large files), in SandboxFusion's own error shape. */
export const refusal = (request: RunCodeRequest): RunCodeResponse | undefined => {
  if (!PYTHON.has(request.language)) return sandboxError(`language ${JSON.stringify(request.language)} is not supported by o1coder (python only)`)
  let bytes = 0
  for (const [name, content] of Object.entries(request.files ?? {})) {
    if (!relativePath(name)) return sandboxError(`files: ${JSON.stringify(name.slice(0, 200))} is not a relative path inside the working directory`)
    if (content == null) continue
    if (content.length % 4 !== 0 || !B64.test(content)) return sandboxError(`files: the contents of ${JSON.stringify(name.slice(0, 200))} are not base64`)
    bytes += (content.length / 4) * 3 - (content.endsWith("==") ? 2 : content.endsWith("=") ? 1 : 0)
    if (bytes > FILES_MAX) return sandboxError(`files: more than ${FILES_MAX} bytes in all`)
  }
  for (const name of request.fetch_files ?? []) {
    if (!relativePath(name)) return sandboxError(`fetch_files: ${JSON.stringify(name.slice(0, 200))} is not a relative path inside the working directory`)
  }
  return undefined
}

/** The request's files as the sandbox takes them (a null content is written as an empty file). */
export const filesOf = (request: RunCodeRequest): Record<string, string> | undefined => {
  const entries = Object.entries(request.files ?? {})
  return entries.length === 0 ? undefined : Object.fromEntries(entries.map(([name, content]) => [name, content ?? ""]))
}

/** The one stdio test that runs the program (its expected output is never compared). */
export const programTest = (request: RunCodeRequest) => new StdioTest({ input: request.stdin ?? "", output: "" })

export const limitsFor = (request: RunCodeRequest, base: Limits): Limits => {
  const runMs = Math.min(Math.max(1, request.run_timeout ?? 10) * 1000, 600_000)
  const memory = request.memory_limit_MB != null && request.memory_limit_MB > 0 ? Math.min(request.memory_limit_MB * 1024 * 1024, base.memoryBytes) : base.memoryBytes
  return new Limits({ testTimeoutMs: runMs, totalTimeoutMs: runMs, memoryBytes: memory, outputBytes: base.outputBytes })
}

const result = (status: CommandRunResult["status"], seconds: number, returnCode: number | null, stdout: string, stderr: string): CommandRunResult => ({
  status,
  execution_time: seconds,
  return_code: returnCode,
  stdout,
  stderr
})

export const toResponse = (execution: Execution): RunCodeResponse => {
  const v = execution.verdicts[0]
  if (v === undefined || v.status === "killed" || v.status === "not_run") return sandboxError(`the sandbox lost the run: ${v?.error ?? "no verdict"}`)
  const seconds = v.ms / 1000
  const files = v.files ?? {}
  const failed = (run: CommandRunResult): RunCodeResponse => ({
    status: "Failed",
    message: "",
    compile_result: null,
    run_result: run,
    executor_pod_name: null,
    files
  })
  switch (v.status) {
    case "passed":
    case "failed":
      return { status: "Success", message: "", compile_result: null, run_result: result("Finished", seconds, 0, v.stdout ?? v.seen ?? "", ""), executor_pod_name: null, files }
    // What the program printed before it failed is its stdout, as SandboxFusion answers it.
    case "timeout":
      return failed(result("TimeLimitExceeded", seconds, null, v.stdout ?? "", v.error ?? ""))
    case "compile_error":
    case "runtime_error":
      return failed(result("Finished", seconds, 1, v.stdout ?? "", v.error ?? ""))
    case "memory_exceeded":
      return failed(result("Finished", seconds, 137, v.stdout ?? "", v.error ?? "MemoryError"))
    case "output_limit":
      return failed(result("Error", seconds, null, "", v.error ?? "output limit exceeded"))
  }
}

import { type Execution, StdioTest } from "@o1coder/domain"
import { Limits } from "@o1coder/sandbox"
import type { CommandRunResult, RunCodeRequest, RunCodeResponse } from "./Api.ts"

/**
 * SandboxFusion's `/run_code` over o1coder's sandbox: the code runs once as a stdio program with
 * the request's stdin; the answer has SandboxFusion's fields and statuses (Python has no compile
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

/** Why the request cannot run here (other languages, files in or out), in SandboxFusion's own error shape. */
export const refusal = (request: RunCodeRequest): RunCodeResponse | undefined => {
  if (!PYTHON.has(request.language)) return sandboxError(`language ${JSON.stringify(request.language)} is not supported by o1coder (python only)`)
  if (request.files != null && Object.keys(request.files).length > 0) return sandboxError("files are not supported by o1coder's /run_code")
  if (request.fetch_files != null && request.fetch_files.length > 0) return sandboxError("fetch_files is not supported by o1coder's /run_code")
  return undefined
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
  const failed = (run: CommandRunResult): RunCodeResponse => ({
    status: "Failed",
    message: "",
    compile_result: null,
    run_result: run,
    executor_pod_name: null,
    files: {}
  })
  switch (v.status) {
    case "passed":
    case "failed":
      return { status: "Success", message: "", compile_result: null, run_result: result("Finished", seconds, 0, v.stdout ?? v.seen ?? "", ""), executor_pod_name: null, files: {} }
    case "timeout":
      return failed(result("TimeLimitExceeded", seconds, null, "", v.error ?? ""))
    case "compile_error":
    case "runtime_error":
      return failed(result("Finished", seconds, 1, "", v.error ?? ""))
    case "memory_exceeded":
      return failed(result("Finished", seconds, 137, "", v.error ?? "MemoryError"))
    case "output_limit":
      return failed(result("Error", seconds, null, "", v.error ?? "output limit exceeded"))
  }
}

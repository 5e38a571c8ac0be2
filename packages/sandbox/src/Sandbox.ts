import type { Execution, ProblemKind, PyValue, Test } from "@o1coder/domain"
import { Context, Schema } from "effect"
import type { Effect } from "effect"

export class Limits extends Schema.Class<Limits>("Limits")({
  /** Wall-clock deadline per test, enforced by the parent. */
  testTimeoutMs: Schema.Number,
  /** Total wall-clock budget for one candidate. */
  totalTimeoutMs: Schema.Number,
  memoryBytes: Schema.Number,
  outputBytes: Schema.Number
}) {
  static readonly default = new Limits({
    testTimeoutMs: 3_000,
    totalTimeoutMs: 20_000,
    memoryBytes: 1024 ** 3,
    outputBytes: 1024 ** 2
  })
}

/** Why an execution was asked for: the store logs it, and evaluation proves no scoring test ran during search. */
export type Purpose = "search" | "scoring" | "validation" | "other" | "rl"

export interface RunRequest {
  readonly code: string
  readonly kind: ProblemKind
  readonly entryPoint?: string | undefined
  /** Trusted set-up code (dataset imports) run before the candidate's tests. */
  readonly setup?: string | undefined
  readonly tests: ReadonlyArray<Test>
  readonly limits?: Limits | undefined
  /**
   * One wall-clock deadline per test (ms), in place of `limits.testTimeoutMs` for each (fast scoring derives them
   * from the reference's time, so a looping candidate pays its own test's deadline, not the slowest one's).
   * Must have one entry per test; `limits.testTimeoutMs` should be at least their maximum (the watchdog uses it).
   */
  readonly testLimitsMs?: ReadonlyArray<number> | undefined
  /** Absolute float tolerance for every CallTest without its own `atol` (the problem's atol). */
  readonly atol?: number | undefined
  readonly purpose?: Purpose | undefined
  /**
   * Fast scoring: the run stops at the first test that raises, times out or otherwise does not return
   * (its remaining tests get `not_run`). Only "did every test pass?" is then meaningful.
   */
  readonly stopAtFirstFailure?: boolean | undefined
  readonly context?:
    | {
        readonly runId?: string
        readonly searchId?: string
        readonly problemId?: string
        /** The RL trainer's run name and step, for purpose `rl`. */
        readonly rlRun?: string | undefined
        readonly rlStep?: number | undefined
      }
    | undefined
  /** Stdio tests: keep the program's whole stdout (up to the output limit) on each verdict, as `stdout`. */
  readonly captureStdout?: boolean | undefined
  /**
   * Stdio runs: files written into the program's working directory before it starts (relative path:
   * base64 contents), and files read back from it after it ends (on each verdict, as `files`).
   * At most 16 MiB each way.
   */
  readonly files?: Readonly<Record<string, string>> | undefined
  readonly fetchFiles?: ReadonlyArray<string> | undefined
}

/** Result of calling a function on one argument list (used to label generated inputs). */
export type CallOutcome =
  | { readonly _tag: "value"; readonly value: PyValue; /** The call's own time (child's clock). */ readonly ms?: number | undefined }
  | { readonly _tag: "error"; readonly status: "timeout" | "runtime_error" | "compile_error" | "memory_exceeded" | "output_limit" | "killed"; readonly error: string }

export interface CallRequest {
  readonly code: string
  readonly entryPoint: string
  readonly setup?: string | undefined
  /** Each the source text of an argument list, e.g. `[1, 2], 3`. */
  readonly argsList: ReadonlyArray<string>
  readonly limits?: Limits | undefined
}

export interface IsolationInfo {
  readonly interpreter: string
  readonly level: "full" | "partial" | "none"
  readonly details: ReadonlyArray<string>
  readonly workers: number
}

export class SandboxError extends Schema.TaggedError<SandboxError>()("SandboxError", {
  reason: Schema.String
}) {
  override get message() {
    return this.reason
  }
}

/** Runs untrusted Python against tests and returns a verdict per test, judged outside the sandbox. */
export class Sandbox extends Context.Tag("o1coder/Sandbox")<
  Sandbox,
  {
    readonly run: (request: RunRequest) => Effect.Effect<Execution, SandboxError>
    readonly call: (request: CallRequest) => Effect.Effect<ReadonlyArray<CallOutcome>, SandboxError>
    readonly info: IsolationInfo
  }
>() {}

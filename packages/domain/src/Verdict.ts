import { Schema } from "effect"

export const VerdictStatus = Schema.Literal(
  "passed",
  "failed",
  "timeout",
  "runtime_error",
  "compile_error",
  "memory_exceeded",
  "output_limit",
  "killed",
  /** Fast scoring: an earlier test of the run did not pass, so this one was not run. */
  "not_run"
)
export type VerdictStatus = typeof VerdictStatus.Type

export class Verdict extends Schema.Class<Verdict>("Verdict")({
  status: VerdictStatus,
  /** Value (repr, truncated) the candidate produced, for failed tests. */
  seen: Schema.optional(Schema.String),
  /** Exception type and message, for errors. */
  error: Schema.optional(Schema.String),
  /** The program's whole stdout, for stdio tests run with `captureStdout` (the SandboxFusion endpoint). */
  stdout: Schema.optional(Schema.String),
  /** Files the run left in its working directory (relative path: base64), for runs with `fetchFiles`. */
  files: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.String })),
  ms: Schema.Number
}) {}

export class Execution extends Schema.Class<Execution>("Execution")({
  compiled: Schema.Boolean,
  verdicts: Schema.Array(Verdict),
  passed: Schema.Number,
  total: Schema.Number,
  ms: Schema.Number
}) {
  get passRatio(): number {
    return this.total === 0 ? 0 : this.passed / this.total
  }
  get allPassed(): boolean {
    return this.total > 0 && this.passed === this.total
  }
}

import { Schema } from "effect"

/** An export that could not be written (file system, invalid record, unknown kind or format). */
export class ExportError extends Schema.TaggedError<ExportError>()("ExportError", {
  reason: Schema.String,
  cause: Schema.optional(Schema.Defect)
}) {
  override get message(): string {
    return this.reason
  }
}

/** A training backend refused or failed an operation (submit, status, logs, cancel). */
export class TrainerError extends Schema.TaggedError<TrainerError>()("TrainerError", {
  backend: Schema.String,
  operation: Schema.String,
  reason: Schema.String
}) {
  override get message(): string {
    return `${this.backend} ${this.operation}: ${this.reason}`
  }
}

/** A job that ended without succeeding; carries the last lines of its log. */
export class TrainingFailed extends Schema.TaggedError<TrainingFailed>()("TrainingFailed", {
  jobId: Schema.String,
  status: Schema.String,
  reason: Schema.String,
  logTail: Schema.String
}) {
  override get message(): string {
    return `training job ${this.jobId} ${this.status}: ${this.reason}\n--- last log lines ---\n${this.logTail}`
  }
}

/** Waiting for a job passed its deadline (the job itself keeps running unless cancelled). */
export class WaitTimeout extends Schema.TaggedError<WaitTimeout>()("WaitTimeout", {
  jobId: Schema.String,
  waitedMs: Schema.Number
}) {
  override get message(): string {
    return `training job ${this.jobId} still running after ${Math.round(this.waitedMs / 1000)} s`
  }
}

/** A checkpoint that was not served: the server never listed it, the serving job ended, or a LoRA load was refused. */
export class ServeFailed extends Schema.TaggedError<ServeFailed>()("ServeFailed", {
  server: Schema.String,
  model: Schema.String,
  answered: Schema.String,
  logTail: Schema.optional(Schema.String)
}) {
  override get message(): string {
    const log = this.logTail !== undefined ? `\n--- serving job log ---\n${this.logTail}` : ""
    return `server ${this.server} did not list model ${this.model}: ${this.answered}${log}`
  }
}

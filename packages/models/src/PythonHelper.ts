import { Effect } from "effect"
import * as ChildProcess from "node:child_process"

/**
 * A helper killed by SIGINT or SIGTERM usually means Ctrl-C reached the whole process group: this
 * process gets the same signal a moment later and is interrupted. Failing the step first would
 * turn a resumable interruption into a failed run, so such a death is reported only after a grace.
 */
const SIGNAL_GRACE = "3 seconds"

/**
 * Runs a trusted helper script with `input` on stdin and returns its stdout; fails with a reason
 * when it cannot start or exits non-zero. Pipe errors (EPIPE when the helper died before reading
 * its input) never escape as unhandled errors: the exit is what is reported.
 */
export const runHelper = (
  command: string,
  args: ReadonlyArray<string>,
  input: string,
  options: { readonly name: string; readonly timeoutMs?: number | undefined }
): Effect.Effect<string, string> =>
  Effect.async<{ readonly code: number | null; readonly signal: NodeJS.Signals | null; readonly out: string; readonly err: string }, string>(
    (resume, signal) => {
      const child = ChildProcess.spawn(command, args as Array<string>, {
        stdio: ["pipe", "pipe", "pipe"],
        signal,
        // A timeout kills with SIGKILL: only an outside SIGINT/SIGTERM gets the grace below.
        ...(options.timeoutMs !== undefined ? { timeout: options.timeoutMs, killSignal: "SIGKILL" as const } : {})
      })
      const out: Array<Buffer> = []
      const err: Array<Buffer> = []
      let settled = false
      child.stdout.on("data", (c: Buffer) => out.push(c))
      child.stderr.on("data", (c: Buffer) => err.push(c))
      for (const stream of [child.stdin, child.stdout, child.stderr]) stream.on("error", () => {})
      child.on("error", (e) => {
        if (settled || e.name === "AbortError") return
        settled = true
        resume(Effect.fail(`cannot run ${command}: ${e.message}`))
      })
      child.on("close", (code, sig) => {
        if (settled) return
        settled = true
        resume(Effect.succeed({ code, signal: sig, out: Buffer.concat(out).toString("utf8"), err: Buffer.concat(err).toString() }))
      })
      child.stdin.end(input)
    }
  ).pipe(
    Effect.flatMap(({ code, err, out, signal }) => {
      if (code === 0) return Effect.succeed(out)
      const failure = Effect.fail(`${options.name} exited ${signal ?? code}: ${err.slice(-500)}`)
      return signal === "SIGINT" || signal === "SIGTERM" ? Effect.zipRight(Effect.sleep(SIGNAL_GRACE), failure) : failure
    })
  )

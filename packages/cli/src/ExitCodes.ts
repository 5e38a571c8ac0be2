import { Cause, Exit } from "effect"

/**
 * What a script can rely on (README "Exit codes"): 0 only when the command finished its work (a run
 * completed), 1 for a failure, 2 for a usage error, 75 when the database is unavailable for now
 * (unreachable at start-up or past the outage limit, or PGlite's storage failed; retry later, a run
 * is resumable), 130 when a signal (Ctrl-C, SIGTERM) interrupted the command (a run is left resumable).
 */
export const ExitCode = {
  ok: 0,
  failed: 1,
  usage: 2,
  databaseUnavailable: 75, // PgliteClient.EXIT_TEMPFAIL: its stall watchdog exits with it too
  interrupted: 130
} as const

/** The errors (by tag) that mean "the database is unavailable for now": exit 75 (a DatabaseConnectFailed only when `temporary`). */
export const DATABASE_UNAVAILABLE: ReadonlySet<string> = new Set(["DatabaseUnreachable", "DatabaseBroken", "DatabaseConnectFailed"])

let stoppedCleanly = false

/**
 * A service (`o1coder serve`, `o1coder runner`) stopped by a signal after it finished or handed back
 * everything in flight: that is how a service ends normally (systemd, Kubernetes), so the interruption
 * exits 0, not 130.
 */
export const markStoppedCleanly = (): void => {
  stoppedCleanly = true
}

/** The process exit code for the program's exit; `reported` is the code set while reporting an error. */
export const exitCodeOf = (exit: Exit.Exit<unknown, unknown>, reported: number | undefined): number => {
  if (Exit.isFailure(exit)) return Cause.isInterruptedOnly(exit.cause) ? (stoppedCleanly ? ExitCode.ok : ExitCode.interrupted) : reported || ExitCode.failed
  return reported ?? ExitCode.ok
}

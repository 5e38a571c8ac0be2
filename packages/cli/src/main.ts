import { Command, Options, ValidationError } from "@effect/cli"
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Array, Cause, Console, Effect } from "effect"
import { loadFor } from "./commands/index.ts"

// `--database-url` is accepted anywhere on the line (a global option): it is taken out of the
// arguments before parsing and handed to the store as DATABASE_URL.
const takeDatabaseUrl = (argv: ReadonlyArray<string>): ReadonlyArray<string> => {
  const out: Array<string> = []
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    if (arg === "--database-url" && i + 1 < argv.length) {
      process.env.DATABASE_URL = argv[++i]!
    } else if (arg.startsWith("--database-url=")) {
      process.env.DATABASE_URL = arg.slice("--database-url=".length)
    } else out.push(arg)
  }
  return out
}

const databaseUrl = Options.text("database-url").pipe(
  Options.optional,
  Options.withDescription(
    "Postgres URL for the store (also DATABASE_URL), accepted before or after the command. " +
      "Without it the store is embedded PGlite in .o1coder/db (override with O1CODER_DATA_DIR)."
  )
)

const base = Command.make("o1coder", { databaseUrl }).pipe(
  Command.withDescription(
    "o1coder: self-play reinforcement learning for code generation (O1-CODER): pseudocode steps searched by MCTS,\n" +
      "rewarded by running code on generated tests in a sandbox, every trace in Postgres.\n" +
      "Start with `o1coder demo` (offline, simulated policy), then `o1coder sql \"select * from round_metrics\"`."
  )
)

const argv = takeDatabaseUrl(process.argv)
const subcommands = await loadFor(argv.slice(2))
const info = { name: "o1coder", version: "0.1.0" }

/** Errors reach the user as one readable line; the full cause only with O1CODER_DEBUG=1. */
const report = (cause: Cause.Cause<unknown>) =>
  Effect.gen(function* () {
    const error = Cause.squash(cause)
    if (ValidationError.isValidationError(error)) {
      process.exitCode = 2 // @effect/cli has already printed the usage problem
      return
    }
    process.exitCode = process.exitCode && process.exitCode !== 0 ? process.exitCode : 1
    const message = error instanceof Error ? error.message : String(error)
    const tag = typeof error === "object" && error !== null && "_tag" in error ? `${String(error._tag)}: ` : ""
    yield* Console.error(`error: ${tag}${message}`)
    if (process.env.O1CODER_DEBUG === "1") yield* Console.error(Cause.pretty(cause))
  })

// Each command provides the services it needs (see Layers.ts): only the platform is provided here.
const program = Array.isNonEmptyReadonlyArray(subcommands)
  ? Command.run(base.pipe(Command.withSubcommands(subcommands)), info)(argv)
  : Command.run(base, info)(argv)

program.pipe(
  Effect.catchAllCause((cause) => (Cause.isInterruptedOnly(cause) ? Effect.void : report(cause))),
  Effect.provide(NodeContext.layer),
  NodeRuntime.runMain({ disableErrorReporting: true })
)

import { Command, Options } from "@effect/cli"
import { NodeContext, NodeRuntime } from "@effect/platform-node"
import { Effect } from "effect"
import { subcommands } from "./commands/index.ts"

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
    "Postgres URL for the store (also DATABASE_URL). Without it the store is embedded PGlite in .o1coder/db (O1CODER_DATA_DIR)."
  )
)

const root = Command.make("o1coder", { databaseUrl }).pipe(
  Command.withDescription(
    "o1coder: self-play reinforcement learning for code generation (O1-CODER).\n" +
      "Start with `o1coder demo` (offline, simulated policy), then `o1coder sql \"select * from round_metrics\"`."
  ),
  Command.withSubcommands(subcommands as any)
)

const cli = Command.run(root, { name: "o1coder", version: "0.1.0" })

cli(takeDatabaseUrl(process.argv)).pipe(Effect.provide(NodeContext.layer), NodeRuntime.runMain({ disableErrorReporting: false }))

import { Command, ValidationError } from "@effect/cli"
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Array, Cause, Config, Console, Effect, Option } from "effect"
import { groups, loadAll, loadFor, registry } from "./commands/index.ts"
import { describeCommand, renderCommandHelp, renderRootHelp, type CommandHelp, type GlobalOption } from "./Help.ts"
import { databaseMessage, describeDatabaseMessage } from "@o1coder/store/SqlErrors"
import { DATABASE_UNAVAILABLE, ExitCode, exitCodeOf } from "./ExitCodes.ts"
import { AppGraph, globalsProvider } from "./Layers.ts"
import { TableLayout } from "./Output.ts"
import { colourAllowed, plainConsole } from "./Terminal.ts"

const VERSION = "0.1.0"

const globals: ReadonlyArray<GlobalOption> = [
  {
    label: "--database-url URL",
    description: "Postgres for the store (also DATABASE_URL). Without it: embedded PGlite in .o1coder/db (O1CODER_DATA_DIR moves it)."
  },
  { label: "--wide", description: "Tables with every column (by default they fit the terminal, 80 columns when piped)." },
  { label: "--log-level LEVEL", description: "Log messages at LEVEL and above: all, trace, debug, info, warning, error, none." },
  { label: "-h, --help", description: "This help; after a command, the command's help." },
  { label: "--version", description: "Print the version." }
]

/**
 * Global options are accepted anywhere on the line: they are taken out of the arguments before
 * @effect/cli parses them. `--database-url` becomes the store's `DATABASE_URL` setting (see
 * `Layers.globalsProvider`).
 */
const takeGlobals = (argv: ReadonlyArray<string>) => {
  const rest: Array<string> = []
  let wide = false
  let databaseUrl = Option.none<string>()
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    if (arg === "--database-url" && i + 1 < argv.length) databaseUrl = Option.some(argv[++i]!)
    else if (arg.startsWith("--database-url=")) databaseUrl = Option.some(arg.slice("--database-url=".length))
    else if (arg === "--wide") wide = true
    else rest.push(arg)
  }
  return { argv: rest, wide, databaseUrl }
}

const description =
  "Self-play reinforcement learning for code generation (O1-CODER): a policy writes pseudocode " +
  "steps, MCTS searches them, generated tests run the code in a sandbox for a reward, and every " +
  "trace is in Postgres (or embedded PGlite).\n\n" +
  "Start here:\n" +
  "  o1coder demo                               two offline rounds, simulated\n" +
  '  o1coder sql "select * from round_metrics"  then ask the store'

/**
 * `--help` anywhere before `--`: the help of the command named before it, or the root's; also
 * the help of a group (`o1coder train`) named without one of its commands.
 */
const helpText = async (args: ReadonlyArray<string>): Promise<string | undefined> => {
  const end = args.indexOf("--")
  const before = end === -1 ? args : args.slice(0, end)
  const asked = before.some((a) => a === "--help" || a === "-h")
  const words = before.filter((a) => !a.startsWith("-"))
  if (!asked && (words.length !== 1 || !Object.hasOwn(registry, words[0]!))) return undefined
  const width = Math.min(100, process.stdout.isTTY ? (process.stdout.columns ?? 80) : 80)
  let found: CommandHelp | undefined
  if (words.length > 0) {
    for (const command of await loadFor(words)) {
      let help: CommandHelp | undefined = describeCommand(command, ["o1coder"])
      if (help.path[1] !== words[0]) continue
      for (const word of words.slice(1)) {
        const sub: CommandHelp | undefined = help.subcommands.find((s) => s.path.at(-1) === word)
        if (sub === undefined) break
        help = sub
      }
      found = help
    }
  }
  const isGroup = (h: CommandHelp) => h.subcommands.length > 0 && h.options.length === 0 && h.args.length === 0
  if (!asked) return found !== undefined && isGroup(found) ? renderCommandHelp(found, globals, width) : undefined
  if (found !== undefined) return renderCommandHelp(found, globals, width)
  const all = new Map((await loadAll()).map((c) => [describeCommand(c, ["o1coder"]).path[1]!, describeCommand(c, ["o1coder"])]))
  return renderRootHelp(
    { version: VERSION, description, globals, groups: groups.map((g) => ({ title: g.title, commands: g.names.map((n) => all.get(n)!) })) },
    width
  )
}

const debugConfig = Config.string("O1CODER_DEBUG").pipe(Config.withDefault(""), Effect.orElseSucceed(() => ""))

/** Errors reach the user as one readable line; the full cause only with O1CODER_DEBUG=1. */
const report = (cause: Cause.Cause<unknown>) =>
  Effect.gen(function* () {
    const error = Cause.squash(cause)
    if (ValidationError.isValidationError(error)) {
      process.exitCode = ExitCode.usage // @effect/cli has already printed the usage problem
      return
    }
    const tagged = typeof error === "object" && error !== null && "_tag" in error ? String(error._tag) : ""
    // A connection refused at start-up is temporary; a wrong password or a missing database is not.
    const unavailable = DATABASE_UNAVAILABLE.has(tagged) && (tagged !== "DatabaseConnectFailed" || (error as { temporary?: boolean }).temporary === true)
    process.exitCode = unavailable ? ExitCode.databaseUnavailable : process.exitCode && process.exitCode !== 0 ? process.exitCode : ExitCode.failed
    // A SqlError's own message is generic ("Failed to execute statement"): show what the database said.
    const said = databaseMessage(error)
    const message = said !== undefined ? describeDatabaseMessage(said) : error instanceof Error ? error.message : String(error)
    yield* Console.error(`error: ${tagged === "" ? "" : `${tagged}: `}${message}`)
    if (unavailable && tagged === "DatabaseConnectFailed") yield* Console.error(`the database is unavailable for now (exit code ${ExitCode.databaseUnavailable}): retry later`)
    if ((yield* debugConfig) === "1") yield* Console.error(Cause.pretty(cause))
  })

const { argv, databaseUrl, wide } = takeGlobals(process.argv)
const help = await helpText(argv.slice(2))
if (help !== undefined) {
  process.stdout.write(`${help}\n`)
} else {
  const subcommands = await loadFor(argv.slice(2))
  const base = Command.make("o1coder")
  const info = { name: "o1coder", version: VERSION }
  // Each command builds the slice of the layer graph it needs (Layers.ts); here: the graph, its config and the platform.
  const program = Array.isNonEmptyReadonlyArray(subcommands)
    ? Command.run(base.pipe(Command.withSubcommands(subcommands)), info)(argv)
    : Command.run(base, info)(argv)
  const width = wide ? undefined : process.stdout.isTTY ? (process.stdout.columns ?? 80) : 80
  program.pipe(
    // An interrupted command (a run stopped by Ctrl-C is resumable) must not look finished to a script.
    Effect.catchAllCause((cause) =>
      Cause.isInterruptedOnly(cause) ? Effect.sync(() => void (process.exitCode = ExitCode.interrupted)) : report(cause)
    ),
    Effect.provideService(TableLayout, { width }),
    Effect.provide(AppGraph.live),
    Effect.withConfigProvider(globalsProvider({ databaseUrl })),
    (effect) =>
      Effect.flatMap(colourAllowed(), (colour) =>
        colour ? effect : Effect.flatMap(Effect.console, (c) => Effect.withConsole(effect, plainConsole(c)))
      ),
    Effect.provide(NodeContext.layer),
    NodeRuntime.runMain({
      disableErrorReporting: true,
      teardown: (exit, onExit) => onExit(exitCodeOf(exit, process.exitCode === undefined ? undefined : Number(process.exitCode)))
    })
  )
}

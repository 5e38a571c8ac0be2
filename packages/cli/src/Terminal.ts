import { Config, Effect, type Console } from "effect"

/** Colour only on a terminal, and never with NO_COLOR set (https://no-color.org) or TERM=dumb. */
export const colourAllowed = (stream: NodeJS.WriteStream = process.stdout): Effect.Effect<boolean> =>
  Config.all({
    noColor: Config.string("NO_COLOR").pipe(Config.withDefault("")),
    term: Config.string("TERM").pipe(Config.withDefault(""))
  }).pipe(
    Effect.map(({ noColor, term }) => stream.isTTY === true && noColor === "" && term !== "dumb"),
    Effect.orElseSucceed(() => false)
  )

const ANSI = /\x1b\[[0-9;]*[A-Za-z]/g

export const stripAnsi = (text: string): string => text.replace(ANSI, "")

const plainArgs = (args: ReadonlyArray<unknown>) => args.map((a) => (typeof a === "string" ? stripAnsi(a) : a))

/** The console with ANSI escapes taken out of every string it prints (@effect/cli colours its messages). */
export const plainConsole = (console: Console.Console): Console.Console => ({
  ...console,
  log: (...args) => console.log(...plainArgs(args)),
  error: (...args) => console.error(...plainArgs(args)),
  warn: (...args) => console.warn(...plainArgs(args)),
  info: (...args) => console.info(...plainArgs(args)),
  debug: (...args) => console.debug(...plainArgs(args)),
  unsafe: {
    ...console.unsafe,
    log: (...args) => console.unsafe.log(...plainArgs(args)),
    error: (...args) => console.unsafe.error(...plainArgs(args)),
    warn: (...args) => console.unsafe.warn(...plainArgs(args)),
    info: (...args) => console.unsafe.info(...plainArgs(args)),
    debug: (...args) => console.unsafe.debug(...plainArgs(args))
  }
})

import * as Db from "./db.ts"
import * as Problems from "./problems.ts"
import * as SelfPlay from "./selfplay.ts"
import * as Tcg from "./tcg.ts"

/** Every command module contributes its subcommands here. */
export const subcommands = [...Db.commands, ...Problems.commands, ...SelfPlay.commands, ...Tcg.commands] as const

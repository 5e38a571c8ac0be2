import * as Db from "./db.ts"
import * as Eval from "./eval.ts"
import * as Export from "./export.ts"
import * as Models from "./models.ts"
import * as Problems from "./problems.ts"
import * as SandboxCommands from "./sandbox.ts"
import * as SearchCommands from "./search.ts"
import * as SelfPlay from "./selfplay.ts"
import * as Tcg from "./tcg.ts"
import * as Train from "./train.ts"

/** Every command module contributes its subcommands here. */
export const subcommands = [...Db.commands, ...Eval.commands, ...Models.commands, ...Problems.commands, ...SandboxCommands.commands, ...SearchCommands.commands, ...SelfPlay.commands, ...Tcg.commands, ...Export.commands, ...Train.commands] as const

import * as Db from "./db.ts"

/** Every command module contributes its subcommands here. */
export const subcommands = [...Db.commands] as const

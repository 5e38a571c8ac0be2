import { Command } from "@effect/cli"
import { HashSet } from "effect"
import { describe, expect, it } from "vitest"
import { loadAll, loadFor, registry } from "../src/commands/index.ts"

const namesOf = (commands: ReadonlyArray<Command.Command<any, any, any, any>>) =>
  commands.flatMap((c) => [...HashSet.values(Command.getNames(c))]).sort()

/** The lazy command table: a command missing from it, or filed under the wrong module, fails here. */
describe("command registry", () => {
  it("lists exactly the top-level commands the modules define", async () => {
    expect(namesOf(await loadAll())).toEqual(Object.keys(registry).sort())
  })

  it("loads the module of the named command only, none for --version", async () => {
    for (const name of Object.keys(registry)) {
      expect(namesOf(await loadFor([name, "--help"]))).toContain(name)
    }
    expect(await loadFor(["--version"])).toEqual([])
    expect(namesOf(await loadFor(["--help"]))).toEqual(Object.keys(registry).sort())
  })
})

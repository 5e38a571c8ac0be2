import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { groups, loadAll, registry } from "../src/commands/index.ts"
import { describeCommand, renderCommandHelp, renderRootHelp, type CommandHelp } from "../src/Help.ts"
import { renderTable } from "../src/Output.ts"
import { drawsInPlace, makeProgress, setCondition } from "../src/Progress.ts"

const widest = (text: string) => Math.max(...text.split("\n").map((l) => [...l].length))

/** A stream double: what a terminal (or a pipe) would have been sent. */
const fakeStream = (tty: boolean, columns = 80) => {
  const writes: Array<string> = []
  const stream = { isTTY: tty, columns, write: (s: string) => writes.push(s) > 0 } as unknown as NodeJS.WriteStream
  return { stream, writes }
}

describe("tables", () => {
  const rows = [
    { round: 1, problems: 32, nodes: 1211, pass_rate: 0.361, aspr: 0.495, tokens: 289612, policy: "mv-policy-sft-a31ae35797fd05ea", note: "x".repeat(70) },
    { round: 2, problems: 32, nodes: 1127, pass_rate: 0.715, aspr: 0.751, tokens: 268725, policy: "demo-baa4785e24:policy:0", note: "" }
  ]

  it("fit the width: columns that do not fit are named under the table, legends only for shown columns", () => {
    const text = renderTable(rows, undefined, { width: 60, legend: { aspr: "average sampling pass rate", note: "hidden" } })
    expect(widest(text)).toBeLessThanOrEqual(60)
    expect(text).toMatch(/^round +problems +nodes +pass_rate +aspr/)
    expect(text).toContain("not shown, to fit 60 columns: policy, note (--wide")
    expect(text).toContain("aspr  average sampling pass rate")
    expect(text).not.toContain("hidden")
  })

  it("show every column without a width (--wide)", () => {
    const text = renderTable(rows, undefined, { width: undefined })
    expect(text.split("\n")[0]).toMatch(/policy +note$/)
    expect(text).not.toContain("not shown")
  })

  it("print a single record too wide for a row as name/value lines", () => {
    const text = renderTable([rows[0]!], undefined, { width: 60 })
    expect(widest(text)).toBeLessThanOrEqual(60)
    expect(text.split("\n")[0]).toMatch(/^round +1$/)
    expect(text).toContain("policy     mv-policy-sft-a31ae35797fd05ea")
  })
})

describe("progress", () => {
  it("on a terminal: one line redrawn in place, cut to the width, and the clock ticks without updates", async () => {
    const { stream, writes } = fakeStream(true, 40)
    const progress = await Effect.runPromise(makeProgress("round 1 search", 32, { stream }))
    await Effect.runPromise(progress.update(3, "demo/a_problem_with_a_very_long_name_indeed"))
    const drawn = writes.length
    for (let i = 0; i < 100 && writes.length === drawn; i++) await new Promise((r) => setTimeout(r, 100))
    await Effect.runPromise(progress.finish(undefined, 32))
    expect(writes.length).toBeGreaterThan(drawn + 1) // a tick, then the final line
    for (const w of writes.filter((w) => w.startsWith("\r"))) {
      expect([...w.replace("\r\x1b[2K", "")].length).toBeLessThanOrEqual(39)
    }
    expect(writes.at(-2)).toContain("32/32")
  })

  it("a condition of the program (waiting for the database) is part of the line drawn in place, not a line of its own", async () => {
    const { stream, writes } = fakeStream(true, 200)
    expect(await Effect.runPromise(drawsInPlace)).toBe(false)
    const progress = await Effect.runPromise(makeProgress("round 1 search", 4, { stream }))
    expect(await Effect.runPromise(drawsInPlace)).toBe(true)
    await Effect.runPromise(setCondition("waiting for the database (3 s)"))
    await Effect.runPromise(progress.update(4, "demo/a"))
    await Effect.runPromise(setCondition(undefined))
    await Effect.runPromise(progress.finish())
    expect(await Effect.runPromise(drawsInPlace)).toBe(false)
    const waiting = writes.filter((w) => w.includes("waiting for the database (3 s)"))
    expect(waiting.length).toBeGreaterThan(0)
    for (const w of waiting) expect(w).toMatch(/^\r\x1b\[2Kround 1 search .*4\/4.*demo\/a   waiting for the database \(3 s\)$/)
    expect(writes.at(-2)).not.toContain("waiting")
    // In a log the line is plain and never carries it: the run prints the notice as a line of its own.
    const log = fakeStream(false)
    const plain = await Effect.runPromise(makeProgress("round 1 search", 2, { stream: log.stream, plainEveryMs: 0 }))
    expect(await Effect.runPromise(drawsInPlace)).toBe(false)
    await Effect.runPromise(setCondition("waiting for the database (3 s)"))
    await Effect.runPromise(plain.update(1))
    await Effect.runPromise(setCondition(undefined))
    await Effect.runPromise(plain.finish(undefined, 2))
    expect(log.writes.join("")).not.toContain("waiting")
  })

  it("in a log: plain lines, the last one once", async () => {
    const { stream, writes } = fakeStream(false)
    const progress = await Effect.runPromise(makeProgress("round 1 evaluate", 2, { stream, plainEveryMs: 0 }))
    await Effect.runPromise(progress.update(1))
    await Effect.runPromise(progress.update(2))
    await Effect.runPromise(progress.finish(undefined, 2))
    expect(writes.every((w) => w.endsWith("\n") && !w.includes("\r"))).toBe(true)
    expect(writes.filter((w) => w.includes("2/2"))).toHaveLength(1)
  })
})

describe("help", () => {
  const all = async () => (await loadAll()).map((c) => describeCommand(c, ["o1coder"]))
  const flatten = (h: CommandHelp): Array<CommandHelp> => [h, ...h.subcommands.flatMap(flatten)]
  const globals = [{ label: "--wide", description: "every column" }]

  it("puts every top-level command in one section of the root help", () => {
    const named = groups.flatMap((g) => g.names)
    expect([...named].sort()).toEqual(Object.keys(registry).sort())
    expect(new Set(named).size).toBe(named.length)
  })

  it("fits 80 columns, with a short summary and an example for every command, and no boilerplate", async () => {
    const commands = (await all()).flatMap(flatten)
    for (const help of commands) {
      const text = renderCommandHelp(help, globals)
      const name = help.path.join(" ")
      expect(widest(text), name).toBeLessThanOrEqual(80)
      expect(text.split("\n")[0], name).toMatch(new RegExp(`^Usage: ${name}( |$)`))
      expect(text, name).not.toMatch(/A user-defined piece of text|A true or false value|This setting is optional|DESIGN\.md/)
      const runnable = help.options.length > 0 || help.args.length > 0 || help.subcommands.length === 0
      if (runnable) expect(text, name).toMatch(/\nExamples?:\n {2}o1coder /)
      expect(help.description.split("\n")[0]!.length, name).toBeLessThanOrEqual(56)
    }
    const root = renderRootHelp({ version: "0", description: "d", globals, groups: groups.map((g) => ({ title: g.title, commands: [] })) })
    expect(widest(root)).toBeLessThanOrEqual(80)
  })
})

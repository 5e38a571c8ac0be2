import * as NodeFs from "node:fs"
import * as NodeOs from "node:os"
import * as NodePath from "node:path"
import { describe, expect, it } from "vitest"
import { runCli } from "./helpers.ts"

/**
 * `o1coder run --config` with a bad file: the message names the field, the exit status is not 0,
 * and nothing is written to the store (its data directory is not even created). Every kind of
 * mistake is covered field by field in packages/selfplay/test/RunConfig.test.ts; these go
 * through the real command.
 */
const good = `name: bad-config
problems: { dataset: demo }
models: { policy: simulated }
training:
  backend: local
  stages: { sft: { command: "true" }, prm: { command: "true" }, dpo: { command: "true" } }
`

const cases: ReadonlyArray<[string, string, string]> = [
  ["negative rollouts", `${good}search: { rollouts: -3 }\n`, "search.rollouts: expected a positive integer, got -3"],
  ["misspelt field and wrong type", `${good}search: { rolouts: 3, topP: "high" }\n`, "search.rolouts: unknown field"],
  ["YAML syntax", `name: [unclosed\n`, "cannot parse"],
  ["missing training command", good.replace('sft: { command: "true" }, ', ""), "training.stages.sft.command: required field is missing"]
]

describe("bad run configurations", () => {
  it("are refused with the field named and nothing written", { timeout: 300_000 }, async () => {
    const dir = NodeFs.mkdtempSync(NodePath.join(NodeOs.tmpdir(), "o1-badcfg-"))
    const results = await Promise.all(
      cases.map(async ([name, text, message], i) => {
        const file = NodePath.join(dir, `bad-${i}.yaml`)
        NodeFs.writeFileSync(file, text)
        const dataDir = NodePath.join(dir, `db-${i}`)
        const result = await runCli(["run", "--config", file], { env: { O1CODER_DATA_DIR: dataDir } })
        return { name, message, result, wrote: NodeFs.existsSync(dataDir) }
      })
    )
    for (const { message, name, result, wrote } of results) {
      expect(result.code, name).not.toBe(0)
      expect(result.stderr, name).toContain(message)
      expect(result.stdout, name).not.toMatch(/^run: /m)
      expect(wrote, `${name}: the store was touched`).toBe(false)
    }
    // The second case reports both of its mistakes at once.
    expect(results[1]!.result.stderr).toContain('search.topP: expected a number between 0 and 1, got "high"')
    NodeFs.rmSync(dir, { recursive: true, force: true })
  })
})

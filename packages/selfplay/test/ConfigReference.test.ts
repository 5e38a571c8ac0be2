import { REPO_ROOT } from "@o1coder/domain"
import * as NodeFs from "node:fs"
import * as NodePath from "node:path"
import { describe, expect, it } from "vitest"
import { configFields, configReference } from "../src/ConfigReference.ts"

/** docs/CONFIG.md is the RunConfig Schema's: it cannot drift from what `o1coder run` accepts. */
describe("docs/CONFIG.md", () => {
  it("is what the Schema says now (regenerate: npx tsx scripts/config-reference.ts)", () => {
    const committed = NodeFs.readFileSync(NodePath.join(REPO_ROOT, "docs/CONFIG.md"), "utf8")
    expect(committed).toBe(configReference())
  })

  it("explains every field that is not a section", () => {
    const undocumented = configFields().filter((f) => f.type !== "mapping" && f.description === undefined)
    expect(undocumented.map((f) => f.path)).toEqual([])
  })
})

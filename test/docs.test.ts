import { REPO_ROOT } from "@o1coder/domain"
import { spawnSync } from "node:child_process"
import * as NodeFs from "node:fs"
import * as NodePath from "node:path"
import { describe, expect, it } from "vitest"

/** The docs live in the repository: a README per package, and no pointer to a file that is not there. */
describe("docs", () => {
  it("every package has a README naming its tests", () => {
    const packages = NodeFs.readdirSync(NodePath.join(REPO_ROOT, "packages")).filter((p) =>
      NodeFs.existsSync(NodePath.join(REPO_ROOT, "packages", p, "package.json"))
    )
    expect(packages.length).toBeGreaterThanOrEqual(12)
    for (const p of packages) {
      const readme = NodePath.join(REPO_ROOT, "packages", p, "README.md")
      expect(NodeFs.existsSync(readme), `packages/${p}/README.md`).toBe(true)
      expect(NodeFs.readFileSync(readme, "utf8"), `packages/${p}/README.md`).toMatch(/test/i)
    }
  })

  it("no tracked file refers to DESIGN.md (it is not in the repository)", () => {
    const design = ["DESIGN", "md"].join(".")
    const grep = spawnSync("git", ["grep", "-l", "-F", design, "--", ".", ":!test/docs.test.ts"], { cwd: REPO_ROOT, encoding: "utf8" })
    expect(NodeFs.existsSync(NodePath.join(REPO_ROOT, design))).toBe(false)
    expect(grep.stdout.trim(), "files naming it").toBe("")
    expect(grep.status, grep.stderr).toBe(1) // git grep: 1 = no match
  })
})

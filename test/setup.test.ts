import { spawnSync } from "node:child_process"
import * as NodeFs from "node:fs"
import * as NodePath from "node:path"
import { REPO_ROOT } from "@o1coder/domain"
import { describe, expect, it } from "vitest"

const run = (script: string, args: ReadonlyArray<string>, asNobody = false) => {
  const command = asNobody && process.getuid?.() === 0 ? ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "bash"] : ["bash"]
  const r = spawnSync(command[0]!, [...command.slice(1), script, ...args], {
    cwd: REPO_ROOT,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, HOME: asNobody ? "/tmp" : process.env.HOME }
  })
  return { code: r.status, output: `${r.stdout}${r.stderr}` }
}

const setup = NodePath.join(REPO_ROOT, "scripts/setup.sh")

/** scripts/setup.sh: what both README commands start with. */
describe("scripts/setup.sh", () => {
  it("has nothing to do when run a second time, and says nothing", { timeout: 30 * 60_000 }, () => {
    const first = run(setup, ["test"])
    expect(first.code, first.output).toBe(0)
    const second = run(setup, ["test"])
    expect(second).toEqual({ code: 0, output: "" })
    expect(run(setup, ["--check", "test"])).toEqual({ code: 0, output: "" })
  })

  it("without root, prints the exact command for a missing package or service and exits 2", () => {
    // A copy with two needs this machine cannot meet (the table is one line per need).
    const copy = NodePath.join(REPO_ROOT, `scripts/_setup-test-${process.pid}.sh`)
    const withNeed = (line: string) =>
      NodeFs.writeFileSync(copy, NodeFs.readFileSync(setup, "utf8").replace(/^need demo "bubblewrap/m, `${line}\nneed demo "bubblewrap`))
    try {
      withNeed('need demo "a missing package" "false" apt "o1coder-no-such-package"')
      expect(run(copy, ["--check"], true)).toEqual({ code: 1, output: "missing: a missing package\n" })
      const apt = run(copy, [], true)
      expect(apt.code).toBe(2)
      expect(apt.output).toContain("  sudo apt-get update && sudo apt-get install -y o1coder-no-such-package\n")
      withNeed('need demo "a stopped service" "false" root "service o1coder-none start"')
      const service = run(copy, ["demo"], true)
      expect(service.code).toBe(2)
      expect(service.output).toContain("  sudo service o1coder-none start\n")
      expect(service.output).toContain("then again: scripts/setup.sh demo")
    } finally {
      NodeFs.rmSync(copy, { force: true })
    }
  })
})

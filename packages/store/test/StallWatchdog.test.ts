import { REPO_ROOT } from "@o1coder/domain"
import { spawn } from "node:child_process"
import * as NodePath from "node:path"
import { describe, expect, it } from "vitest"

const CHILD = NodePath.join(REPO_ROOT, "packages/store/test/stall-child.ts")

const runChild = (mode: string) =>
  new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", CHILD, mode], { cwd: REPO_ROOT, stdio: ["ignore", "ignore", "pipe"] })
    let stderr = ""
    child.stderr!.on("data", (d) => (stderr += d))
    // Bounded: without a working watchdog the "block" child would never end.
    const guard = setTimeout(() => child.kill("SIGKILL"), 60_000)
    child.on("close", (code, signal) => {
      clearTimeout(guard)
      resolve({ code, signal, stderr })
    })
  })

describe("StallWatchdog", () => {
  it("frees a main thread spinning inside a tracked call and lets it exit with its own code", async () => {
    const r = await runChild("block")
    expect(r.stderr).toMatch(/stall-child: stalled after \d+ ms/)
    expect(r.stderr).not.toContain("Waiting for the debugger")
    expect(r.code, r.stderr).toBe(75)
  })

  it("leaves alone a loop blocked outside tracked calls, and tracked calls that settle", async () => {
    for (const mode of ["untracked", "quick"]) {
      const r = await runChild(mode)
      expect(r.stderr, mode).toBe("stall-child: done\n")
      expect(r.code, mode).toBe(0)
    }
  })
})

import { describe, expect, it } from "vitest"
import { runCli } from "./helpers.ts"

describe("o1coder doctor", () => {
  it("reports the seccomp filter and what it denies (--json), and passes its self-test", async () => {
    const r = await runCli(["doctor", "--json"], {})
    expect(r.code, r.stderr).toBe(0)
    const report = JSON.parse(r.stdout) as { level: string; seccomp: { syscalls: number; denied: Record<string, ReadonlyArray<string>> } | null; selfTest: string }
    expect(report.level).toBe("full")
    expect(report.seccomp).not.toBeNull()
    expect(Object.keys(report.seccomp!.denied)).toEqual(expect.arrayContaining(["kernel keyring", "SysV IPC and POSIX message queues", "namespaces", "bpf and perf", "mounts"]))
    expect(report.seccomp!.denied["ptrace and other processes' memory"]).toContain("ptrace")
    expect(report.selfTest).toMatch(/^passed/)
  })
})

import { it } from "@effect/vitest"
import { Run, RunId, RunOwner } from "@o1coder/domain"
import { TestDatabase } from "@o1coder/store"
import { RunsRepo } from "@o1coder/store/RunsRepo"
import { Effect, Layer } from "effect"
import { spawn } from "node:child_process"
import * as NodeOs from "node:os"
import { describe, expect } from "vitest"
import { currentOwner, liveness, own, pidExists, shownStatus, STALE_AFTER_SECONDS } from "../src/RunOwner.ts"

const run = (fields: Partial<{ status: Run["status"]; owner: RunOwner | null; heartbeatAgeSeconds: number | null }>) =>
  new Run({
    id: RunId.make("r-1"),
    name: "r",
    config: {},
    status: fields.status ?? "running",
    createdAt: new Date(0),
    updatedAt: new Date(0),
    owner: fields.owner ?? null,
    heartbeatAgeSeconds: fields.heartbeatAgeSeconds ?? null
  })

describe("RunOwner", () => {
  it("running while the owner exists and beats; interrupted when its pid is gone or it stopped beating", async () => {
    const me = currentOwner()
    expect(shownStatus(run({ owner: me, heartbeatAgeSeconds: 1 })).text).toBe(`running (pid ${me.pid} on ${me.host})`)

    // A real process, killed with SIGKILL: its pid no longer exists.
    const child = spawn("sleep", ["60"], { stdio: "ignore" })
    const dead = new RunOwner({ host: NodeOs.hostname(), pid: child.pid!, startedAt: new Date() })
    expect(liveness(run({ owner: dead, heartbeatAgeSeconds: 1 })).alive).toBe(true)
    const exited = new Promise((resolve) => child.on("exit", resolve))
    child.kill("SIGKILL")
    await exited
    expect(pidExists(child.pid!)).toBe(false)
    const shown = shownStatus(run({ owner: dead, heartbeatAgeSeconds: 1 }))
    expect(shown.status).toBe("interrupted")
    expect(shown.text).toBe("interrupted (resume with o1coder resume r-1)")
    expect(shown.liveness).toEqual({ alive: false, reason: `pid ${child.pid} on ${dead.host} is gone` })

    // Another host: only the heartbeat tells.
    const remote = new RunOwner({ host: "elsewhere", pid: 1, startedAt: new Date() })
    expect(shownStatus(run({ owner: remote, heartbeatAgeSeconds: 3 })).status).toBe("running")
    expect(shownStatus(run({ owner: remote, heartbeatAgeSeconds: STALE_AFTER_SECONDS + 1 })).status).toBe("interrupted")
    expect(shownStatus(run({ owner: null })).status).toBe("interrupted")
    expect(shownStatus(run({ status: "completed", owner: dead })).text).toBe("completed")
    expect(shownStatus(run({ status: "failed" })).text).toBe("failed (resume with o1coder resume r-1)")
  })

  for (const backend of TestDatabase.backends) {
    it.scoped(`${backend.name}: the owner and its heartbeat are stored; a newer owner's claim wins`, () =>
      Effect.gen(function* () {
        const repo = yield* RunsRepo
        yield* repo.create({ id: "r-own", name: "own", config: {} })
        expect((yield* repo.get("r-own")).owner).toBeNull()
        const mine = yield* own("r-own")
        const stored = yield* repo.get("r-own")
        expect(stored.owner).toEqual(mine)
        expect(stored.heartbeatAgeSeconds).toBeLessThan(STALE_AFTER_SECONDS)
        const other = new RunOwner({ host: "elsewhere", pid: 7, startedAt: new Date() })
        yield* repo.claim("r-own", other)
        yield* repo.heartbeat("r-own", mine)
        expect((yield* repo.get("r-own")).owner?.host).toBe("elsewhere")
        expect((yield* repo.list()).map((r) => r.owner?.pid)).toEqual([7])
      }).pipe(Effect.provide(RunsRepo.Default.pipe(Layer.provideMerge(backend.layer)))), 120_000
    )
  }
})

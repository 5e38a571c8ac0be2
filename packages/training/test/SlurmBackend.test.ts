import { describe, expect, it, layer as withLayer } from "@effect/vitest"
import { TestDatabase } from "@o1coder/store"
import { JobsRepo } from "@o1coder/store/JobsRepo"
import { ModelVersionsRepo } from "@o1coder/store/ModelVersionsRepo"
import { Effect, Layer, Schedule } from "effect"
import { execFileSync, execSync } from "node:child_process"
import * as Fs from "node:fs"
import * as Path from "node:path"
import * as SlurmBackend from "../src/backends/Slurm.ts"
import type { ResolvedSpec } from "../src/JobSpec.ts"
import { Trainer, TrainingBackends } from "../src/Trainer.ts"
import { checkpointCommand, countLines, makeDataset, registerBase, tempDir } from "./trainerFixtures.ts"

/**
 * End to end against the REAL Slurm started by scripts/setup-slurm.sh (.ci/run calls it).
 * Skipped only when Slurm is not installed at all.
 */
const hasSbatch = (() => {
  try {
    execSync("command -v sbatch", { stdio: "ignore" })
    return true
  } catch {
    return false
  }
})()

const dir = tempDir("o1coder-slurm-")
const workDir = Path.join(dir, "jobs")
const dataset = makeDataset(dir)
const RUN = `R-${process.pid}-${Date.now()}`
const spec = (command: string, extra: Record<string, unknown> = {}) => ({
  backend: "slurm" as const,
  stage: "prm" as const,
  // A run id of its own: job ids are stable across processes, and Slurm outlives a test run.
  runId: RUN,
  round: 1,
  baseModelPath: "Qwen/Qwen2.5-0.5B",
  parentVersion: "base-policy",
  datasets: [dataset],
  command,
  workDir,
  timeLimit: "00:05:00",
  cpus: 1,
  ...extra
})

const layer = Layer.mergeAll(Trainer.Default, JobsRepo.Default, ModelVersionsRepo.Default).pipe(
  Layer.provideMerge(TrainingBackends.layer(Effect.succeed(SlurmBackend.make()))),
  Layer.provideMerge(TestDatabase.postgres)
)

describe("Slurm helpers", () => {
  it("parses scontrol output and maps states", () => {
    const f = SlurmBackend.parseScontrol("JobId=12 JobName=job-x\n   JobState=FAILED Reason=NonZeroExitCode Dependency=(null)\n   ExitCode=3:0")
    expect(f["JobState"]).toBe("FAILED")
    expect(f["ExitCode"]).toBe("3:0")
    expect(SlurmBackend.mapState("PENDING")).toBe("pending")
    expect(SlurmBackend.mapState("COMPLETING")).toBe("running")
    expect(SlurmBackend.mapState("COMPLETED")).toBe("succeeded")
    expect(SlurmBackend.mapState("CANCELLED+")).toBe("cancelled")
    expect(SlurmBackend.mapState("TIMEOUT")).toBe("failed")
  })
})

describe.skipIf(!hasSbatch)("Trainer with the real Slurm (sbatch present)", () => {
  withLayer(layer, { timeout: 120_000, excludeTestServices: true })((it) => {
    it.effect("submits an sbatch script, runs it, registers the checkpoint; resubmission attaches", () =>
      Effect.gen(function* () {
        yield* registerBase
        const trainer = yield* Trainer
        const counter = Path.join(dir, "runs-ok")
        const job = yield* trainer.submit(spec(checkpointCommand(counter)))
        expect(job.externalId).toMatch(/^\d+$/)
        const script = Fs.readFileSync(Path.join(workDir, job.id, "run.sh"), "utf8")
        expect(script).toContain(`#SBATCH --job-name=${job.id}`)
        expect(script).toContain("#SBATCH --time=00:05:00")
        // While Slurm still has it queued or running, the same work attaches to the same Slurm job.
        const again = yield* trainer.submit(spec(checkpointCommand(counter)))
        expect(again.externalId).toBe(job.externalId)
        const { job: done, version } = yield* trainer.wait(job.id, { pollEvery: "200 millis", timeout: "90 seconds" })
        expect(done.status).toBe("succeeded")
        expect(Fs.existsSync(Path.join(done.outputDir!, "model.safetensors"))).toBe(true)
        expect(version.role).toBe("prm")
        expect(version.parentId).toBe("base-policy")
        expect(version.datasets).toEqual([dataset.id])
        expect(yield* trainer.logs(job.id)).toContain("training prm on")
        expect(execFileSync("scontrol", ["show", "job", job.externalId!]).toString()).toContain("JobState=COMPLETED")
        const third = yield* trainer.submit(spec(checkpointCommand(counter)))
        expect(third.status).toBe("succeeded")
        expect(countLines(counter)).toBe(1)
      })
    )

    it.effect("a job Slurm has but the store lost (crash after sbatch) is found by name and attached", () =>
      Effect.gen(function* () {
        const trainer = yield* Trainer
        const counter = Path.join(dir, "runs-lost")
        const s = spec(`echo run >> ${counter}; sleep 2`)
        const resolved: ResolvedSpec = { ...s, baseModelSpec: "simulated", datasets: [dataset] } // as the trainer resolves it (the parent's spec)
        const id = trainer.idOf(resolved)
        const jobDir = Path.join(workDir, id)
        const backend = SlurmBackend.make()
        const direct = yield* backend.submit({ id, spec: resolved, command: s.command, jobDir, outputDir: Path.join(jobDir, "output"), logPath: Path.join(jobDir, "train.log"), retry: false })
        expect(direct.attached).toBe(false)
        const job = yield* trainer.submit(s)
        expect(job.externalId).toBe(direct.externalId)
        yield* trainer.wait(id, { pollEvery: "200 millis", timeout: "90 seconds" })
        expect(countLines(counter)).toBe(1)
      })
    )

    it.effect("a failing job: FAILED in Slurm, failed here with the log tail", () =>
      Effect.gen(function* () {
        const trainer = yield* Trainer
        const job = yield* trainer.submit(spec("echo loading; echo 'Traceback: boom' >&2; exit 7"))
        const error = yield* Effect.flip(trainer.wait(job.id, { pollEvery: "200 millis", timeout: "90 seconds" }))
        expect(error._tag).toBe("TrainingFailed")
        if (error._tag !== "TrainingFailed") return
        expect(error.status).toBe("failed")
        expect(error.reason).toContain("FAILED exit 7:0")
        expect(error.logTail).toContain("Traceback: boom")
      })
    )

    it.effect("cancel runs scancel; the job ends CANCELLED", () =>
      Effect.gen(function* () {
        const trainer = yield* Trainer
        const job = yield* trainer.submit(spec("echo started; sleep 60"))
        yield* trainer.status(job.id).pipe(Effect.repeat({ schedule: Schedule.spaced("200 millis"), until: (r) => r.status === "running" }))
        const cancelled = yield* trainer.cancel(job.id)
        expect(cancelled.status).toBe("cancelled")
        const state = () => execFileSync("scontrol", ["show", "job", job.externalId!]).toString()
        for (let i = 0; i < 50 && !state().includes("JobState=CANCELLED"); i++) yield* Effect.sleep("200 millis")
        expect(state()).toContain("JobState=CANCELLED")
      })
    )
  })
})

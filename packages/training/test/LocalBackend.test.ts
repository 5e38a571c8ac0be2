import { describe, expect, layer as withLayer } from "@effect/vitest"
import { TestDatabase } from "@o1coder/store"
import { JobsRepo } from "@o1coder/store/JobsRepo"
import { ModelVersionsRepo } from "@o1coder/store/ModelVersionsRepo"
import { Effect, Fiber, Layer } from "effect"
import * as Fs from "node:fs"
import * as Path from "node:path"
import * as LocalBackend from "../src/backends/Local.ts"
import { Trainer, TrainingBackends, versionIdOf } from "../src/Trainer.ts"
import { checkpointCommand, countLines, groupAlive, makeDataset, registerBase, tempDir } from "./trainerFixtures.ts"

const dir = tempDir("o1coder-local-")
const workDir = Path.join(dir, "jobs")
const dataset = makeDataset(dir)
const spec = (command: string, extra: Record<string, unknown> = {}) => ({
  backend: "local",
  stage: "policy-sft",
  runId: "R",
  round: 0,
  baseModelPath: "Qwen/Qwen2.5-0.5B",
  parentVersion: "base-policy",
  datasets: [dataset],
  command,
  workDir,
  ...extra
})

const layer = Layer.mergeAll(Trainer.Default, JobsRepo.Default, ModelVersionsRepo.Default).pipe(
  Layer.provideMerge(TrainingBackends.layer(LocalBackend.make({ killOnExit: true, graceSeconds: 1 }))),
  Layer.provideMerge(TestDatabase.postgres)
)

describe("Trainer with the local backend", () => {
  withLayer(layer, { timeout: 60_000, excludeTestServices: true })((it) => {
    it.effect("runs a real child that writes a checkpoint; registers the version with lineage; resubmission attaches", () =>
      Effect.gen(function* () {
        yield* registerBase
        const trainer = yield* Trainer
        const counter = Path.join(dir, "runs-ok")
        const job = yield* trainer.submit(spec(checkpointCommand(counter)))
        expect(job.id).toMatch(/^job-policy-sft-[0-9a-f]{16}$/)
        expect(job.backend).toBe("local")
        const { job: done, version } = yield* trainer.wait(job.id, { pollEvery: "50 millis" })
        expect(done.status).toBe("succeeded")
        expect(JSON.parse(Fs.readFileSync(Path.join(done.outputDir!, "config.json"), "utf8"))).toEqual({ model_type: "fake", job: job.id })
        expect(version.id).toBe(versionIdOf(job.id))
        expect(version.role).toBe("policy")
        expect(version.spec).toBe(done.outputDir)
        expect(version.parentId).toBe("base-policy")
        expect(version.datasets).toEqual([dataset.id])
        expect(version.jobId).toBe(job.id)
        expect(version.runId).toBe("R")
        const log = yield* trainer.logs(job.id)
        expect(log).toContain(`training policy-sft on ${dataset.path} from Qwen/Qwen2.5-0.5B`)
        expect(yield* trainer.logs(job.id, 1)).toBe("done")
        // Same work again: same id, no second run, one version.
        const again = yield* trainer.submit(spec(checkpointCommand(counter)))
        expect(again.id).toBe(job.id)
        expect(again.status).toBe("succeeded")
        yield* trainer.wait(job.id, { pollEvery: "50 millis" })
        expect(countLines(counter)).toBe(1)
        expect((yield* (yield* ModelVersionsRepo).byJob(job.id)).length).toBe(1)
      })
    )

    it.effect("a resubmission while running attaches to the same process", () =>
      Effect.gen(function* () {
        const trainer = yield* Trainer
        const counter = Path.join(dir, "runs-attach")
        const cmd = `echo run >> ${counter}; sleep 1; ${checkpointCommand(Path.join(dir, "unused"))}`
        const first = yield* trainer.submit(spec(cmd))
        const second = yield* trainer.submit(spec(cmd))
        expect(second.id).toBe(first.id)
        expect(second.externalId).toBe(first.externalId)
        yield* trainer.wait(first.id, { pollEvery: "50 millis" })
        expect(countLines(counter)).toBe(1)
      })
    )

    it.effect("a failing job: status failed with its exit code, the log tail in the error, no version", () =>
      Effect.gen(function* () {
        const trainer = yield* Trainer
        const job = yield* trainer.submit(spec("echo step 1; echo 'CUDA out of memory' >&2; exit 3"))
        const error = yield* Effect.flip(trainer.wait(job.id, { pollEvery: "50 millis" }))
        expect(error._tag).toBe("TrainingFailed")
        if (error._tag !== "TrainingFailed") return
        expect(error.status).toBe("failed")
        expect(error.reason).toBe("exit code 3")
        expect(error.logTail).toContain("CUDA out of memory")
        const row = yield* trainer.get(job.id)
        expect(row.status).toBe("failed")
        expect((yield* (yield* ModelVersionsRepo).byJob(job.id)).length).toBe(0)
        // An explicit retry re-runs it (same id); a plain resubmission only attaches.
        expect((yield* trainer.submit(spec("echo step 1; echo 'CUDA out of memory' >&2; exit 3"))).status).toBe("failed")
      })
    )

    it.effect("retry re-runs a failed job under the same id", () =>
      Effect.gen(function* () {
        const trainer = yield* Trainer
        const flag = Path.join(dir, "fail-once")
        const counter = Path.join(dir, "runs-retry")
        const cmd = `echo run >> ${counter}; if [ ! -e ${flag} ]; then touch ${flag}; exit 1; fi; mkdir -p {output_dir}`
        const job = yield* trainer.submit(spec(cmd))
        yield* Effect.flip(trainer.wait(job.id, { pollEvery: "50 millis" }))
        const retried = yield* trainer.submit(spec(cmd), { retry: true })
        expect(retried.id).toBe(job.id)
        const { job: done } = yield* trainer.wait(job.id, { pollEvery: "50 millis" })
        expect(done.status).toBe("succeeded")
        expect(countLines(counter)).toBe(2)
      })
    )

    it.effect("cancel kills the whole process group", () =>
      Effect.gen(function* () {
        const trainer = yield* Trainer
        const job = yield* trainer.submit(spec("sleep 30 & sleep 30 & wait"))
        const pid = Number(job.externalId)
        yield* Effect.sleep("200 millis")
        expect(groupAlive(pid)).toBe(true)
        const cancelled = yield* trainer.cancel(job.id)
        expect(cancelled.status).toBe("cancelled")
        expect(groupAlive(pid)).toBe(false)
        const error = yield* Effect.flip(trainer.wait(job.id, { pollEvery: "50 millis" }))
        expect(error._tag === "TrainingFailed" && error.status).toBe("cancelled")
      })
    )

    it.effect("interrupting a wait cancels the job (configurable); a deadline fails with WaitTimeout", () =>
      Effect.gen(function* () {
        const trainer = yield* Trainer
        const job = yield* trainer.submit(spec("sleep 30 # interrupt"))
        const timeout = yield* Effect.flip(trainer.wait(job.id, { pollEvery: "50 millis", timeout: "300 millis", cancelOnInterrupt: false }))
        expect(timeout._tag).toBe("WaitTimeout")
        expect((yield* trainer.status(job.id)).status).toBe("running")
        const fiber = yield* Effect.fork(trainer.wait(job.id, { pollEvery: "50 millis" }))
        yield* Effect.sleep("200 millis")
        yield* Fiber.interrupt(fiber)
        expect((yield* trainer.get(job.id)).status).toBe("cancelled")
        expect(groupAlive(Number(job.externalId))).toBe(false)
      })
    )

    it.effect("a job whose process vanished without an exit record is reported failed", () =>
      Effect.gen(function* () {
        const trainer = yield* Trainer
        const job = yield* trainer.submit(spec("sleep 30 # lost"))
        yield* Effect.sleep("100 millis")
        process.kill(-Number(job.externalId), "SIGKILL") // as if the machine went down
        yield* Effect.sleep("200 millis")
        const row = yield* trainer.status(job.id)
        expect(row.status).toBe("failed")
        expect(row.message).toContain("without an exit record")
      })
    )
  })
})

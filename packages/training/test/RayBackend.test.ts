import { FetchHttpClient, HttpClient, HttpClientRequest } from "@effect/platform"
import { describe, expect, layer as withLayer } from "@effect/vitest"
import { TestDatabase } from "@o1coder/store"
import { JobsRepo } from "@o1coder/store/JobsRepo"
import { ModelVersionsRepo } from "@o1coder/store/ModelVersionsRepo"
import { Context, Effect, Layer, Schedule } from "effect"
import * as Fs from "node:fs"
import * as Path from "node:path"
import * as RayBackend from "../src/backends/Ray.ts"
import * as FakeRayServer from "../src/testing/FakeRayServer.ts"
import type { ResolvedSpec } from "../src/JobSpec.ts"
import { Trainer, TrainingBackends } from "../src/Trainer.ts"
import { checkpointCommand, countLines, makeDataset, registerBase, tempDir } from "./trainerFixtures.ts"

class FakeRay extends Context.Tag("test/FakeRay")<FakeRay, FakeRayServer.FakeRay>() {}

const dir = tempDir("o1coder-ray-")
const dataset = makeDataset(dir)
const RUN = `R-${process.pid}-${Date.now()}`
const spec = (command: string, extra: Record<string, unknown> = {}) => ({
  backend: "ray" as const,
  stage: "policy-dpo" as const,
  runId: RUN,
  round: 2,
  baseModelPath: "Qwen/Qwen2.5-0.5B",
  parentVersion: "base-policy",
  datasets: [dataset],
  command,
  workDir: Path.join(dir, "jobs"),
  gpus: 1,
  env: { TRAIN_FLAG: "on" },
  metadata: { owner: "tests" },
  ...extra
})

const backends = Layer.unwrapEffect(Effect.map(FakeRay, (fake) => TrainingBackends.layer(RayBackend.make({ address: fake.address }))))
const layer = Layer.mergeAll(Trainer.Default, JobsRepo.Default, ModelVersionsRepo.Default).pipe(
  Layer.provideMerge(backends),
  Layer.provideMerge(Layer.scoped(FakeRay, FakeRayServer.make)),
  Layer.provideMerge(FetchHttpClient.layer),
  Layer.provideMerge(TestDatabase.postgres)
)

describe("Trainer with the Ray Jobs REST backend (against the fake Ray server)", () => {
  withLayer(layer, { timeout: 60_000, excludeTestServices: true })((it) => {
    it.effect("submits with submission_id = job id; succeeds; registers the version", () =>
      Effect.gen(function* () {
        yield* registerBase
        const trainer = yield* Trainer
        const fake = yield* FakeRay
        const counter = Path.join(dir, "runs-ok")
        const job = yield* trainer.submit(spec(`echo flag=$TRAIN_FLAG; ${checkpointCommand(counter)}`))
        expect(job.externalId).toBe(job.id)
        const sent = fake.jobs.get(job.id)!.request
        expect(sent["submission_id"]).toBe(job.id)
        expect(sent["entrypoint_num_gpus"]).toBe(1)
        expect((sent["runtime_env"] as any).env_vars.TRAIN_FLAG).toBe("on")
        expect((sent["metadata"] as any).owner).toBe("tests")
        const { job: done, version } = yield* trainer.wait(job.id, { pollEvery: "50 millis" })
        expect(done.status).toBe("succeeded")
        expect(Fs.existsSync(Path.join(done.outputDir!, "config.json"))).toBe(true)
        expect(version.role).toBe("policy")
        expect(version.datasets).toEqual([dataset.id])
        const logs = yield* trainer.logs(job.id)
        expect(logs).toContain("flag=on")
        expect(logs).toContain("training policy-dpo on")
        // Resubmitting finished work attaches: no second POST, no second run.
        const posts = fake.requests.filter((r) => r === "POST /api/jobs/").length
        const again = yield* trainer.submit(spec(`echo flag=$TRAIN_FLAG; ${checkpointCommand(counter)}`))
        expect(again.id).toBe(job.id)
        expect(fake.requests.filter((r) => r === "POST /api/jobs/").length).toBe(posts)
        expect(countLines(counter)).toBe(1)
      })
    )

    it.effect("a duplicate submission id (Ray's HTTP 400) is an attach, not an error", () =>
      Effect.gen(function* () {
        const fake = yield* FakeRay
        const client = yield* HttpClient.HttpClient
        // Ray itself rejects the reuse of a submission id.
        const body = { entrypoint: "true", submission_id: "dup-1" }
        yield* client.execute(HttpClientRequest.post(`${fake.address}/api/jobs/`).pipe(HttpClientRequest.bodyUnsafeJson(body)))
        const second = yield* client.execute(HttpClientRequest.post(`${fake.address}/api/jobs/`).pipe(HttpClientRequest.bodyUnsafeJson(body)))
        expect(second.status).toBe(400)
        expect(yield* second.text).toContain("already exists")
        // A job known to Ray but not to this store (e.g. o1coder died after POST): submit attaches.
        const trainer = yield* Trainer
        const counter = Path.join(dir, "runs-dup")
        const s = spec(`echo run >> ${counter}; sleep 0.3`)
        const backend = yield* RayBackend.make({ address: fake.address })
        const resolved: ResolvedSpec = { ...s, baseModelSpec: "simulated", datasets: [dataset] } // as resolved: the parent's spec
        const id = trainer.idOf(resolved)
        const prepared = { id, spec: { ...s, datasets: [dataset] }, command: s.command, jobDir: dir, outputDir: dir, logPath: "", retry: false }
        expect(yield* backend.submit(prepared)).toEqual({ externalId: id, attached: false })
        const job = yield* trainer.submit(s)
        expect(job.id).toBe(id)
        expect(job.externalId).toBe(id)
        yield* trainer.wait(id, { pollEvery: "50 millis" })
        expect(countLines(counter)).toBe(1)
      }).pipe(Effect.scoped)
    )

    it.effect("a failing job: FAILED with Ray's message and the log tail", () =>
      Effect.gen(function* () {
        const trainer = yield* Trainer
        const job = yield* trainer.submit(spec("echo epoch 1; echo 'RuntimeError: NCCL timeout' >&2; exit 2"))
        const error = yield* Effect.flip(trainer.wait(job.id, { pollEvery: "50 millis" }))
        expect(error._tag).toBe("TrainingFailed")
        if (error._tag !== "TrainingFailed") return
        expect(error.status).toBe("failed")
        expect(error.reason).toContain("exit code 2")
        expect(error.logTail).toContain("RuntimeError: NCCL timeout")
        expect((yield* trainer.get(job.id)).status).toBe("failed")
      })
    )

    it.effect("cancel calls stop; the job ends STOPPED (cancelled)", () =>
      Effect.gen(function* () {
        const trainer = yield* Trainer
        const fake = yield* FakeRay
        const job = yield* trainer.submit(spec("sleep 30"))
        yield* trainer.status(job.id).pipe(Effect.repeat({ schedule: Schedule.spaced("50 millis"), until: (r) => r.status === "running" }))
        const cancelled = yield* trainer.cancel(job.id)
        expect(cancelled.status).toBe("cancelled")
        expect(fake.jobs.get(job.id)!.status).toBe("STOPPED")
        expect(fake.requests).toContain(`POST /api/jobs/${job.id}/stop`)
      })
    )

    it.effect("an unreachable dashboard is a TrainerError naming the address", () =>
      Effect.gen(function* () {
        const backend = yield* RayBackend.make({ address: "http://127.0.0.1:1" })
        const error = yield* Effect.flip(backend.status({ id: "x", externalId: "x", jobDir: dir, logPath: "" }))
        expect(error._tag).toBe("TrainerError")
        expect(error.message).toContain("127.0.0.1:1")
      })
    )
  })
})

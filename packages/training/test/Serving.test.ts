import { FetchHttpClient } from "@effect/platform"
import { describe, expect, layer as withLayer } from "@effect/vitest"
import * as FakeOpenAi from "@o1coder/models/testing/FakeOpenAiServer"
import { TestDatabase } from "@o1coder/store"
import { JobsRepo } from "@o1coder/store/JobsRepo"
import { ModelVersionsRepo } from "@o1coder/store/ModelVersionsRepo"
import { Duration, Effect, Layer } from "effect"
import * as Path from "node:path"
import * as LocalBackend from "../src/backends/Local.ts"
import { Serving, ServeSpec } from "../src/Serving.ts"
import { Trainer, TrainingBackends } from "../src/Trainer.ts"
import { makeDataset, tempDir } from "./trainerFixtures.ts"

const dir = tempDir("o1coder-serve-")
const workDir = Path.join(dir, "jobs")

const layer = Layer.mergeAll(Trainer.Default, Serving.Default, JobsRepo.Default, ModelVersionsRepo.Default).pipe(
  Layer.provideMerge(TrainingBackends.layer(LocalBackend.make({ killOnExit: true, graceSeconds: 1 }))),
  Layer.provideMerge(FetchHttpClient.layer),
  Layer.provideMerge(TestDatabase.pglite)
)

/** A succeeded training job whose output directory holds a checkpoint. */
const trained = (name: string) =>
  Effect.gen(function* () {
    const trainer = yield* Trainer
    const job = yield* trainer.submit({
      backend: "local",
      stage: "policy-sft",
      runId: name,
      baseModelPath: "Qwen/Qwen2.5-0.5B",
      datasets: [makeDataset(dir, `${name}.jsonl`)],
      command: "mkdir -p {output_dir} && echo '{}' > {output_dir}/config.json",
      workDir
    })
    return (yield* trainer.wait(job.id, { pollEvery: "50 millis" })).job
  })

/** /v1/models lists `base` and, from the `after`-th request on, every model added to `served`. */
const modelsResponder = (served: Set<string>, after: number): FakeOpenAi.Responder => {
  let calls = 0
  return (request) => {
    if (request.path === "/v1/load_lora_adapter") {
      served.add(request.body.lora_name)
      return { body: `Success: LoRA adapter '${request.body.lora_name}' added successfully.` as unknown }
    }
    calls++
    return { body: { object: "list", data: ["base", ...(calls >= after ? [...served] : [])].map((id) => ({ id, object: "model" })) } }
  }
}

const fast = { pollEvery: Duration.millis(100), timeout: Duration.seconds(60) }

describe("Serving a trained checkpoint", () => {
  withLayer(layer, { timeout: 120_000, excludeTestServices: true })((it) => {
    it.scoped("starts the serving command as a job of the backend and waits until /v1/models lists the model", () =>
      Effect.gen(function* () {
        const job = yield* trained("delayed")
        const fake = yield* FakeOpenAi.make()
        const served = new Set<string>([job.outputDir!])
        fake.setDefault(modelsResponder(served, 4))
        const result = yield* (yield* Serving).serve(job.id, new ServeSpec({ url: fake.baseUrl, model: "{output_dir}", command: "echo serving {output_dir}; exec sleep 120", ...fast }))
        expect(result.model).toBe(job.outputDir)
        expect(result.url).toBe(fake.baseUrl)
        expect(fake.requests().filter((r) => r.path === "/v1/models").length).toBe(4)
        const log = yield* (yield* TrainingBackends).get("local")!.logs({ id: result.jobId!, externalId: "", jobDir: Path.join(workDir, result.jobId!), logPath: Path.join(workDir, result.jobId!, "serve.log") })
        expect(log).toContain(`serving ${job.outputDir}`)
        // Serving again (a resumed round) attaches to the running server.
        const again = yield* (yield* Serving).serve(job.id, new ServeSpec({ url: fake.baseUrl, model: "{output_dir}", command: "echo serving {output_dir}; exec sleep 120", ...fast }))
        expect(again.jobId).toBe(result.jobId)
      })
    )

    it.scoped("a server that never lists the model fails naming the server and what it answered", () =>
      Effect.gen(function* () {
        const job = yield* trained("never")
        const fake = yield* FakeOpenAi.make()
        fake.setDefault(modelsResponder(new Set(), 1))
        const error = yield* Effect.flip(
          (yield* Serving).serve(job.id, new ServeSpec({ url: fake.baseUrl, model: "{output_dir}", command: "exec sleep 120", pollEvery: Duration.millis(100), timeout: Duration.seconds(2) }))
        )
        expect(error._tag).toBe("ServeFailed")
        expect(error.message).toContain(`server ${fake.baseUrl} did not list model ${job.outputDir}`)
        expect(error.message).toContain('last answer: HTTP 200, models: ["base"]')
      })
    )

    it.scoped("a serving job that exits before listing fails with its log", () =>
      Effect.gen(function* () {
        const job = yield* trained("crash")
        const fake = yield* FakeOpenAi.make()
        fake.setDefault(() => ({ status: 503, body: { error: "loading" } }))
        const error = yield* Effect.flip(
          (yield* Serving).serve(job.id, new ServeSpec({ url: fake.baseUrl, model: "m", command: "echo CUDA out of memory; exit 3", ...fast }))
        )
        expect(error.message).toContain(`server ${fake.baseUrl} did not list model m: HTTP 503`)
        expect(error.message).toMatch(/serving job serve-\S+ failed \(exit code 3\)/)
        expect(error.message).toContain("CUDA out of memory")
      })
    )

    it.scoped("an existing server loads the checkpoint as a LoRA adapter by name", () =>
      Effect.gen(function* () {
        const job = yield* trained("lora")
        const fake = yield* FakeOpenAi.make()
        fake.setDefault(modelsResponder(new Set(), 1))
        const result = yield* (yield* Serving).serve(job.id, new ServeSpec({ url: fake.baseUrl, model: "{job_id}", lora: true, ...fast }))
        expect(result).toEqual({ url: fake.baseUrl, model: job.id, jobId: undefined })
        const load = fake.requests().find((r) => r.path === "/v1/load_lora_adapter")!
        expect(load.body).toEqual({ lora_name: job.id, lora_path: job.outputDir })
      })
    )
  })
})

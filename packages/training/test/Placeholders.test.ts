import { describe, expect, it, layer as withLayer } from "@effect/vitest"
import { TestDatabase } from "@o1coder/store"
import { DatasetsRepo } from "@o1coder/store/DatasetsRepo"
import { JobsRepo } from "@o1coder/store/JobsRepo"
import { ModelVersionsRepo } from "@o1coder/store/ModelVersionsRepo"
import { Effect, Layer } from "effect"
import * as Fs from "node:fs"
import * as Path from "node:path"
import * as LocalBackend from "../src/backends/Local.ts"
import { placeholdersIn, render, unknownPlaceholders } from "../src/Placeholders.ts"
import { Trainer, TrainingBackends } from "../src/Trainer.ts"
import { makeDataset, tempDir } from "./trainerFixtures.ts"

describe("placeholders", () => {
  it("finds names, leaves shell ${...} alone, and names an unknown one with a hint", () => {
    expect(placeholdersIn("python x.py --m {base_model_path} --o {output_dir} ${HOME} {base_model_path}")).toEqual(["base_model_path", "output_dir"])
    expect(unknownPlaceholders("echo ${home} {output_dir}")).toEqual([])
    const [problem] = unknownPlaceholders("trl sft --model_name_or_path {base_model}")
    expect(problem).toContain("unknown placeholder {base_model}: use {base_model_path}")
    expect(render("a {round} ${round} {dataset}", { round: "2", dataset: "/d x" } as never, true)).toBe("a '2' ${round} '/d x'")
  })
})

const dir = tempDir("o1coder-placeholders-")
const workDir = Path.join(dir, "jobs")
const SERVED = "openai:http://gpu-node-1:8000/v1#Qwen/Qwen2.5-Coder-7B-Instruct"

const layer = Layer.mergeAll(Trainer.Default, JobsRepo.Default, ModelVersionsRepo.Default, DatasetsRepo.Default).pipe(
  Layer.provideMerge(TrainingBackends.layer(LocalBackend.make({ killOnExit: true, graceSeconds: 1 }))),
  Layer.provideMerge(TestDatabase.pglite)
)

describe("Trainer placeholders", () => {
  withLayer(layer, { timeout: 60_000, excludeTestServices: true })((it) => {
    it.effect("resolve to the parent's checkpoint and the dataset's path and format, never a spec; the output is the next base", () =>
      Effect.gen(function* () {
        const versions = yield* ModelVersionsRepo
        yield* versions.register({ id: "v0", role: "policy", spec: SERVED, checkpoint: "Qwen/Qwen2.5-Coder-7B-Instruct", parentId: null, runId: "R", round: 0, jobId: null, datasets: [] })
        const file = makeDataset(dir, "sft.jsonl")
        const datasetId = yield* (yield* DatasetsRepo).record({ kind: "sft", format: "prompt-completion", path: file.path, sha256: file.sha256, rows: 2, runId: "R", round: 1, filters: {} })
        const trainer = yield* Trainer
        const show = "echo path={base_model_path} spec={base_model_spec} parent={parent_version} data={dataset} format={dataset_format}; mkdir -p {output_dir}"
        const job = yield* trainer.submit({ backend: "local", stage: "policy-sft", runId: "R", round: 1, parentVersion: "v0", datasets: [datasetId], command: show, workDir })
        const { job: done, version } = yield* trainer.wait(job.id, { pollEvery: "50 millis" })
        const log = yield* trainer.logs(job.id)
        expect(log).toContain(`path=Qwen/Qwen2.5-Coder-7B-Instruct spec=${SERVED} parent=v0 data=${file.path} format=prompt-completion`)
        expect(version.checkpoint).toBe(done.outputDir)
        // The next round trains from the produced checkpoint (a directory), not from its spec.
        const next = yield* trainer.submit({ backend: "local", stage: "policy-dpo", runId: "R", round: 2, parentVersion: version.id, datasets: [datasetId], command: show, workDir })
        yield* trainer.wait(next.id, { pollEvery: "50 millis" })
        expect(yield* trainer.logs(next.id)).toContain(`path=${done.outputDir} spec=${done.outputDir} parent=${version.id}`)
      })
    )

    it.effect("an unknown placeholder, or one without a value, fails the submission before any job exists", () =>
      Effect.gen(function* () {
        const trainer = yield* Trainer
        const jobs = yield* JobsRepo
        const dataset = makeDataset(dir, "other.jsonl")
        const before = (yield* jobs.list({})).length
        const old = yield* Effect.flip(trainer.submit({ backend: "local", stage: "prm", datasets: [dataset], command: "trl --model {base_model} --out {output_dir}", workDir }))
        expect(old.message).toContain("command: unknown placeholder {base_model}: use {base_model_path}")
        const noBase = yield* Effect.flip(trainer.submit({ backend: "local", stage: "prm", datasets: [dataset], command: "python prm.py --model {base_model_path}", workDir }))
        expect(noBase.message).toContain("command: {base_model_path} has no value for this job")
        const noParent = yield* Effect.flip(trainer.submit({ backend: "local", stage: "prm", parentVersion: "missing", datasets: [dataset], command: "true", workDir }))
        expect(noParent.message).toContain("parent version missing not found")
        expect((yield* jobs.list({})).length).toBe(before)
        expect(Fs.readdirSync(workDir).length).toBe(2)
      })
    )
  })
})

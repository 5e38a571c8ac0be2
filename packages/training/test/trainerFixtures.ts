import { ModelVersionsRepo } from "@o1coder/store/ModelVersionsRepo"
import { sha256 } from "@o1coder/domain"
import { Effect } from "effect"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"

export const tempDir = (prefix: string) => Fs.mkdtempSync(Path.join(Os.tmpdir(), prefix))

/** A small dataset file and its reference. */
export const makeDataset = (dir: string, name = "sft.jsonl") => {
  const path = Path.join(dir, name)
  const text = `${JSON.stringify({ prompt: "p", completion: "c" })}\n${JSON.stringify({ prompt: "q", completion: "d" })}\n`
  Fs.writeFileSync(path, text)
  return { id: `ds-test-${name}`, path, sha256: sha256(text) }
}

/** The parent version every test job trains from (model_versions.parent_id is a foreign key). */
export const registerBase = Effect.flatMap(ModelVersionsRepo, (repo) =>
  repo.register({ id: "base-policy", role: "policy", spec: "simulated", parentId: null, runId: null, round: null, jobId: null, datasets: [] })
)

/** A command writing a fake checkpoint directory and counting its runs in `counter`. */
export const checkpointCommand = (counter: string) =>
  `echo training {stage} on {dataset} from {base_model_path}; echo run >> ${counter}; mkdir -p {output_dir}; ` +
  `printf '{"model_type":"fake","job":"%s"}' {job_id} > {output_dir}/config.json; echo weights > {output_dir}/model.safetensors; echo done`

export const countLines = (file: string) => (Fs.existsSync(file) ? Fs.readFileSync(file, "utf8").split("\n").filter((l) => l !== "").length : 0)

export { groupAlive } from "../src/backends/Local.ts"

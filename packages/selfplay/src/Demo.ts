import { demoProblemsPath, DEMO_DATASET } from "@o1coder/problems/Demo"
import { Either } from "effect"
import * as NodeFs from "node:fs"
import { createRequire } from "node:module"
import * as NodePath from "node:path"
import { fileURLToPath } from "node:url"
import { decodeConfig, type RunConfig } from "./RunConfig.ts"

/** The offline demo: its own PGlite database and work directory under `.o1coder/demo`. */
export const DEMO_DATA_DIR = ".o1coder/demo"

export const dbDir = (demoDir: string) => NodePath.join(demoDir, "db")
export const workDir = (demoDir: string) => NodePath.join(demoDir, "work")
const stateFile = (demoDir: string) => NodePath.join(demoDir, "state.json")

export const TRAIN_SIMULATED_SCRIPT = fileURLToPath(new URL("../scripts/train-simulated.ts", import.meta.url))

/** `node <tsx cli> script.ts`: runs the TypeScript training script from any working directory. */
export const tsxCommand = (script: string): string => {
  const tsxCli = createRequire(import.meta.url).resolve("tsx/cli")
  return `${JSON.stringify(process.execPath)} ${JSON.stringify(tsxCli)} ${JSON.stringify(script)}`
}

export const banner = [
  "o1coder demo: 2 self-play rounds on the bundled demo problems, offline.",
  "NOTE: the policy and the test-generator model are SIMULATED (test doubles that write steps and code",
  "derived from each problem's reference solution, correct with a probability read from a parameter file).",
  "Everything else is real: the Python sandbox, MCTS, the store (embedded PGlite), exports, a local training",
  "command that updates the simulated policy's parameters, model versions and held-out evaluation.",
  ""
].join("\n")

export interface DemoOptions {
  readonly name?: string | undefined
  readonly rollouts?: number | undefined
  readonly maxDepth?: number | undefined
  readonly limit?: number | undefined
  readonly rounds?: number | undefined
  /** Work directory as written in the config (a relative one resolves against the working directory). */
  readonly workDir?: string | undefined
}

/** The demo's run configuration (validated by the same Schema as any run). */
export const config = (demoDir: string, options: DemoOptions = {}): RunConfig => {
  const problems = demoProblemsPath()
  const train = `${tsxCommand(TRAIN_SIMULATED_SCRIPT)} --data {dataset} --out {output_dir}`
  // The simulated policy trains from the parent version's spec (simulated[:params.json]); the first PRM from nothing.
  const policyStage = { command: `${train} --base {base_model_spec} --problems ${JSON.stringify(problems)} --dataset ${DEMO_DATASET}`, outputSpec: "simulated:{output_dir}/params.json" }
  return Either.getOrThrow(
    decodeConfig(
      {
        name: options.name ?? "demo",
        seed: 1,
        problems: { dataset: DEMO_DATASET, file: problems, split: "test", ...(options.limit ? { limit: options.limit } : {}) },
        models: { policy: "simulated", tcg: "simulated-tcg" },
        tests: { generator: "all", budget: 10, mutants: 0, llmSamples: 1 },
        // The sandbox's deadlines (and its watchdog, 2 x programSeconds + testSeconds + 5 s) are
        // wall-clock: on a busy machine tight ones fail correct code at random, and the execution
        // cache keeps that verdict. The demo's leave a wide margin (its programs take ~2 s).
        search: { rollouts: options.rollouts ?? 8, maxDepth: options.maxDepth ?? 4, width: 3, testSeconds: 2, programSeconds: 12 },
        training: {
          backend: "local",
          workDir: options.workDir ?? NodePath.resolve(workDir(demoDir)),
          pollSeconds: 0.5,
          stages: {
            sft: policyStage,
            dpo: policyStage,
            prm: { command: train, outputSpec: "simulated-prm:{output_dir}/prm.json" }
          }
        },
        rounds: { count: options.rounds ?? 2 },
        concurrency: { searches: 2, tcg: 4 }
      },
      "demo configuration"
    )
  )
}

const readState = (demoDir: string): { runId?: string; finished?: boolean } => {
  try {
    return JSON.parse(NodeFs.readFileSync(stateFile(demoDir), "utf8"))
  } catch {
    return {}
  }
}

/** An earlier demo was stopped (Ctrl-C, a crash) before its report: continue it. */
export const hasUnfinishedRun = (demoDir: string): boolean => {
  const state = readState(demoDir)
  return state.runId !== undefined && state.finished !== true && NodeFs.existsSync(dbDir(demoDir))
}

export const resetDataDir = (demoDir: string) => {
  NodeFs.rmSync(demoDir, { recursive: true, force: true })
  NodeFs.mkdirSync(demoDir, { recursive: true })
}

export const markStarted = (demoDir: string, runId: string) =>
  NodeFs.writeFileSync(stateFile(demoDir), JSON.stringify({ runId, finished: false }))

export const markFinished = (demoDir: string) =>
  NodeFs.writeFileSync(stateFile(demoDir), JSON.stringify({ ...readState(demoDir), finished: true }))

export const nextSteps = (demoDir: string, runId: string): string => {
  const env = `O1CODER_DATA_DIR=${dbDir(demoDir)}`
  return [
    "",
    "Next, query the store (read-only SQL):",
    `  ${env} npx o1coder sql "select round, searches, aspr, pass_at_1 from round_metrics where run_id = '${runId}'"`,
    `  ${env} npx o1coder sql "select round, depth, action, nodes, round(mean_value::numeric, 3) as value from step_values where run_id = '${runId}' order by round, depth, action"`,
    `  ${env} npx o1coder sql "select id, role, round, spec, job_id from model_versions order by created_at"`,
    `More: ${env} npx o1coder report ${runId}; npx o1coder init writes a configuration to run your own.`,
    `See it in a browser: ${env} npx o1coder ui, then open http://127.0.0.1:8751/runs/${runId}`
  ].join("\n")
}

import { REPO_ROOT, sharedDataFile, type Problem } from "@o1coder/domain"
import * as CodeMutator from "@o1coder/models/CodeMutator"
import { readProblems } from "@o1coder/problems/Import"
import { Reward } from "@o1coder/reward"
import { CachedSandbox, Limits, sandboxLayer } from "@o1coder/sandbox"
import { ExecutionsRepo } from "@o1coder/store/ExecutionsRepo"
import { ProblemsRepo } from "@o1coder/store/ProblemsRepo"
import { SuitesRepo } from "@o1coder/store/SuitesRepo"
import { TestDatabase } from "@o1coder/store"
import { TestGen } from "@o1coder/tcg"
import { Effect, Layer } from "effect"
import { type ChildProcess, spawn } from "node:child_process"
import * as NodePath from "node:path"

export const mbpp = sharedDataFile("mbpp/mbpp.jsonl")

/** The first MBPP tasks (natural order) whose references the mutation generator can extend. */
export const MBPP_TASKS = ["mbpp/2", "mbpp/3", "mbpp/4", "mbpp/6", "mbpp/7", "mbpp/8"]

/** The services `Server.layer` needs, over a fresh PGlite: the execution cache over a 2-worker pool. */
export const storeAndSandbox = Layer.mergeAll(TestGen.Default, CachedSandbox.layer, Reward.Default).pipe(
  Layer.provideMerge(Layer.mergeAll(ProblemsRepo.Default, SuitesRepo.Default, ExecutionsRepo.Default)),
  Layer.provideMerge(sandboxLayer({ workers: 2 })),
  Layer.provideMerge(TestDatabase.pglite)
)

export interface Fixture {
  readonly problem: Problem
  readonly suiteId: string
  /** Mutants of the reference (CodeMutator), some of which a suite may not kill. */
  readonly mutants: ReadonlyArray<string>
}

/**
 * MBPP problems stored with a generated suite each (`o1coder tcg`'s mutation generator: the
 * dataset's visible inputs mutated and labelled by the reference) and a few of their mutants.
 */
export const storeMbpp = Effect.gen(function* () {
  const parsed = yield* readProblems(mbpp.path, "mbpp", "mbpp")
  const records = parsed.problems.filter((r) => MBPP_TASKS.includes(r.problem.id))
  yield* (yield* ProblemsRepo).upsertMany(records)
  const testGen = yield* TestGen
  const suites = yield* Effect.forEach(records, (r) => testGen.suiteFor(r.problem, { generator: "mutation", budget: 8, seed: 1, mutants: 0 }), { concurrency: 2 })
  const mutants = yield* CodeMutator.mutate(records.map((r) => ({ id: r.problem.id, code: r.problem.reference!, seed: 1, max: 4 })))
  return records.map((r, i): Fixture => ({
    problem: r.problem,
    suiteId: suites[i]!.suite.id,
    mutants: (mutants.get(r.problem.id) ?? []).map((m) => m.code)
  }))
})

export const generous = new Limits({ testTimeoutMs: 10_000, totalTimeoutMs: 30_000, memoryBytes: 1024 ** 3, outputBytes: 1024 ** 2 })

export const fence = (code: string) => "Here is my solution.\n```python\n" + code + "\n```\n"

/** /usr/bin/python3 -c script, fed `input` (asynchronously: the server answering it runs in this process). */
export const python = (script: string, input: string, env: Record<string, string>) =>
  Effect.promise(
    () =>
      new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
        const child = spawn("/usr/bin/python3", script.endsWith(".py") ? [script] : ["-c", script], { env: { ...process.env, ...env } })
        let stdout = ""
        let stderr = ""
        child.stdout.on("data", (d) => (stdout += d))
        child.stderr.on("data", (d) => (stderr += d))
        child.on("close", (code) => resolve({ code, stdout, stderr }))
        child.stdin.end(input)
      })
  )


const CLI = NodePath.join(REPO_ROOT, "packages/cli/bin/o1coder.mjs")

export interface Started {
  readonly child: ChildProcess
  readonly url: string
}

/** `o1coder serve --port 0 ARGS` as its own process on the store at `databaseUrl`, once it listens. */
export const startServer = (databaseUrl: string, args: ReadonlyArray<string>) =>
  Effect.promise(
    () =>
      new Promise<Started>((resolve, reject) => {
        const child = spawn(process.execPath, [CLI, "serve", "--port", "0", ...args], {
          env: { ...process.env, DATABASE_URL: databaseUrl, NO_COLOR: "1" },
          stdio: ["ignore", "pipe", "pipe"]
        })
        let out = ""
        let err = ""
        child.stdout!.on("data", (d) => {
          out += d
          const m = out.match(/o1coder serve: (http:\/\/\S+)/)
          if (m !== null) resolve({ child, url: m[1]! })
        })
        child.stderr!.on("data", (d) => (err = (err + d).slice(-4000)))
        child.on("exit", (code) => reject(new Error(`o1coder serve exited (${code}) before listening: ${err}`)))
      })
  )

export const exited = (child: ChildProcess) =>
  new Promise<void>((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.on("exit", () => resolve())))

/** POSTs `body` (JSON, or a string sent as it is) and reads the answer; `json` is undefined when it is not JSON. */
export const postJson = async (url: string, body: unknown, headers: Record<string, string> = {}) => {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body)
  })
  const text = await response.text()
  let json: any
  try {
    json = JSON.parse(text)
  } catch {
    json = undefined
  }
  return { status: response.status, headers: response.headers, json, text }
}

export const post = (url: string, body: unknown, headers: Record<string, string> = {}) => Effect.promise(() => postJson(url, body, headers))

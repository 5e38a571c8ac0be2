/**
 * Child process of the kill test (Search.kill.test.ts): runs the searches of a few fake problems
 * against the Postgres database given on the command line, printing one line per iteration, so
 * that the parent can SIGKILL it at any moment and start it again. Backend model calls and real
 * executions are appended synchronously to a log file (they survive the kill).
 *
 * usage: node --import tsx kill-child.ts DATABASE_URL|pglite:DATA_DIR LOG_FILE
 */
import { Database } from "@o1coder/store"
import { ModelCallsRepo } from "@o1coder/store/ModelCallsRepo"
import { ProblemsRepo } from "@o1coder/store/ProblemsRepo"
import { SearchRepo } from "@o1coder/store/SearchRepo"
import { Reward } from "@o1coder/reward/Reward"
import * as RecordReplay from "@o1coder/models/RecordReplay"
import { Effect, Layer, Redacted } from "effect"
import * as NodeFs from "node:fs"
import { Search } from "../src/Search.ts"
import { SearchConfig } from "../src/SearchConfig.ts"
import { fakeSandbox, problem, scriptedPolicy } from "./fixtures.ts"

const KILL_PROBLEMS = [21, 22, 23]
const KILL_CONFIG = new SearchConfig({ rollouts: 20, maxDepth: 5, width: 3, seed: 42 })

const [url, logFile] = process.argv.slice(2) as [string, string]
const log = (line: string) => NodeFs.appendFileSync(logFile, line + "\n")

const program = Effect.gen(function* () {
  const search = yield* Search
  const problems = KILL_PROBLEMS.map(problem)
  for (const p of problems) yield* (yield* ProblemsRepo).upsert(p)
  const backend = scriptedPolicy()
  const logged = {
    ...backend,
    complete: (prompt: string, options: Parameters<typeof backend.complete>[1]) =>
      Effect.sleep("3 millis").pipe(
        Effect.zipRight(backend.complete(prompt, options)),
        Effect.tap(() => Effect.sync(() => log("model")))
      )
  }
  const policy = yield* RecordReplay.wrap(logged, { role: "policy" })
  for (const p of problems) {
    yield* search.run({
      problem: p,
      suite: { id: null, tests: p.visibleTests },
      policy,
      config: KILL_CONFIG,
      searchId: `kill-${p.id}`,
      onProgress: (e) => Effect.sync(() => process.stdout.write(`progress ${e.searchId} ${e.rolloutsDone}\n`))
    })
  }
  process.stdout.write("done\n")
})

const runs = { runs: 0 }
const counting = fakeSandbox(new Proxy(runs, { set: (t, k, v) => ((t as any)[k] = v, log("execution"), true) }))
const layer = Search.Default.pipe(
  Layer.provideMerge(Layer.mergeAll(SearchRepo.Default, ProblemsRepo.Default, ModelCallsRepo.Default, counting, Reward.Default)),
  Layer.provideMerge(
    Database.layer(url.startsWith("pglite:") ? { _tag: "Pglite", dataDir: url.slice("pglite:".length) } : { _tag: "Postgres", url: Redacted.make(url) })
  )
)

Effect.runPromise(program.pipe(Effect.provide(layer))).then(
  () => process.exit(0),
  (e) => {
    console.error(e)
    process.exit(1)
  }
)

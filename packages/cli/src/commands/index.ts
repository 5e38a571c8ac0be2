import type { Command } from "@effect/cli"
import type { NodeContext } from "@effect/platform-node/NodeContext"
import type { AppGraph } from "../Layers.ts"

/** What every command module exports: its top-level commands, needing the platform and the layer graph. */
export interface CommandModule {
  readonly commands: ReadonlyArray<Command.Command<any, NodeContext | AppGraph, unknown, any>>
}

type Load = () => Promise<CommandModule>

const cluster: Load = () => import("./cluster.ts")
const db: Load = () => import("./db.ts")
const evalModule: Load = () => import("./eval.ts")
const exportModule: Load = () => import("./export.ts")
const models: Load = () => import("./models.ts")
const problems: Load = () => import("./problems.ts")
const sandbox: Load = () => import("./sandbox.ts")
const search: Load = () => import("./search.ts")
const selfplay: Load = () => import("./selfplay.ts")
const serve: Load = () => import("./serve.ts")
const tcg: Load = () => import("./tcg.ts")
const train: Load = () => import("./train.ts")
const ui: Load = () => import("./ui.ts")

/**
 * Each top-level command and the module that defines it. A command line loads only the module of
 * its command (so `o1coder sql` never loads the search engine); `--help` and anything unknown load
 * all of them. A test checks this table against the modules.
 */
export const registry: Readonly<Record<string, Load>> = {
  db,
  sql: db,
  eval: evalModule,
  export: exportModule,
  models,
  problems,
  exec: sandbox,
  doctor: sandbox,
  search,
  tree: search,
  run: selfplay,
  resume: selfplay,
  status: selfplay,
  report: selfplay,
  runs: selfplay,
  init: selfplay,
  demo: selfplay,
  runner: cluster,
  runners: cluster,
  tcg,
  train,
  versions: train,
  ui,
  serve
}

/** The root help's sections: every top-level command in one of them (a test checks). */
export const groups: ReadonlyArray<{ readonly title: string; readonly names: ReadonlyArray<string> }> = [
  { title: "Self-play runs", names: ["demo", "init", "run", "resume", "status", "runs", "report"] },
  { title: "Many machines", names: ["runner", "runners"] },
  { title: "Problems, tests and data", names: ["problems", "tcg", "export"] },
  { title: "Search, models and training", names: ["search", "tree", "models", "train", "versions"] },
  { title: "Evaluation and the sandbox", names: ["eval", "exec", "doctor", "serve"] },
  { title: "The store", names: ["sql", "ui", "db"] }
]

const load = async (loaders: Iterable<Load>) =>
  (await Promise.all([...new Set(loaders)].map((l) => l()))).flatMap((m) => m.commands)

/** Every top-level command, in the order of the table. */
export const loadAll = () => load(Object.values(registry))

/** The commands a command line needs: the one it names, none for a bare `--version`, else all. */
export const loadFor = (argv: ReadonlyArray<string>) => {
  const words = argv.filter((a) => !a.startsWith("-"))
  const name = words[0]
  if (name !== undefined && Object.hasOwn(registry, name)) return load([registry[name]!])
  if (name === undefined && argv.length > 0 && argv.every((a) => a === "--version")) return load([])
  return loadAll()
}

/**
 * @o1coder/selfplay: the self-play loop (generate tests, search, export, train, serve) as a durable workflow.
 *
 *   RunConfig   the run configuration Schema (JSON/YAML), errors naming the bad field; `runIdFor`
 *   SelfPlay    the workflow (@effect/workflow on @effect/cluster's single-node SQL runner),
 *               `SelfPlay.layer` (needs `Stages`, `RunsRepo`, a SqlClient), `SelfPlay.execute(runId)`
 *   Stages      the interface of the stages it drives; `LiveStages.layer` wires the real ones,
 *               the test double `makeFakeStages` (in `@o1coder/selfplay/testing`) counts calls
 *   Demo        the offline demo's configuration (simulated policy) and its data directory
 *   Events      progress events and the `@o1coder stage ...` markers harnesses watch
 */
export * as RunConfig from "./RunConfig.ts"
export * as SelfPlay from "./SelfPlay.ts"
export * as Stages from "./Stages.ts"
export * as LiveStages from "./LiveStages.ts"
export * as Demo from "./Demo.ts"
export * as Events from "./Events.ts"
export { exampleYaml } from "./ExampleConfig.ts"

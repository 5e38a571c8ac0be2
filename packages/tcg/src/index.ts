/**
 * @o1coder/tcg: test-case generation (step 2 of a self-play round).
 *
 * Main entry: the `TestGen` service (needs `Sandbox` and `SuitesRepo`; optionally `MutantSource`
 * for mutation scores and reduction):
 *
 *     const { suite, stats } = yield* TestGen.pipe(Effect.flatMap((g) =>
 *       g.suiteFor(problem, { generator: "all", budget: 60, seed: 0, model: tcgModel })))
 *     // suite.cases: TestCase[] ({ test, origin }), validated on the reference; use as reward tests.
 *
 * Generators: "dataset" (visible tests only, never held-out), "llm" (the TCG model in the paper's
 * template, see TcgFormat.ts), "mutation" (EvalPlus-style type-aware input mutation labelled by
 * the reference), "all" (the three, deduplicated), "reduced" (greedy set cover of `base`'s suite
 * keeping every mutant kill). Suites are stored per (problem, generator, config hash) and reused.
 * Question-only mode (no reference, evaluation time): `TestGen.agreedSuite(problem, { model, solutions })`
 * (CodeT dual agreement; generator `codet`).
 * Training data: `exportTcg({ format: "sft" | "dpo", out, filters })`.
 */
export {
  TestGen,
  TestGenError,
  GeneratorName,
  type SuiteOptions,
  type SuiteStats,
  type BuiltSuite,
  configHashFor,
  suiteIdFor,
  seedInputs,
  inputKey,
  dualAgreement,
  type Agreement,
  type AgreementOptions
} from "./TestGen.ts"
export * as TcgFormat from "./TcgFormat.ts"
export { renderTcgPrompt, renderTcgCases, parseTcgOutput, TCG_CASES_HEADER, TCG_STOP, type ParsedCases, type Unparseable } from "./TcgFormat.ts"
export * as InputMutation from "./InputMutation.ts"
export * as Quality from "./Quality.ts"
export { type DropReason, DROP_REASONS, validateTests, labelInputs, VALIDATION_LIMITS } from "./Validation.ts"
export { MutantSource, MutantSourceLive, type MutantSourceService, fromCodeMutator, fromMap } from "./Mutants.ts"
export { exportTcg, TcgExporter, tcgRecords, shuffledOutputs, TcgExportError, type TcgExportOptions, type TcgExportFilters, type TcgExportResult, type SftRecord, type DpoRecord } from "./Export.ts"

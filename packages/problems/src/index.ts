/**
 * Benchmark problems: importers (MBPP full and sanitized, MBPP+, HumanEval(+), APPS stdio and
 * o1coder's generic JSONL), the visible/held-out protocol of each benchmark, the assert parser
 * and the demo problem set. The store side is `ProblemsRepo` (re-exported here).
 *
 *   importProblems(path, { format, dataset? })  -> { imported, rejected: InputError[], skipped }
 *   readProblems(path, format, dataset?)        -> the problems without touching the store
 *   testVisibility(dataset)                     -> which tests are visible / held out
 *   parseAssert(source, entryPoint?)            -> CallTest | AssertTest
 *   demoProblemsPath()                          -> packages/problems/data/demo-problems.jsonl
 */
export { ProblemsRepo, type ProblemRecord, type ListOptions, type CountOptions, type SplitCount } from "@o1coder/store/ProblemsRepo"
export { FORMATS, type Format, inferFormat, readProblems, importProblems, type ImportReport } from "./Import.ts"
export type { ParsedFile, Skipped } from "./Records.ts"
export { testVisibility, TEST_VISIBILITY, type TestVisibility } from "./TestVisibility.ts"
export { parseAssert, splitTopLevel, calledName } from "./PyAssert.ts"
export { parseRawJson, toPython, toPythonArgs, toPlain, RawNumber, type RawJson } from "./Json.ts"
export { readMbpp, readMbppSanitized } from "./Mbpp.ts"
export { readMbppPlus } from "./MbppPlus.ts"
export { readHumanEval, readHumanEvalPlus } from "./HumanEval.ts"
export { readApps, SKIP_CALL_BASED } from "./Apps.ts"
export { readGeneric, toGenericRecord, fromTest, datasetFromFile, type GenericRecord, type GenericTest } from "./Generic.ts"
export { demoProblemsPath, DEMO_DATASET } from "./Demo.ts"

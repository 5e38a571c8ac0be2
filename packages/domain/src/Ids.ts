import { Schema } from "effect"

/** Branded identifiers. All are text so that resumed work can derive them deterministically. */
export const ProblemId = Schema.String.pipe(Schema.brand("ProblemId"))
export type ProblemId = typeof ProblemId.Type
export const SuiteId = Schema.String.pipe(Schema.brand("SuiteId"))
export type SuiteId = typeof SuiteId.Type
export const RunId = Schema.String.pipe(Schema.brand("RunId"))
export type RunId = typeof RunId.Type
export const SearchId = Schema.String.pipe(Schema.brand("SearchId"))
export type SearchId = typeof SearchId.Type
export const NodeId = Schema.String.pipe(Schema.brand("NodeId"))
export type NodeId = typeof NodeId.Type
export const ModelVersionId = Schema.String.pipe(Schema.brand("ModelVersionId"))
export type ModelVersionId = typeof ModelVersionId.Type
export const JobId = Schema.String.pipe(Schema.brand("JobId"))
export type JobId = typeof JobId.Type
export const DatasetId = Schema.String.pipe(Schema.brand("DatasetId"))
export type DatasetId = typeof DatasetId.Type
export const EvaluationId = Schema.String.pipe(Schema.brand("EvaluationId"))
export type EvaluationId = typeof EvaluationId.Type

import { fileURLToPath } from "node:url"

/** The generic-format file of small function problems used by the offline demo (`o1coder demo`). */
export const demoProblemsPath = (): string => fileURLToPath(new URL("../data/demo-problems.jsonl", import.meta.url))

/** The dataset name the demo problems are imported under. */
export const DEMO_DATASET = "demo"

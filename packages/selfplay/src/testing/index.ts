/** Test doubles of the self-play package (never used by the program). */
export * from "./FakeStages.ts"

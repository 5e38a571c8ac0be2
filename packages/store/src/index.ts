export * as Database from "./Database.ts"
export * as PgliteClient from "./PgliteClient.ts"
export * as TestDatabase from "./TestDatabase.ts"

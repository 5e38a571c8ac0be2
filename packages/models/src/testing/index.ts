/** Test doubles and test resources of the models package (never part of the production barrel). */
export * as FakeOpenAiServer from "./FakeOpenAiServer.ts"
export * as FaultProxy from "./FaultProxy.ts"
export * as LlamaServer from "./LlamaServer.ts"

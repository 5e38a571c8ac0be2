export * from "./Sandbox.ts"
export * from "./Compare.ts"
export * as Isolation from "./Isolation.ts"
export { layer as sandboxLayer, make as makeSandbox, SandboxLive, type SandboxOptions } from "./SandboxLive.ts"

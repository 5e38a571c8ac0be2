export * as UiApi from "./Api.ts"
export * as UiServer from "./UiServer.ts"
export { Views } from "./Views.ts"
export * as UiLink from "./Link.ts"

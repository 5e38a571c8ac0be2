import type { Test } from "./api.ts"
import { h } from "./dom.ts"

/** A test as Python-like text: `f(args) == expected`, the assert as written, or stdin → stdout. */
export const testText = (test: Test, entryPoint: string | null) => {
  switch (test._tag) {
    case "call":
      return `${entryPoint ?? "f"}(${test.args}) == ${test.expected}${test.atol !== undefined ? `  (atol ${test.atol})` : ""}`
    case "assert":
      return test.source
    case "stdio":
      return `stdin: ${JSON.stringify(test.input)} → stdout: ${JSON.stringify(test.output)}`
  }
}

export const testCode = (test: Test, entryPoint: string | null) => h("code", { class: "test" }, testText(test, entryPoint))

export const originBadge = (origin: string | null) => (origin === null ? h("span", { class: "muted" }, "visible") : h("span", { class: `badge origin-${origin}` }, origin))

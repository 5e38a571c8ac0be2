import * as NodeFs from "node:fs"
import type { Reporter, SerializedError, TestModule } from "vitest/node"

/**
 * Ends `npm test` with one plain line, `N passed, N failed, N skipped` (CI greps it). A test file
 * that could not run at all and an unhandled error each count as one failure.
 */
export default class Summary implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>, errors: ReadonlyArray<SerializedError>) {
    let passed = 0
    let failed = errors.length
    let skipped = 0
    for (const module of modules) {
      let failedHere = 0
      for (const test of module.children.allTests()) {
        const state = test.result().state
        if (state === "passed") passed++
        else if (state === "failed") failedHere++
        else skipped++
      }
      failed += module.state() === "failed" && failedHere === 0 ? 1 : failedHere
    }
    // At exit, so that it comes after the default reporter's summary.
    process.once("exit", () => NodeFs.writeSync(1, `${passed} passed, ${failed} failed, ${skipped} skipped\n`))
  }
}

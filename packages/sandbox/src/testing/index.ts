import { Execution, Verdict } from "@o1coder/domain"
import { Effect, Layer } from "effect"
import { Sandbox, type RunRequest } from "../Sandbox.ts"

/**
 * Test doubles of the sandbox (never used by the program).
 *
 * - `SandboxStub.layer(run)`: a Sandbox whose `run` answers with `run(request)`, without Python;
 *   `call` is not stubbed and dies if a test reaches it.
 * - `SandboxStub.compiledFailing`: every program compiles and fails every test.
 */
export const SandboxStub = {
  layer: (run: (request: RunRequest) => Execution): Layer.Layer<Sandbox> =>
    Layer.succeed(Sandbox, {
      info: { interpreter: "stub", level: "none", details: ["stub sandbox for tests"], workers: 1 },
      run: (request) => Effect.sync(() => run(request)),
      call: () => Effect.die("SandboxStub: call is not stubbed")
    }),
  compiledFailing: (request: RunRequest): Execution =>
    new Execution({
      compiled: true,
      verdicts: request.tests.map(() => new Verdict({ status: "failed", ms: 0 })),
      passed: 0,
      total: request.tests.length,
      ms: 0
    })
}

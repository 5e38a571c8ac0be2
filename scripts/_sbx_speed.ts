import { Effect } from "effect"
import { CallTest } from "@o1coder/domain"
import { Sandbox, sandboxLayer } from "@o1coder/sandbox"
const prog = Effect.gen(function* () {
  const sb = yield* Sandbox
  for (const withExp of [true, false]) {
  const t0 = performance.now()
  yield* Effect.forEach(Array.from({ length: 500 }, (_, i) => i), (i) => sb.run({ code: `def f(x):\n  return x+${i}\n`, kind: "function", entryPoint: "f", tests: [new CallTest({ args: "1", expected: withExp ? String(i + 1) : "2" })] }), { concurrency: 8 })
  console.log(withExp, (performance.now() - t0) / 500, "ms per exec")
  }
})
Effect.runPromise(Effect.scoped(Effect.provide(prog, sandboxLayer({ workers: 2 })))).catch((e) => console.error("ERR", e))

/**
 * Serves the FAKE Ray Jobs API for manual trials of the ray backend (not Ray):
 *   npx tsx packages/training/src/testing/serveFakeRay.ts 8265
 * then `o1coder train submit --backend ray --ray-address http://127.0.0.1:8265 ...`.
 */
import { Console, Effect } from "effect"
import { makeOn } from "./FakeRayServer.ts"

const port = Number(process.argv[2] ?? 8265)

Effect.runPromise(
  Effect.scoped(
    Effect.gen(function* () {
      const fake = yield* makeOn(port)
      yield* Console.log(`fake Ray Jobs API on ${fake.address}`)
      return yield* Effect.never
    })
  )
)

import { Effect, Ref, type Scope } from "effect"
import { Overloaded } from "./Api.ts"

/**
 * A bounded queue in front of the sandbox: a request holds one unit per completion it scores
 * (running or waiting for a worker) for as long as it lasts. A request that would pass the
 * capacity is refused at once (429) rather than queued, so memory never grows with the load.
 */
export interface Admission {
  readonly admit: (units: number) => Effect.Effect<void, Overloaded, Scope.Scope>
  readonly queued: Effect.Effect<number>
  readonly capacity: number
}

export const make = (capacity: number, retryAfterSeconds: number): Effect.Effect<Admission> =>
  Effect.map(Ref.make(0), (held) => ({
    capacity,
    queued: Ref.get(held),
    admit: (units) =>
      Effect.acquireRelease(
        Ref.modify(held, (n) => (n + units > capacity ? [false, n] : [true, n + units])).pipe(
          Effect.filterOrFail(
            (admitted) => admitted,
            () =>
              new Overloaded({
                message: `the queue is full (${capacity} completions admitted at once); retry after ${retryAfterSeconds} s`,
                retryAfterSeconds
              })
          )
        ),
        () => Ref.update(held, (n) => n - units)
      )
  }))

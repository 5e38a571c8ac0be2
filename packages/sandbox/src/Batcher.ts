import { Chunk, Deferred, Effect, Exit, Queue, type Scope } from "effect"

/**
 * Groups the calls of concurrent fibers: a call queues its item and waits; one fiber takes every item
 * queued (up to `max`), handles them with one `many` (one query, one transaction), and answers each
 * caller. While one group is being handled the next one gathers, so groups grow with the load and a
 * lone call is handled at once. When `many` fails, each item of the group is handled alone by `one`,
 * so an item at fault fails only its own caller.
 */
export interface Batcher<A, B, E> {
  readonly submit: (item: A) => Effect.Effect<B, E>
}

export const make = <A, B, E>(options: {
  readonly max: number
  readonly many: (items: ReadonlyArray<A>) => Effect.Effect<ReadonlyArray<B>, E>
  readonly one: (item: A) => Effect.Effect<B, E>
}): Effect.Effect<Batcher<A, B, E>, never, Scope.Scope> =>
  Effect.gen(function* () {
    const queue = yield* Queue.unbounded<readonly [A, Deferred.Deferred<B, E>]>()
    yield* Effect.addFinalizer(() => Queue.shutdown(queue))
    const handle = (group: ReadonlyArray<readonly [A, Deferred.Deferred<B, E>]>) =>
      Effect.flatMap(Effect.exit(options.many(group.map(([a]) => a))), (exit) =>
        Exit.isSuccess(exit)
          ? Effect.forEach(group, ([, d], i) => Deferred.succeed(d, exit.value[i]!), { discard: true })
          : group.length === 1
            ? Deferred.failCause(group[0]![1], exit.cause)
            : Effect.forEach(group, ([a, d]) => Effect.flatMap(Effect.exit(options.one(a)), (e) => Deferred.done(d, e)), { concurrency: 4, discard: true })
      )
    yield* Queue.takeBetween(queue, 1, options.max).pipe(
      Effect.flatMap((chunk) => handle(Chunk.toReadonlyArray(chunk))),
      Effect.forever,
      Effect.forkScoped
    )
    return {
      submit: (item) =>
        Effect.flatMap(Deferred.make<B, E>(), (d) => Effect.zipRight(Queue.offer(queue, [item, d]), Deferred.await(d)))
    }
  })

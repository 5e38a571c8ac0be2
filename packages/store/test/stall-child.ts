import * as StallWatchdog from "../src/StallWatchdog.ts"

/**
 * The child of StallWatchdog.test.ts: `block` spins forever inside a tracked call (as PGlite's wasm
 * did in XLogFlush); `untracked` blocks the loop for a while outside any tracked call; `quick` makes a
 * tracked call that settles. Exit 75 from `onStall` means the watchdog freed the loop and said so.
 */
const mode = process.argv[2]
const watchdog = StallWatchdog.start({
  limitMillis: 500,
  message: "stall-child: still blocked",
  onStall: (blocked) => {
    process.stderr.write(`stall-child: stalled after ${blocked} ms\n`)
    process.exit(75)
  }
})
// Let the worker start before the loop blocks (a blocked main thread cannot start it).
await new Promise((resolve) => setTimeout(resolve, 300))
if (mode === "block") {
  await watchdog.track(async () => {
    await null
    for (;;) {}
  })
} else if (mode === "untracked") {
  const until = Date.now() + 1500
  while (Date.now() < until) {}
  await watchdog.track(async () => 1)
} else {
  await watchdog.track(async () => 1)
}
watchdog.stop()
process.stderr.write("stall-child: done\n")

import { Effect } from "effect"

/**
 * A progress line on stderr for long work: redrawn in place on a terminal, one line every few
 * seconds otherwise (logs, CI). Never written to stdout, so `--json` output stays clean.
 */
export interface Progress {
  readonly update: (done: number, detail?: string) => Effect.Effect<void>
  readonly finish: (detail?: string) => Effect.Effect<void>
}

const formatDuration = (ms: number) => {
  const s = Math.round(ms / 1000)
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s` : `${s}s`
}

export const makeProgress = (label: string, total: number): Effect.Effect<Progress> =>
  Effect.sync(() => {
    const started = Date.now()
    const tty = process.stderr.isTTY === true
    let lastPrint = 0
    let lastDone = 0
    const render = (done: number, detail?: string) => {
      const elapsed = Date.now() - started
      const width = 24
      const share = total > 0 ? Math.min(1, done / total) : 0
      const bar = "█".repeat(Math.round(share * width)).padEnd(width, "░")
      const eta = done > 0 && done < total ? ` eta ${formatDuration((elapsed / done) * (total - done))}` : ""
      return `${label} ${bar} ${done}/${total} ${formatDuration(elapsed)}${eta}${detail ? `  ${detail}` : ""}`
    }
    return {
      update: (done, detail) =>
        Effect.sync(() => {
          lastDone = done
          const now = Date.now()
          if (tty) {
            if (now - lastPrint < 100 && done < total) return
            process.stderr.write(`\r\x1b[2K${render(done, detail)}`)
          } else {
            if (now - lastPrint < 5000 && done < total) return
            process.stderr.write(`${render(done, detail)}\n`)
          }
          lastPrint = now
        }),
      finish: (detail) =>
        Effect.sync(() => {
          process.stderr.write(`${tty ? "\r\x1b[2K" : ""}${render(lastDone, detail)}\n`)
        })
    }
  })

/**
 * A one-off line on stderr (a retry, a split request) that does not garble a progress line drawn
 * in place: the line is cleared first and the next update redraws it.
 */
export const printNotice = (text: string): Effect.Effect<void> =>
  Effect.sync(() => void process.stderr.write(`${process.stderr.isTTY === true ? "\r\x1b[2K" : ""}${text}\n`))

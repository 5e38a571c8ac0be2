import { Effect } from "effect"

/**
 * A progress line on stderr for long work, never on stdout (so `--json` output stays clean).
 * On a terminal it is redrawn in place every second (elapsed time and ETA tick even when nothing
 * finished) and cut to the terminal's width; otherwise (logs, CI) it is a plain line at most every
 * 5 s on progress, and every 30 s while nothing moves, so that a slow step never looks like a hang.
 */
export interface Progress {
  /** `done` of the total so far; `total` changes the total (when it becomes known late). */
  readonly update: (done: number, detail?: string, total?: number) => Effect.Effect<void>
  /** Prints the final line (at `done`, default the last update) and stops the clock. */
  readonly finish: (detail?: string, done?: number) => Effect.Effect<void>
}

export const formatDuration = (ms: number): string => {
  const s = Math.round(ms / 1000)
  if (s < 60) return `${s}s`
  const m = Math.floor(s / 60)
  return m < 60 ? `${m}m${String(s % 60).padStart(2, "0")}s` : `${Math.floor(m / 60)}h${String(m % 60).padStart(2, "0")}m`
}

/** Cuts a line to `width` characters (an ellipsis marks the cut). */
export const fitWidth = (line: string, width: number): string =>
  [...line].length <= width ? line : [...line].slice(0, Math.max(0, width - 1)).join("") + "…"

const BAR = 20

/**
 * The line for `done` of `total` after `elapsed` ms; `total` 0 is work of unknown size (no bar).
 * Within `width`, the bar shrinks (or goes) before the counts; the detail is cut last.
 */
export const renderLine = (label: string, done: number, total: number, elapsed: number, detail?: string, width?: number): string => {
  const counts = [total > 0 ? `${done}/${total}` : undefined, formatDuration(elapsed)]
  if (total > 0 && done > 0 && done < total) counts.push(`eta ${formatDuration((elapsed / done) * (total - done))}`)
  const head = [label, ...counts.filter((c) => c !== undefined)].join(" ")
  const room = width === undefined ? BAR : Math.min(BAR, width - head.length - 1)
  const bar = total > 0 && room >= 5 ? "█".repeat(Math.round(Math.min(1, done / total) * room)).padEnd(room, "░") : undefined
  const line = bar === undefined ? head : `${label} ${bar} ${head.slice(label.length + 1)}`
  const full = detail ? `${line}   ${detail}` : line
  return width === undefined ? full : fitWidth(full, width)
}

/**
 * A condition of the whole program (`waiting for the database (12 s)`) that every progress line drawn
 * in place shows after its own detail until it is cleared: the terminal's one status line, not a
 * line of its own between redraws. `inPlace` tells whether such a line is on screen now.
 */
const shown = { condition: undefined as string | undefined, inPlace: 0 }

export const setCondition = (text: string | undefined): Effect.Effect<void> => Effect.sync(() => void (shown.condition = text))

/** True while a progress line is redrawn in place on a terminal (a condition then appears on it). */
export const drawsInPlace: Effect.Effect<boolean> = Effect.sync(() => shown.inPlace > 0)

export interface ProgressOptions {
  readonly stream?: NodeJS.WriteStream | undefined
  /** Milliseconds between plain lines on progress / while nothing moves (not a terminal). */
  readonly plainEveryMs?: number | undefined
  readonly quietMs?: number | undefined
}

export const makeProgress = (label: string, total: number, options: ProgressOptions = {}): Effect.Effect<Progress> =>
  Effect.sync(() => {
    const stream = options.stream ?? process.stderr
    const tty = stream.isTTY === true
    const plainEvery = options.plainEveryMs ?? 5_000
    const quiet = options.quietMs ?? 30_000
    const started = Date.now()
    let state = { done: 0, total, detail: undefined as string | undefined }
    let lastPrint = 0
    let lastDrawn = ""
    const drawnKey = () => `${state.done}/${state.total}/${state.detail ?? ""}`
    let finished = false

    const detail = () => (tty && shown.condition !== undefined ? [state.detail, shown.condition].filter((d) => d).join("   ") : state.detail)
    const line = (width?: number) => renderLine(label, state.done, state.total, Date.now() - started, detail(), width)
    if (tty) shown.inPlace++
    const draw = () => {
      if (tty) stream.write(`\r\x1b[2K${line(Math.max(20, (stream.columns ?? 80) - 1))}`)
      else stream.write(`${line()}\n`)
      lastPrint = Date.now()
      lastDrawn = drawnKey()
    }
    // The clock: redraws every second on a terminal, a heartbeat line otherwise.
    const clock = setInterval(() => {
      if (tty || Date.now() - lastPrint >= quiet) draw()
    }, tty ? 1_000 : Math.min(quiet, 1_000))
    clock.unref()

    return {
      update: (done, detail, newTotal) =>
        Effect.sync(() => {
          if (finished) return
          state = { done, total: newTotal ?? state.total, detail }
          const now = Date.now()
          if (done >= state.total || now - lastPrint >= (tty ? 100 : plainEvery)) draw()
        }),
      finish: (detail, done) =>
        Effect.sync(() => {
          if (finished) return
          finished = true
          clearInterval(clock)
          if (tty) shown.inPlace--
          state = { done: done ?? state.done, total: state.total, detail: detail ?? state.detail }
          // A log already has this line when the last update drew it.
          if (tty || drawnKey() !== lastDrawn) draw()
          if (tty) stream.write("\n")
        })
    }
  })

/** Runs `effect` under a line for work of unknown size (a ticking clock), finished when it ends. */
export const withSpinner = <A, E, R>(label: string, effect: Effect.Effect<A, E, R>, options: ProgressOptions = {}) =>
  Effect.acquireUseRelease(
    makeProgress(label, 0, options),
    () => effect,
    (p, exit) => p.finish(exit._tag === "Success" ? "done" : "failed")
  )

/**
 * A one-off line on stderr (a retry, a split request) that does not garble a progress line drawn
 * in place: the line is cleared first and the next tick redraws it.
 */
export const printNotice = (text: string): Effect.Effect<void> =>
  Effect.sync(() => void process.stderr.write(`${process.stderr.isTTY === true ? "\r\x1b[2K" : ""}${text}\n`))

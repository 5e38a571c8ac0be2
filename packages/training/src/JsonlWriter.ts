import { Effect, Schema, Stream } from "effect"
import { createHash } from "node:crypto"
import * as Fs from "node:fs"
import * as Path from "node:path"
import { ExportError } from "./Errors.ts"
import { tempSiblingOf } from "./TempFile.ts"

export interface WrittenFile {
  readonly path: string
  readonly rows: number
  readonly bytes: number
  readonly sha256: string
}

/** Bytes buffered before each write: the writer holds at most this much text, however many rows. */
const FLUSH_BYTES = 256 * 1024

const fail = (reason: string) => (cause: unknown) => new ExportError({ reason: `${reason}: ${String((cause as Error)?.message ?? cause)}`, cause })

/**
 * Streams records to a JSONL file: each record is validated (encoded) by `schema`, written as one
 * line, and hashed as it goes. The file appears at `path` only when complete (written to a
 * temporary sibling, then renamed), so a crash never leaves a half file under the final name.
 */
export const writeJsonl = <A, I, E, R>(
  path: string,
  schema: Schema.Schema<A, I>,
  records: Stream.Stream<A, E, R>
): Effect.Effect<WrittenFile, E | ExportError, R> =>
  Effect.scoped(
    Effect.gen(function* () {
      const target = Path.resolve(path)
      const tmp = tempSiblingOf(target)
      yield* Effect.try({ try: () => Fs.mkdirSync(Path.dirname(target), { recursive: true }), catch: fail(`Cannot create ${Path.dirname(target)}`) })
      const fd = yield* Effect.acquireRelease(
        Effect.try({ try: () => Fs.openSync(tmp, "w"), catch: fail(`Cannot open ${tmp}`) }),
        (fd, exit) =>
          Effect.sync(() => {
            Fs.closeSync(fd)
            if (exit._tag === "Failure") Fs.rmSync(tmp, { force: true })
          })
      )
      const hash = createHash("sha256")
      const encode = Schema.encode(schema)
      let buffer: Array<string> = []
      let buffered = 0
      let rows = 0
      let bytes = 0
      const flush = Effect.try({
        try: () => {
          if (buffered === 0) return
          const data = Buffer.from(buffer.join(""), "utf8")
          hash.update(data)
          Fs.writeSync(fd, data)
          bytes += data.length
          buffer = []
          buffered = 0
        },
        catch: fail(`Cannot write ${tmp}`)
      })
      yield* Stream.runForEach(records, (record) =>
        Effect.gen(function* () {
          const encoded = yield* encode(record).pipe(
            Effect.mapError((e) => new ExportError({ reason: `record ${rows + 1} is invalid: ${e.message}` }))
          )
          const line = `${JSON.stringify(encoded)}\n`
          buffer.push(line)
          buffered += line.length
          rows++
          if (buffered >= FLUSH_BYTES) yield* flush
        })
      )
      yield* flush
      yield* Effect.try({ try: () => Fs.renameSync(tmp, target), catch: fail(`Cannot rename ${tmp}`) })
      return { path: target, rows, bytes, sha256: hash.digest("hex") }
    })
  ).pipe(Effect.withSpan("writeJsonl", { attributes: { path } }))

/** The sha256 of a file, read in chunks. */
export const fileSha256 = (path: string) =>
  Effect.try({
    try: () => {
      const hash = createHash("sha256")
      const fd = Fs.openSync(path, "r")
      try {
        const chunk = Buffer.alloc(1 << 20)
        let n: number
        while ((n = Fs.readSync(fd, chunk, 0, chunk.length, null)) > 0) hash.update(chunk.subarray(0, n))
      } finally {
        Fs.closeSync(fd)
      }
      return hash.digest("hex")
    },
    catch: fail(`Cannot read ${path}`)
  })

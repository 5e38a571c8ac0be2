import { describe, expect, it } from "@effect/vitest"
import { Effect, Schema, Stream } from "effect"
import * as ChildProcess from "node:child_process"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { writeJsonl } from "../src/JsonlWriter.ts"
import { SftPromptCompletion } from "../src/Records.ts"

const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "o1coder-jsonl-"))

describe("writeJsonl", () => {
  it.effect("removes the temporary file a killed writer left (a dead pid), keeps a live process's", () =>
    Effect.gen(function* () {
      const target = Path.join(dir, "resumed.jsonl")
      const dead = ChildProcess.spawnSync("true").pid!
      const live = process.ppid
      Fs.writeFileSync(`${target}.tmp-${dead}`, '{"prompt": "half a fi')
      Fs.writeFileSync(`${target}.tmp-${live}`, "another writer's")
      yield* writeJsonl(target, SftPromptCompletion, Stream.make({ prompt: "p", completion: "c" }))
      expect(Fs.readdirSync(dir).filter((f) => f.startsWith("resumed.jsonl")).sort()).toEqual(["resumed.jsonl", `resumed.jsonl.tmp-${live}`])
      Fs.rmSync(`${target}.tmp-${live}`)
    })
  )

  it.effect("streams 100k rows: the file grows while rows are still being produced, memory stays bounded", () =>
    Effect.gen(function* () {
      const target = Path.join(dir, "big.jsonl")
      const tmp = `${target}.tmp-${process.pid}`
      const filler = "x".repeat(2000)
      const sizes: Array<number> = []
      let peakHeap = 0
      const baseline = process.memoryUsage().heapUsed
      function* rows() {
        for (let i = 0; i < 100_000; i++) {
          if (i % 10_000 === 0) {
            sizes.push(Fs.existsSync(tmp) ? Fs.statSync(tmp).size : 0)
            peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed - baseline)
          }
          yield { prompt: `problem ${i}`, completion: filler }
        }
      }
      const written = yield* writeJsonl(target, SftPromptCompletion, Stream.fromIterable(rows()))
      expect(written.rows).toBe(100_000)
      // Bytes reached the disk before the generator had produced half the rows...
      expect(sizes[5]!).toBeGreaterThan(0)
      // ...and kept growing with it (incremental writes, not one write at the end).
      for (let i = 2; i < sizes.length; i++) expect(sizes[i]!).toBeGreaterThan(sizes[i - 1]!)
      // Holding 100k rows of 2 kB would take >200 MB of heap.
      expect(peakHeap).toBeLessThan(150 * 1024 * 1024)
      expect(Fs.statSync(target).size).toBe(written.bytes)
      expect(Fs.existsSync(tmp)).toBe(false)
    })
  )

  it.effect("validates every record and leaves no file behind on an invalid one", () =>
    Effect.gen(function* () {
      const target = Path.join(dir, "bad.jsonl")
      const records = Stream.make({ prompt: "a", completion: "b" }, { prompt: 3 as unknown as string, completion: "c" })
      const error = yield* Effect.flip(writeJsonl(target, SftPromptCompletion, records))
      expect(error._tag).toBe("ExportError")
      expect(error.message).toContain("record 2")
      expect(Fs.existsSync(target)).toBe(false)
      expect(Fs.readdirSync(dir).filter((f) => f.startsWith("bad.jsonl"))).toEqual([])
    })
  )

  it.effect("same records give the same bytes and hash", () =>
    Effect.gen(function* () {
      const records = Stream.range(1, 500).pipe(Stream.map((i) => ({ prompt: `p${i}`, completion: "é\n\"q\"" })))
      const a = yield* writeJsonl(Path.join(dir, "a.jsonl"), SftPromptCompletion, records)
      const b = yield* writeJsonl(Path.join(dir, "b.jsonl"), Schema.Struct({ prompt: Schema.String, completion: Schema.String }), records)
      expect(a.sha256).toBe(b.sha256)
      expect(Fs.readFileSync(a.path).equals(Fs.readFileSync(b.path))).toBe(true)
    })
  )
})

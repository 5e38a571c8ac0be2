import { Effect, Schema, Stream } from "effect"
import { fileWriter, ParquetWriter } from "hyparquet-writer"
import * as Fs from "node:fs"
import * as Path from "node:path"
import { ExportError } from "./Errors.ts"
import { tempSiblingOf } from "./TempFile.ts"
import { fileSha256, type WrittenFile } from "./JsonlWriter.ts"
import { VerlRow } from "./Records.ts"

const utf8 = (name: string) => ({ name, type: "BYTE_ARRAY", converted_type: "UTF8", repetition_type: "REQUIRED" }) as const

/** verl's RL prompt schema, nested as pandas/pyarrow write it (prompt: list<struct<role, content>>). */
export const VERL_SCHEMA = [
  { name: "root", num_children: 5 },
  utf8("data_source"),
  { name: "prompt", repetition_type: "REQUIRED", converted_type: "LIST", num_children: 1 },
  { name: "list", repetition_type: "REPEATED", num_children: 1 },
  { name: "element", repetition_type: "REQUIRED", num_children: 2 },
  utf8("role"),
  utf8("content"),
  utf8("ability"),
  { name: "reward_model", repetition_type: "REQUIRED", num_children: 2 },
  utf8("style"),
  utf8("ground_truth"),
  { name: "extra_info", repetition_type: "REQUIRED", num_children: 5 },
  { name: "index", type: "INT64", repetition_type: "REQUIRED" },
  utf8("split"),
  utf8("problem_id"),
  utf8("suite_id"),
  utf8("entry_point")
] as const

const COLUMNS = ["data_source", "prompt", "ability", "reward_model", "extra_info"] as const
const ROW_GROUP = 1000

const fail = (reason: string) => (cause: unknown) => new ExportError({ reason: `${reason}: ${String((cause as Error)?.message ?? cause)}`, cause })

/** Streams verl rows to a parquet file in row groups of 1000 (validated, then renamed into place). */
export const writeVerlParquet = <E, R>(path: string, rows: Stream.Stream<VerlRow, E, R>): Effect.Effect<WrittenFile, E | ExportError, R> =>
  Effect.gen(function* () {
    const target = Path.resolve(path)
    const tmp = tempSiblingOf(target)
    yield* Effect.try({ try: () => Fs.mkdirSync(Path.dirname(target), { recursive: true }), catch: fail(`Cannot create ${Path.dirname(target)}`) })
    const writer = yield* Effect.try({
      try: () => new ParquetWriter({ writer: fileWriter(tmp), schema: VERL_SCHEMA as any, createdBy: "o1coder" }),
      catch: fail(`Cannot open ${tmp}`)
    })
    const validate = Schema.validate(VerlRow)
    let count = 0
    const written = yield* rows.pipe(
      Stream.mapEffect((row) => validate(row).pipe(Effect.mapError((e) => new ExportError({ reason: `verl row ${count + 1} is invalid: ${e.message}` })), Effect.tap(() => Effect.sync(() => count++)))),
      Stream.grouped(ROW_GROUP),
      Stream.runForEach((chunk) =>
        Effect.try({
          try: () => {
            const group = Array.from(chunk).map((r) => ({ ...r, extra_info: { ...r.extra_info, index: BigInt(r.extra_info.index) } }))
            return writer.write({
              columnData: COLUMNS.map((name) => ({ name, data: group.map((r) => r[name]) as any })),
              rowGroupSize: ROW_GROUP
            })
          },
          catch: fail(`Cannot write ${tmp}`)
        })
      ),
      Effect.zipRight(Effect.try({ try: () => writer.finish(), catch: fail(`Cannot finish ${tmp}`) })),
      Effect.zipRight(Effect.try({ try: () => Fs.renameSync(tmp, target), catch: fail(`Cannot rename ${tmp}`) })),
      Effect.zipRight(fileSha256(target)),
      Effect.map((sha256): WrittenFile => ({ path: target, rows: count, bytes: Fs.statSync(target).size, sha256 })),
      Effect.onError(() => Effect.sync(() => Fs.rmSync(tmp, { force: true })))
    )
    return written
  }).pipe(Effect.withSpan("writeVerlParquet", { attributes: { path } }))

import * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import { Execution, sha256 } from "@o1coder/domain"
import * as SqlSchema from "@effect/sql/SqlSchema"
import { Effect, Option, ParseResult, Schema } from "effect"
import { Count, orDieOnBadRows } from "./Rows.ts"

export const ExecutionPurpose = Schema.Literal("search", "scoring", "validation", "other", "rl")
export type ExecutionPurpose = typeof ExecutionPurpose.Type

export interface CachedExecution {
  readonly key: string
  readonly codeHash: string
  readonly suiteHash: string
  readonly execution: Execution
}

export interface ExecutionLogEntry {
  readonly key: string
  readonly purpose: ExecutionPurpose
  readonly cached: boolean
  readonly runId?: string | undefined
  readonly searchId?: string | undefined
  readonly problemId?: string | undefined
  /** The RL trainer's run name and step (purpose `rl`, from the reward service's caller). */
  readonly rlRun?: string | undefined
  readonly rlStep?: number | undefined
}

export interface LogFilter {
  readonly purpose?: ExecutionPurpose | undefined
  readonly runId?: string | undefined
  readonly searchId?: string | undefined
  readonly problemId?: string | undefined
  readonly key?: string | undefined
  readonly rlRun?: string | undefined
}

export const LogCount = Schema.Struct({ purpose: ExecutionPurpose, cached: Schema.Boolean, count: Schema.Number })
export type LogCount = typeof LogCount.Type

const decodeExecution = Schema.decodeUnknownOption(Execution)

/** The stored execution of a cache row. */
const ExecutionRow = Schema.Struct({ result: Execution })

/** A cached execution that no longer decodes counts as absent (it is executed again). */
const absentIfUndecodable = <E, R>(self: Effect.Effect<Option.Option<typeof ExecutionRow.Type>, E | ParseResult.ParseError, R>) =>
  self.pipe(
    Effect.map(Option.map((row) => row.result)),
    Effect.catchIf((e): e is Extract<E | ParseResult.ParseError, ParseResult.ParseError> => ParseResult.isParseError(e), () => Effect.succeedNone)
  )

const encodeExecution = Schema.encodeSync(Execution)

const executionRow = (entry: CachedExecution) => ({
  key: entry.key,
  code_hash: entry.codeHash,
  suite_hash: entry.suiteHash,
  compiled: entry.execution.compiled,
  passed: entry.execution.passed,
  total: entry.execution.total,
  result: JSON.stringify(encodeExecution(entry.execution)),
  ms: entry.execution.ms
})

const logRow = (entry: ExecutionLogEntry) => ({
  execution_key: entry.key,
  purpose: entry.purpose,
  cached: entry.cached,
  run_id: entry.runId ?? null,
  search_id: entry.searchId ?? null,
  problem_id: entry.problemId ?? null,
  rl_run: entry.rlRun ?? null,
  rl_step: entry.rlStep ?? null
})

/**
 * The execution cache (`executions`, key = hash(code, suite, limits)) and the log of every
 * execution request, cached or not, with its purpose (`execution_log`): evaluation uses the log to
 * prove that no scoring test ran during a search.
 */
export class ExecutionsRepo extends Effect.Service<ExecutionsRepo>()("o1coder/ExecutionsRepo", {
  effect: Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient

    const byKey = SqlSchema.findOne({
      Request: Schema.String,
      Result: ExecutionRow,
      execute: (key) => sql`select result from executions where key = ${key}`
    })

    /** The cached execution for this key, if any (a row that no longer decodes counts as absent). */
    const get = (key: string): Effect.Effect<Option.Option<Execution>, SqlError> =>
      byKey(key).pipe(absentIfUndecodable, Effect.withSpan("ExecutionsRepo.get"))

    /** Stores an execution; the first one stored under a key wins. */
    const put = (entry: CachedExecution): Effect.Effect<void, SqlError> =>
      sql`insert into executions ${sql.insert(executionRow(entry))} on conflict (key) do nothing`.pipe(Effect.asVoid, Effect.withSpan("ExecutionsRepo.put"))

    const log = (entry: ExecutionLogEntry): Effect.Effect<void, SqlError> =>
      sql`insert into execution_log ${sql.insert(logRow(entry))}`.pipe(Effect.asVoid, Effect.withSpan("ExecutionsRepo.log"))

    /** An executed request: its result (when it may be cached) and its log row, both or neither. */
    const record = (entry: CachedExecution | undefined, logEntry: ExecutionLogEntry): Effect.Effect<void, SqlError> =>
      (entry === undefined ? log(logEntry) : sql.withTransaction(Effect.zipRight(put(entry), log(logEntry)))).pipe(
        Effect.withSpan("ExecutionsRepo.record")
      )

    const byKeys = SqlSchema.findAll({
      Request: Schema.Array(Schema.String),
      Result: Schema.Struct({ key: Schema.String, result: Schema.Unknown }),
      execute: (keys) => sql`select key, result from executions where ${sql.in("key", keys)}`
    })

    /** The cached executions of these keys, in one query (keys absent or no longer decoding are missing). */
    const getMany = (keys: ReadonlyArray<string>): Effect.Effect<ReadonlyMap<string, Execution>, SqlError> =>
      keys.length === 0
        ? Effect.succeed(new Map())
        : byKeys(keys).pipe(
            orDieOnBadRows,
            Effect.map((rows) =>
              new Map(rows.flatMap((row) => Option.match(decodeExecution(row.result), { onNone: () => [], onSome: (e) => [[row.key, e] as const] })))
            ),
            Effect.withSpan("ExecutionsRepo.getMany", { attributes: { keys: keys.length } })
          )

    /**
     * Many executed requests (a group commit): every result that may be cached and every log row in one
     * statement (a writable CTE: one round trip, atomic without a transaction of its own), all or none.
     */
    const recordMany = (
      items: ReadonlyArray<{ readonly entry: CachedExecution | undefined; readonly log: ExecutionLogEntry }>
    ): Effect.Effect<void, SqlError> => {
      const entries = items.flatMap((i) => (i.entry !== undefined ? [i.entry] : []))
      const logs = sql`insert into execution_log ${sql.insert(items.map((i) => logRow(i.log)))}`
      return (
        items.length === 0
          ? Effect.void
          : entries.length === 0
            ? logs
            : sql`with stored as (insert into executions ${sql.insert(entries.map(executionRow))} on conflict (key) do nothing) ${logs}`
      ).pipe(Effect.asVoid, Effect.withSpan("ExecutionsRepo.recordMany", { attributes: { rows: items.length } }))
    }

    const where = (f: LogFilter) =>
      sql.and([
        ...(f.purpose !== undefined ? [sql`purpose = ${f.purpose}`] : []),
        ...(f.runId !== undefined ? [sql`run_id = ${f.runId}`] : []),
        ...(f.searchId !== undefined ? [sql`search_id = ${f.searchId}`] : []),
        ...(f.problemId !== undefined ? [sql`problem_id = ${f.problemId}`] : []),
        ...(f.key !== undefined ? [sql`execution_key = ${f.key}`] : []),
        ...(f.rlRun !== undefined ? [sql`rl_run = ${f.rlRun}`] : [])
      ])

    const countsWhere = SqlSchema.findAll({
      Request: Schema.Struct({
        purpose: Schema.optional(ExecutionPurpose),
        runId: Schema.optional(Schema.String),
        searchId: Schema.optional(Schema.String),
        problemId: Schema.optional(Schema.String),
        key: Schema.optional(Schema.String),
        rlRun: Schema.optional(Schema.String)
      }),
      Result: LogCount,
      execute: (f) =>
        sql`select purpose, cached, count(*)::int as count from execution_log
          where ${where(f)} group by purpose, cached order by purpose, cached`
    })
    /** Logged requests matching the filter, counted by purpose and cache hit. */
    const countLog = (f: LogFilter = {}): Effect.Effect<ReadonlyArray<LogCount>, SqlError> => orDieOnBadRows(countsWhere(f))

    const countAll = SqlSchema.single({
      Request: Schema.Void,
      Result: Count,
      execute: () => sql`select count(*)::int as n from executions`
    })
    /** How many cached executions there are. */
    const size: Effect.Effect<number, SqlError> = countAll(undefined).pipe(orDieOnBadRows, Effect.map((row) => row.n))

    const bySearchCode = SqlSchema.findOne({
      Request: Schema.Struct({ searchId: Schema.String, codeHash: Schema.String }),
      Result: ExecutionRow,
      execute: ({ codeHash, searchId }) =>
        sql`select e.result from executions e
          where e.code_hash = ${codeHash}
            and e.key in (select execution_key from execution_log where search_id = ${searchId})
          limit 1`
    })
    /** The cached execution a search requested for this code (its verdicts per test), if any. */
    const ofSearchCode = (searchId: string, code: string): Effect.Effect<Option.Option<Execution>, SqlError> =>
      absentIfUndecodable(bySearchCode({ searchId, codeHash: sha256(code) }))

    return { get, getMany, put, log, record, recordMany, countLog, size, ofSearchCode } as const
  })
}) {}

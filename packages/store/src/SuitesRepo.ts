import * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import { ProblemId, SuiteId, Test, TestCase, TestOrigin, TestSuite } from "@o1coder/domain"
import { Effect, Option, Schema } from "effect"

/** A stored test suite with the key it was built under and its quality statistics. */
export interface StoredSuite {
  readonly suite: TestSuite
  readonly configHash: string
  readonly stats: Record<string, unknown>
  readonly createdAt: Date
}

export interface NewSuite {
  readonly id: string
  readonly problemId: string
  readonly generator: string
  readonly configHash: string
  readonly stats: Record<string, unknown>
  readonly cases: ReadonlyArray<TestCase>
}

export interface SuiteFilter {
  readonly dataset?: string | undefined
  readonly split?: string | undefined
  readonly generator?: string | undefined
  readonly problemIds?: ReadonlyArray<string> | undefined
}

const SuiteRow = Schema.Struct({
  id: Schema.String,
  problem_id: Schema.String,
  generator: Schema.String,
  config_hash: Schema.String,
  stats: Schema.Unknown,
  created_at: Schema.Union(Schema.DateFromSelf, Schema.Date)
})
const CaseRow = Schema.Struct({ suite_id: Schema.String, ord: Schema.Number, test: Test, origin: TestOrigin })

const decodeSuites = Schema.decodeUnknown(Schema.Array(SuiteRow))
const decodeCases = Schema.decodeUnknown(Schema.Array(CaseRow))
const encodeTest = Schema.encodeSync(Test)

const parseJson = (v: unknown): unknown => (typeof v === "string" ? JSON.parse(v) : v)

/** SQL access to `test_suites` and `test_cases`. A suite is written once, with its cases, in one transaction. */
export class SuitesRepo extends Effect.Service<SuitesRepo>()("o1coder/SuitesRepo", {
  effect: Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient

    const hydrate = (rows: ReadonlyArray<unknown>) =>
      Effect.gen(function* () {
        const suites = yield* decodeSuites(rows.map((r: any) => ({ ...r, stats: parseJson(r.stats) })))
        if (suites.length === 0) return []
        const ids = suites.map((s) => s.id)
        const caseRows = yield* sql`select suite_id, ord, test, origin from test_cases where ${sql.in("suite_id", ids)} order by suite_id, ord`
        const cases = yield* decodeCases(caseRows.map((r: any) => ({ ...r, test: parseJson(r.test) })))
        const bySuite = new Map<string, Array<TestCase>>()
        for (const c of cases) {
          const list = bySuite.get(c.suite_id) ?? []
          list.push(new TestCase({ test: c.test, origin: c.origin }))
          bySuite.set(c.suite_id, list)
        }
        return suites.map((s): StoredSuite => ({
          suite: new TestSuite({
            id: SuiteId.make(s.id),
            problemId: ProblemId.make(s.problem_id),
            generator: s.generator,
            cases: bySuite.get(s.id) ?? []
          }),
          configHash: s.config_hash,
          stats: (s.stats ?? {}) as Record<string, unknown>,
          createdAt: s.created_at
        }))
      }).pipe(Effect.orDie)

    const find = (problemId: string, generator: string, configHash: string): Effect.Effect<Option.Option<StoredSuite>, SqlError> =>
      sql`select id, problem_id, generator, config_hash, stats, created_at from test_suites
          where problem_id = ${problemId} and generator = ${generator} and config_hash = ${configHash}`.pipe(
        Effect.flatMap(hydrate),
        Effect.map((xs) => Option.fromNullable(xs[0]))
      )

    const get = (id: string): Effect.Effect<Option.Option<StoredSuite>, SqlError> =>
      sql`select id, problem_id, generator, config_hash, stats, created_at from test_suites where id = ${id}`.pipe(
        Effect.flatMap(hydrate),
        Effect.map((xs) => Option.fromNullable(xs[0]))
      )

    /** Inserts the suite unless one exists under the same (problem, generator, config hash); returns the stored one. */
    const save = (suite: NewSuite): Effect.Effect<StoredSuite, SqlError> =>
      sql.withTransaction(
        Effect.gen(function* () {
          const inserted = yield* sql`insert into test_suites ${sql.insert({
            id: suite.id,
            problem_id: suite.problemId,
            generator: suite.generator,
            config_hash: suite.configHash,
            size: suite.cases.length,
            stats: JSON.stringify(suite.stats)
          })} on conflict do nothing returning id`
          if (inserted.length > 0 && suite.cases.length > 0) {
            yield* sql`insert into test_cases ${sql.insert(
              suite.cases.map((c, ord) => ({ suite_id: suite.id, ord, test: JSON.stringify(encodeTest(c.test)), origin: c.origin }))
            )}`
          }
        })
      ).pipe(
        Effect.zipRight(find(suite.problemId, suite.generator, suite.configHash)),
        Effect.flatMap(Option.match({
          onNone: () => Effect.dieMessage(`suite ${suite.id} vanished after insert`),
          onSome: Effect.succeed
        }))
      )

    /** Merges `stats` into the suite's stored statistics (top-level keys). */
    const mergeStats = (id: string, stats: Record<string, unknown>): Effect.Effect<void, SqlError> =>
      sql`update test_suites set stats = stats || ${JSON.stringify(stats)}::jsonb where id = ${id}`.pipe(Effect.asVoid)

    /** Suites matching a filter (joined with their problems), newest first within a problem. */
    const list = (filter: SuiteFilter = {}): Effect.Effect<ReadonlyArray<StoredSuite>, SqlError> =>
      Effect.gen(function* () {
        const conditions = [
          filter.dataset !== undefined ? sql`p.dataset = ${filter.dataset}` : undefined,
          filter.split !== undefined ? sql`p.split = ${filter.split}` : undefined,
          filter.generator !== undefined ? sql`s.generator = ${filter.generator}` : undefined,
          filter.problemIds !== undefined ? sql.in("s.problem_id", filter.problemIds.length > 0 ? filter.problemIds : [""]) : undefined
        ].filter((c) => c !== undefined)
        const rows = yield* sql`select s.id, s.problem_id, s.generator, s.config_hash, s.stats, s.created_at
          from test_suites s join problems p on p.id = s.problem_id
          ${conditions.length > 0 ? sql`where ${sql.and(conditions)}` : sql``}
          order by s.problem_id, s.generator, s.created_at desc, s.id`
        return yield* hydrate(rows)
      })

    const remove = (id: string): Effect.Effect<void, SqlError> => sql`delete from test_suites where id = ${id}`.pipe(Effect.asVoid)

    return { find, get, save, mergeStats, list, remove } as const
  })
}) {}

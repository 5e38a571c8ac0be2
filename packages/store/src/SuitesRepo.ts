import * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import { ProblemId, SuiteId, Test, TestCase, TestOrigin, TestSuite } from "@o1coder/domain"
import * as SqlSchema from "@effect/sql/SqlSchema"
import { Effect, Option, Schema } from "effect"
import { orDieOnBadRows, selectList } from "./Rows.ts"

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
  id: SuiteId,
  problemId: ProblemId,
  generator: Schema.String,
  configHash: Schema.String,
  stats: Schema.Record({ key: Schema.String, value: Schema.Unknown }),
  createdAt: Schema.DateFromSelf
})
const CaseRow = Schema.Struct({ suiteId: Schema.String, ord: Schema.Number, test: Test, origin: TestOrigin })

const SUITE_COLUMNS = selectList(SuiteRow.fields)
const encodeTest = Schema.encodeSync(Test)

/** SQL access to `test_suites` and `test_cases`. A suite is written once, with its cases, in one transaction. */
export class SuitesRepo extends Effect.Service<SuitesRepo>()("o1coder/SuitesRepo", {
  effect: Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient

    const casesOf = SqlSchema.findAll({
      Request: Schema.Array(Schema.String),
      Result: CaseRow,
      execute: (ids) =>
        sql`select ${sql.literal(selectList(CaseRow.fields))} from test_cases where ${sql.in("suite_id", ids)} order by suite_id, ord`
    })

    /** The suites with their cases, read in one more query. */
    const withCases = (suites: ReadonlyArray<typeof SuiteRow.Type>): Effect.Effect<ReadonlyArray<StoredSuite>, SqlError> =>
      Effect.gen(function* () {
        if (suites.length === 0) return []
        const cases = yield* orDieOnBadRows(casesOf(suites.map((s) => s.id)))
        const bySuite = new Map<string, Array<TestCase>>()
        for (const c of cases) {
          const list = bySuite.get(c.suiteId) ?? []
          list.push(new TestCase({ test: c.test, origin: c.origin }))
          bySuite.set(c.suiteId, list)
        }
        return suites.map((s): StoredSuite => ({
          suite: new TestSuite({ id: s.id, problemId: s.problemId, generator: s.generator, cases: bySuite.get(s.id) ?? [] }),
          configHash: s.configHash,
          stats: s.stats,
          createdAt: s.createdAt
        }))
      })

    const byKey = SqlSchema.findOne({
      Request: Schema.Struct({ problemId: Schema.String, generator: Schema.String, configHash: Schema.String }),
      Result: SuiteRow,
      execute: (k) =>
        sql`select ${sql.literal(SUITE_COLUMNS)} from test_suites
          where problem_id = ${k.problemId} and generator = ${k.generator} and config_hash = ${k.configHash}`
    })

    const one = (row: Option.Option<typeof SuiteRow.Type>) =>
      Option.match(row, {
        onNone: () => Effect.succeedNone,
        onSome: (suite) => Effect.map(withCases([suite]), (xs) => Option.fromNullable(xs[0]))
      })

    const find = (problemId: string, generator: string, configHash: string): Effect.Effect<Option.Option<StoredSuite>, SqlError> =>
      byKey({ problemId, generator, configHash }).pipe(orDieOnBadRows, Effect.flatMap(one))

    const byId = SqlSchema.findOne({
      Request: Schema.String,
      Result: SuiteRow,
      execute: (id) => sql`select ${sql.literal(SUITE_COLUMNS)} from test_suites where id = ${id}`
    })

    const get = (id: string): Effect.Effect<Option.Option<StoredSuite>, SqlError> => byId(id).pipe(orDieOnBadRows, Effect.flatMap(one))

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

    const matching = SqlSchema.findAll({
      Request: Schema.Struct({
        dataset: Schema.optional(Schema.String),
        split: Schema.optional(Schema.String),
        generator: Schema.optional(Schema.String),
        problemIds: Schema.optional(Schema.Array(Schema.String))
      }),
      Result: SuiteRow,
      execute: (filter) => {
        const conditions = [
          filter.dataset !== undefined ? sql`p.dataset = ${filter.dataset}` : undefined,
          filter.split !== undefined ? sql`p.split = ${filter.split}` : undefined,
          filter.generator !== undefined ? sql`s.generator = ${filter.generator}` : undefined,
          filter.problemIds !== undefined ? sql.in("s.problem_id", filter.problemIds.length > 0 ? filter.problemIds : [""]) : undefined
        ].filter((c) => c !== undefined)
        return sql`select ${sql.literal(selectList(SuiteRow.fields, { table: "s" }))}
          from test_suites s join problems p on p.id = s.problem_id
          ${conditions.length > 0 ? sql`where ${sql.and(conditions)}` : sql``}
          order by s.problem_id, s.generator, s.created_at desc, s.id`
      }
    })

    /** Suites matching a filter (joined with their problems), newest first within a problem. */
    const list = (filter: SuiteFilter = {}): Effect.Effect<ReadonlyArray<StoredSuite>, SqlError> =>
      matching(filter).pipe(orDieOnBadRows, Effect.flatMap(withCases))

    const remove = (id: string): Effect.Effect<void, SqlError> => sql`delete from test_suites where id = ${id}`.pipe(Effect.asVoid)

    return { find, get, save, mergeStats, list, remove } as const
  })
}) {}

import * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import { NotFound, Round, Run, RunStatus } from "@o1coder/domain"
import { Effect, ParseResult, Schema } from "effect"

const RunRow = Schema.Struct({
  id: Schema.String,
  name: Schema.String,
  config: Schema.Unknown,
  status: RunStatus,
  created_at: Schema.DateFromSelf,
  updated_at: Schema.DateFromSelf
})

const RoundRow = Schema.Struct({
  run_id: Schema.String,
  round: Schema.Number,
  stage: Schema.String,
  policy_version: Schema.NullOr(Schema.String),
  started_at: Schema.DateFromSelf,
  finished_at: Schema.NullOr(Schema.DateFromSelf)
})

const toRun = (r: typeof RunRow.Type) =>
  Schema.decodeUnknown(Run)({
    id: r.id,
    name: r.name,
    config: r.config,
    status: r.status,
    createdAt: r.created_at,
    updatedAt: r.updated_at
  })

const toRound = (r: typeof RoundRow.Type) =>
  Schema.decodeUnknown(Round)({
    runId: r.run_id,
    round: r.round,
    stage: r.stage,
    policyVersion: r.policy_version,
    startedAt: r.started_at,
    finishedAt: r.finished_at
  })

/** One line of a run's report: what a round did and cost. */
export interface RoundReport {
  readonly round: number
  readonly stage: string
  readonly policyVersion: string | null
  readonly problems: number
  readonly nodes: number
  /** Share of terminal code nodes whose code passes every generated test. */
  readonly passRate: number | null
  readonly aspr: number | null
  readonly passAt1: number | null
  readonly tokens: number
  readonly executions: number
  readonly seconds: number | null
  readonly datasets: number
  readonly jobs: number
  readonly versions: number
}

const ReportRow = Schema.Struct({
  round: Schema.Number,
  stage: Schema.String,
  policy_version: Schema.NullOr(Schema.String),
  problems: Schema.Number,
  nodes: Schema.Number,
  pass_rate: Schema.NullOr(Schema.Number),
  aspr: Schema.NullOr(Schema.Number),
  pass_at_1: Schema.NullOr(Schema.Number),
  tokens: Schema.Number,
  executions: Schema.Number,
  seconds: Schema.NullOr(Schema.Number),
  datasets: Schema.Number,
  jobs: Schema.Number,
  versions: Schema.Number
})

/** SQL access to `runs` and `rounds`, plus the per-round report over the run's rows. */
export class RunsRepo extends Effect.Service<RunsRepo>()("o1coder/RunsRepo", {
  effect: Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient

    /** Inserts the run unless it exists; returns the stored row either way. */
    const create = (run: { readonly id: string; readonly name: string; readonly config: unknown }) =>
      sql`insert into runs (id, name, config, status)
          values (${run.id}, ${run.name}, ${JSON.stringify(run.config)}, 'running')
          on conflict (id) do nothing`.pipe(
        Effect.zipRight(get(run.id)),
        Effect.withSpan("RunsRepo.create", { attributes: { id: run.id } })
      )

    const find = (id: string): Effect.Effect<Run | undefined, SqlError | ParseResult.ParseError> =>
      sql`select * from runs where id = ${id}`.pipe(
        Effect.flatMap((rows) =>
          rows.length === 0
            ? Effect.succeed(undefined)
            : Effect.flatMap(Schema.decodeUnknown(RunRow)(rows[0]), toRun)
        )
      )

    const get = (id: string): Effect.Effect<Run, NotFound | SqlError | ParseResult.ParseError> =>
      Effect.flatMap(find(id), (run) => (run === undefined ? Effect.fail(new NotFound({ what: "run", id })) : Effect.succeed(run)))

    /** Runs, newest first. */
    const list = (): Effect.Effect<ReadonlyArray<Run>, SqlError | ParseResult.ParseError> =>
      sql`select * from runs order by created_at desc, id`.pipe(
        Effect.flatMap(Effect.forEach((row) => Effect.flatMap(Schema.decodeUnknown(RunRow)(row), toRun)))
      )

    /** The latest run (by last update), if any. */
    const latest = () =>
      sql<{ id: string }>`select id from runs order by updated_at desc, created_at desc limit 1`.pipe(
        Effect.map((rows) => rows[0]?.id)
      )

    /** The workflow attempt of a run (a failed run is retried as attempt + 1). */
    const attempt = (id: string) =>
      sql<{ attempt: number }>`select attempt::int as attempt from runs where id = ${id}`.pipe(Effect.map((rows) => rows[0]?.attempt ?? 1))

    const nextAttempt = (id: string) =>
      sql<{ attempt: number }>`update runs set attempt = attempt + 1, updated_at = now() where id = ${id} returning attempt::int as attempt`.pipe(
        Effect.map((rows) => rows[0]?.attempt ?? 1)
      )

    const setStatus = (id: string, status: typeof RunStatus.Type) =>
      sql`update runs set status = ${status}, updated_at = now() where id = ${id}`.pipe(Effect.asVoid)

    /** Records that `round` is at `stage` (creating the row on first sight). */
    const setStage = (runId: string, round: number, stage: string, policyVersion?: string) =>
      sql`insert into rounds (run_id, round, stage, policy_version)
          values (${runId}, ${round}, ${stage}, ${policyVersion ?? null})
          on conflict (run_id, round) do update set stage = excluded.stage,
            policy_version = coalesce(excluded.policy_version, rounds.policy_version)`.pipe(
        Effect.zipRight(sql`update runs set updated_at = now() where id = ${runId}`),
        Effect.asVoid
      )

    const finishRound = (runId: string, round: number) =>
      sql`update rounds set stage = 'done', finished_at = coalesce(finished_at, now())
          where run_id = ${runId} and round = ${round}`.pipe(Effect.asVoid)

    const rounds = (runId: string): Effect.Effect<ReadonlyArray<Round>, SqlError | ParseResult.ParseError> =>
      sql`select * from rounds where run_id = ${runId} order by round`.pipe(
        Effect.flatMap(Effect.forEach((row) => Effect.flatMap(Schema.decodeUnknown(RoundRow)(row), toRound)))
      )

    /** Per round: problems searched, nodes, pass rate, ASPR, pass@1, cost, datasets, jobs, versions. */
    const report = (runId: string): Effect.Effect<ReadonlyArray<RoundReport>, SqlError | ParseResult.ParseError> =>
      sql`
        select r.round::int as round, r.stage, r.policy_version,
          (select count(*) from searches s where s.run_id = r.run_id and s.round = r.round)::int as problems,
          (select count(*) from nodes n join searches s on s.id = n.search_id
             where s.run_id = r.run_id and s.round = r.round)::int as nodes,
          (select avg(case when n.total > 0 and n.passed = n.total then 1.0 else 0.0 end)::float
             from nodes n join searches s on s.id = n.search_id
             where s.run_id = r.run_id and s.round = r.round and n.terminal and n.code is not null) as pass_rate,
          m.aspr::float as aspr, m.pass_at_1::float as pass_at_1,
          (select coalesce(sum(s.tokens), 0) from searches s where s.run_id = r.run_id and s.round = r.round)::int as tokens,
          (select coalesce(sum(s.executions), 0) from searches s where s.run_id = r.run_id and s.round = r.round)::int as executions,
          (extract(epoch from (coalesce(r.finished_at, now()) - r.started_at)))::float as seconds,
          (select count(*) from datasets d where d.run_id = r.run_id and d.round = r.round)::int as datasets,
          (select count(*) from training_jobs j where j.run_id = r.run_id and j.round = r.round)::int as jobs,
          (select count(*) from model_versions v where v.run_id = r.run_id and v.round = r.round)::int as versions
        from rounds r left join round_metrics m on m.run_id = r.run_id and m.round = r.round
        where r.run_id = ${runId}
        order by r.round`.pipe(
        Effect.flatMap(Effect.forEach((row) => Schema.decodeUnknown(ReportRow)(row))),
        Effect.map((rows) =>
          rows.map(
            (r): RoundReport => ({
              round: r.round,
              stage: r.stage,
              policyVersion: r.policy_version,
              problems: r.problems,
              nodes: r.nodes,
              passRate: r.pass_rate,
              aspr: r.aspr,
              passAt1: r.pass_at_1,
              tokens: r.tokens,
              executions: r.executions,
              seconds: r.seconds,
              datasets: r.datasets,
              jobs: r.jobs,
              versions: r.versions
            })
          )
        ),
        Effect.withSpan("RunsRepo.report", { attributes: { runId } })
      )

    return { create, find, get, list, latest, attempt, nextAttempt, setStatus, setStage, finishRound, rounds, report } as const
  })
}) {}

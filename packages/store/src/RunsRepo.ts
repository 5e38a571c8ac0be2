import * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import { NotFound, Round, Run, RunOwner, RunStatus } from "@o1coder/domain"
import { Effect, ParseResult, Schema } from "effect"

const RunRow = Schema.Struct({
  id: Schema.String,
  name: Schema.String,
  config: Schema.Unknown,
  status: RunStatus,
  created_at: Schema.DateFromSelf,
  updated_at: Schema.DateFromSelf,
  owner_host: Schema.NullOr(Schema.String),
  owner_pid: Schema.NullOr(Schema.Number),
  owner_started_at: Schema.NullOr(Schema.DateFromSelf),
  heartbeat_age: Schema.NullOr(Schema.Number)
})

/** The columns of a run, with the heartbeat's age measured by the database's own clock. */
const runColumns = "*, extract(epoch from (now() - heartbeat_at))::float as heartbeat_age"

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
    updatedAt: r.updated_at,
    owner:
      r.owner_host !== null && r.owner_pid !== null && r.owner_started_at !== null
        ? new RunOwner({ host: r.owner_host, pid: r.owner_pid, startedAt: r.owner_started_at })
        : null,
    heartbeatAgeSeconds: r.heartbeat_age
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
      sql`select ${sql.literal(runColumns)} from runs where id = ${id}`.pipe(
        Effect.flatMap((rows) =>
          rows.length === 0
            ? Effect.succeed(undefined)
            : Effect.flatMap(Schema.decodeUnknown(RunRow)(rows[0]), toRun)
        )
      )

    const get = (id: string): Effect.Effect<Run, NotFound | SqlError | ParseResult.ParseError> =>
      Effect.flatMap(find(id), (run) => (run === undefined ? Effect.fail(new NotFound({ what: "run", id })) : Effect.succeed(run)))

    /** The runs as `id (name)`, latest first: what a NotFound names. */
    const known = () =>
      sql<{ id: string; name: string }>`select id, name from runs order by updated_at desc, id`.pipe(
        Effect.map((rows) => rows.map((r) => (r.id === r.name ? r.id : `${r.id} (${r.name})`)))
      )

    /** A run by id, else the latest run of that name; NotFound lists the runs that exist. */
    const resolve = (ref: string): Effect.Effect<Run, NotFound | SqlError | ParseResult.ParseError> =>
      Effect.gen(function* () {
        const byId = yield* find(ref)
        if (byId !== undefined) return byId
        const named = yield* sql<{ id: string }>`select id from runs where name = ${ref} order by updated_at desc, created_at desc limit 1`
        if (named.length > 0) return yield* get(named[0]!.id)
        return yield* new NotFound({ what: "run", id: ref, known: yield* known() })
      }).pipe(Effect.withSpan("RunsRepo.resolve", { attributes: { ref } }))

    /** Fails with NotFound (naming the rounds there are) unless the run has round `round`. */
    const requireRound = (runId: string, round: number) =>
      Effect.gen(function* () {
        const rows = yield* sql<{ round: number }>`select round::int as round from rounds where run_id = ${runId} order by round`
        if (!rows.some((r) => r.round === round)) {
          return yield* new NotFound({ what: `round of run ${runId}`, id: String(round), known: rows.map((r) => String(r.round)) })
        }
      })

    /** Fails with NotFound (naming the splits it searched) unless the run searched problems of `split`. */
    const requireSplit = (runId: string, split: string) =>
      Effect.gen(function* () {
        const rows = yield* sql<{ split: string }>`select distinct p.split from searches s join problems p on p.id = s.problem_id
          where s.run_id = ${runId} order by p.split`
        if (!rows.some((r) => r.split === split)) {
          return yield* new NotFound({ what: `split searched by run ${runId}`, id: split, known: rows.map((r) => r.split) })
        }
      })

    /** Runs, newest first. */
    const list = (): Effect.Effect<ReadonlyArray<Run>, SqlError | ParseResult.ParseError> =>
      sql`select ${sql.literal(runColumns)} from runs order by created_at desc, id`.pipe(
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

    /** Records `owner` as the process driving the run, with a first heartbeat. */
    const claim = (id: string, owner: RunOwner) =>
      sql`update runs set owner_host = ${owner.host}, owner_pid = ${owner.pid},
            owner_started_at = ${owner.startedAt}, heartbeat_at = now()
          where id = ${id}`.pipe(Effect.asVoid, Effect.withSpan("RunsRepo.claim", { attributes: { id, pid: owner.pid } }))

    /** The owner is still alive (only its own heartbeats count: a newer owner's claim wins). */
    const heartbeat = (id: string, owner: RunOwner) =>
      sql`update runs set heartbeat_at = now()
          where id = ${id} and owner_host = ${owner.host} and owner_pid = ${owner.pid}`.pipe(Effect.asVoid)

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

    return { create, find, get, resolve, requireRound, requireSplit, list, latest, attempt, nextAttempt, setStatus, claim, heartbeat, setStage, finishRound, rounds, report } as const
  })
}) {}

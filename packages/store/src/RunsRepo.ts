import * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import * as SqlSchema from "@effect/sql/SqlSchema"
import { NotFound, Round, Run, RunId, RunOwner, RunStatus } from "@o1coder/domain"
import { Effect, Option, Schema, Struct } from "effect"
import { orDieOnBadRows, selectList } from "./Rows.ts"

/** A `runs` row as selected, with the heartbeat's age measured by the database's own clock. */
const RunRow = Schema.Struct({
  ...Struct.omit(Run.fields, "owner", "heartbeatAgeSeconds"),
  ownerHost: Schema.NullOr(Schema.String),
  ownerPid: Schema.NullOr(Schema.Number),
  ownerStartedAt: Schema.NullOr(Schema.DateFromSelf),
  heartbeatAgeSeconds: Schema.NullOr(Schema.Number)
})

const RUN_COLUMNS = selectList(RunRow.fields, {
  expressions: { heartbeatAgeSeconds: "extract(epoch from (now() - heartbeat_at))::float" }
})

const toRun = ({ ownerHost, ownerPid, ownerStartedAt, ...r }: typeof RunRow.Type) =>
  Run.make({
    ...r,
    owner:
      ownerHost !== null && ownerPid !== null && ownerStartedAt !== null
        ? new RunOwner({ host: ownerHost, pid: ownerPid, startedAt: ownerStartedAt })
        : null
  })

const ROUND_COLUMNS = selectList(Round.fields, { expressions: { round: "round::int" } })

/** One line of a run's report: what a round did and cost (`passRate`: share of terminal code nodes whose code passes every generated test). */
export const RoundReport = Schema.Struct({
  round: Schema.Number,
  stage: Schema.String,
  policyVersion: Schema.NullOr(Schema.String),
  problems: Schema.Number,
  nodes: Schema.Number,
  passRate: Schema.NullOr(Schema.Number),
  aspr: Schema.NullOr(Schema.Number),
  passAt1: Schema.NullOr(Schema.Number),
  tokens: Schema.Number,
  executions: Schema.Number,
  seconds: Schema.NullOr(Schema.Number),
  datasets: Schema.Number,
  jobs: Schema.Number,
  versions: Schema.Number
})

export type RoundReport = typeof RoundReport.Type

const RunRef = Schema.Struct({ id: RunId, name: Schema.String })
const Attempt = Schema.Struct({ attempt: Schema.Number })

/** SQL access to `runs` and `rounds`, plus the per-round report over the run's rows. */
export class RunsRepo extends Effect.Service<RunsRepo>()("o1coder/RunsRepo", {
  effect: Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient

    const findById = SqlSchema.findOne({
      Request: Schema.String,
      Result: RunRow,
      execute: (id) => sql`select ${sql.literal(RUN_COLUMNS)} from runs where id = ${id}`
    })
    const find = (id: string): Effect.Effect<Run | undefined, SqlError> =>
      findById(id).pipe(orDieOnBadRows, Effect.map((row) => Option.getOrUndefined(Option.map(row, toRun))))

    const get = (id: string): Effect.Effect<Run, NotFound | SqlError> =>
      Effect.flatMap(find(id), (run) => (run === undefined ? Effect.fail(new NotFound({ what: "run", id })) : Effect.succeed(run)))

    const insertRun = SqlSchema.void({
      Request: Schema.Struct({ id: Schema.String, name: Schema.String, config: Schema.parseJson() }),
      execute: (run) =>
        sql`insert into runs (id, name, config, status)
          values (${run.id}, ${run.name}, ${run.config}, 'running')
          on conflict (id) do nothing`
    })

    /** Inserts the run unless it exists; returns the stored row either way. */
    const create = (run: { readonly id: string; readonly name: string; readonly config: unknown }) =>
      insertRun(run).pipe(
        orDieOnBadRows,
        Effect.zipRight(get(run.id)),
        Effect.withSpan("RunsRepo.create", { attributes: { id: run.id } })
      )

    const allRefs = SqlSchema.findAll({
      Request: Schema.Void,
      Result: RunRef,
      execute: () => sql`select id, name from runs order by updated_at desc, id`
    })
    /** The runs as `id (name)`, latest first: what a NotFound names. */
    const known = () =>
      allRefs(undefined).pipe(
        orDieOnBadRows,
        Effect.map((rows) => rows.map((r) => (r.id === r.name ? r.id : `${r.id} (${r.name})`)))
      )

    const latestNamed = SqlSchema.findOne({
      Request: Schema.String,
      Result: RunRef,
      execute: (name) => sql`select id, name from runs where name = ${name} order by updated_at desc, created_at desc limit 1`
    })

    /** A run by id, else the latest run of that name; NotFound lists the runs that exist. */
    const resolve = (ref: string): Effect.Effect<Run, NotFound | SqlError> =>
      Effect.gen(function* () {
        const byId = yield* find(ref)
        if (byId !== undefined) return byId
        const named = yield* orDieOnBadRows(latestNamed(ref))
        if (Option.isSome(named)) return yield* get(named.value.id)
        return yield* new NotFound({ what: "run", id: ref, known: yield* known() })
      }).pipe(Effect.withSpan("RunsRepo.resolve", { attributes: { ref } }))

    const roundNumbers = SqlSchema.findAll({
      Request: Schema.String,
      Result: Schema.Struct({ round: Schema.Number }),
      execute: (runId) => sql`select round::int as round from rounds where run_id = ${runId} order by round`
    })

    /** Fails with NotFound (naming the rounds there are) unless the run has round `round`. */
    const requireRound = (runId: string, round: number) =>
      Effect.gen(function* () {
        const rows = yield* orDieOnBadRows(roundNumbers(runId))
        if (!rows.some((r) => r.round === round)) {
          return yield* new NotFound({ what: `round of run ${runId}`, id: String(round), known: rows.map((r) => String(r.round)) })
        }
      })

    const searchedSplits = SqlSchema.findAll({
      Request: Schema.String,
      Result: Schema.Struct({ split: Schema.String }),
      execute: (runId) =>
        sql`select distinct p.split from searches s join problems p on p.id = s.problem_id
          where s.run_id = ${runId} order by p.split`
    })

    /** Fails with NotFound (naming the splits it searched) unless the run searched problems of `split`. */
    const requireSplit = (runId: string, split: string) =>
      Effect.gen(function* () {
        const rows = yield* orDieOnBadRows(searchedSplits(runId))
        if (!rows.some((r) => r.split === split)) {
          return yield* new NotFound({ what: `split searched by run ${runId}`, id: split, known: rows.map((r) => r.split) })
        }
      })

    const allRuns = SqlSchema.findAll({
      Request: Schema.Void,
      Result: RunRow,
      execute: () => sql`select ${sql.literal(RUN_COLUMNS)} from runs order by created_at desc, id`
    })
    /** Runs, newest first. */
    const list = (): Effect.Effect<ReadonlyArray<Run>, SqlError> =>
      allRuns(undefined).pipe(orDieOnBadRows, Effect.map((rows) => rows.map(toRun)))

    const latestRun = SqlSchema.findOne({
      Request: Schema.Void,
      Result: RunRef,
      execute: () => sql`select id, name from runs order by updated_at desc, created_at desc limit 1`
    })
    /** The latest run (by last update), if any. */
    const latest = () => latestRun(undefined).pipe(orDieOnBadRows, Effect.map((row) => Option.getOrUndefined(row)?.id))

    const attemptOf = SqlSchema.findOne({
      Request: Schema.String,
      Result: Attempt,
      execute: (id) => sql`select attempt::int as attempt from runs where id = ${id}`
    })
    /** The workflow attempt of a run (a failed run is retried as attempt + 1). */
    const attempt = (id: string) =>
      attemptOf(id).pipe(orDieOnBadRows, Effect.map(Option.match({ onNone: () => 1, onSome: (r) => r.attempt })))

    const incrementAttempt = SqlSchema.findOne({
      Request: Schema.String,
      Result: Attempt,
      execute: (id) => sql`update runs set attempt = attempt + 1, updated_at = now() where id = ${id} returning attempt::int as attempt`
    })
    const nextAttempt = (id: string) =>
      incrementAttempt(id).pipe(orDieOnBadRows, Effect.map(Option.match({ onNone: () => 1, onSome: (r) => r.attempt })))

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

    const roundsOf = SqlSchema.findAll({
      Request: Schema.String,
      Result: Round,
      execute: (runId) => sql`select ${sql.literal(ROUND_COLUMNS)} from rounds where run_id = ${runId} order by round`
    })
    const rounds = (runId: string): Effect.Effect<ReadonlyArray<Round>, SqlError> => orDieOnBadRows(roundsOf(runId))

    const reportOf = SqlSchema.findAll({
      Request: Schema.String,
      Result: RoundReport,
      execute: (runId) => sql`
        select r.round::int as round, r.stage, r.policy_version as "policyVersion",
          (select count(*) from searches s where s.run_id = r.run_id and s.round = r.round)::int as problems,
          (select count(*) from nodes n join searches s on s.id = n.search_id
             where s.run_id = r.run_id and s.round = r.round)::int as nodes,
          (select avg(case when n.total > 0 and n.passed = n.total then 1.0 else 0.0 end)::float
             from nodes n join searches s on s.id = n.search_id
             where s.run_id = r.run_id and s.round = r.round and n.terminal and n.code is not null) as "passRate",
          m.aspr::float as aspr, m.pass_at_1::float as "passAt1",
          (select coalesce(sum(s.tokens), 0) from searches s where s.run_id = r.run_id and s.round = r.round)::int as tokens,
          (select coalesce(sum(s.executions), 0) from searches s where s.run_id = r.run_id and s.round = r.round)::int as executions,
          (extract(epoch from (coalesce(r.finished_at, now()) - r.started_at)))::float as seconds,
          (select count(*) from datasets d where d.run_id = r.run_id and d.round = r.round)::int as datasets,
          (select count(*) from training_jobs j where j.run_id = r.run_id and j.round = r.round)::int as jobs,
          (select count(*) from model_versions v where v.run_id = r.run_id and v.round = r.round)::int as versions
        from rounds r left join round_metrics m on m.run_id = r.run_id and m.round = r.round
        where r.run_id = ${runId}
        order by r.round`
    })

    /** Per round: problems searched, nodes, pass rate, ASPR, pass@1, cost, datasets, jobs, versions. */
    const report = (runId: string): Effect.Effect<ReadonlyArray<RoundReport>, SqlError> =>
      reportOf(runId).pipe(orDieOnBadRows, Effect.withSpan("RunsRepo.report", { attributes: { runId } }))

    return { create, find, get, resolve, requireRound, requireSplit, list, latest, attempt, nextAttempt, setStatus, claim, heartbeat, setStage, finishRound, rounds, report } as const
  })
}) {}

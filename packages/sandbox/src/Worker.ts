import { Deferred, Effect, Either, Exit, Queue, Ref, Schema, type Scope } from "effect"
import { type ChildProcess, spawn } from "node:child_process"
import * as NodeFs from "node:fs"
import * as NodePath from "node:path"
import { randomInt } from "node:crypto"
import { bwrapArgs, type IsolationPlan } from "./Isolation.ts"
import { SandboxError } from "./Sandbox.ts"
import { decodeLine, DIGEST_WEIGHT, type ExpectedEntry, LINE_MAX, LineSplitter, type ResultEntry, type WireJob, type WireReply } from "./Wire.ts"

/** One warm server process (python/o1c/server.py) in its own cgroups: requests in, reply lines out, in order. */
export interface Worker {
  readonly name: string
  readonly pid: number | undefined
  /** Runs a job; the watchdog starts when the job reaches the head of this worker's queue. */
  readonly request: (job: WireJob, watchdogMs: number) => Effect.Effect<WireReply, WorkerLost | SandboxError>
  readonly alive: Effect.Effect<boolean>
  /** Requests sent and not answered. */
  readonly inFlight: Effect.Effect<number>
  /** Requests sent over the worker's life. */
  readonly jobs: Effect.Effect<number>
  readonly kill: Effect.Effect<void>
}

/** The worker died (or was killed) with this request in flight. */
export class WorkerLost extends Schema.TaggedError<WorkerLost>()("WorkerLost", {
  reason: Schema.String,
  /** Killed by the watchdog because this very request ran too long. */
  watchdog: Schema.Boolean,
  /** Died from SIGINT or SIGTERM from outside (Ctrl-C reaches the whole process group). */
  signalled: Schema.optionalWith(Schema.Boolean, { default: () => false })
}) {}

const PACKAGE_PYTHON = NodePath.join(NodePath.dirname(new URL(import.meta.url).pathname), "python")
/** Where the server's package is bound read-only inside the sandbox. */
const SANDBOX_PYTHON = "/o1c-python"

interface Pending {
  readonly id: number
  readonly watchdogMs: number
  /** Armed when the request reaches the head of the queue (a plain timer: a fiber race per request costs ~10x more). */
  timer?: ReturnType<typeof setTimeout> | undefined
  readonly done: Deferred.Deferred<WireReply, WorkerLost | SandboxError>
  /** The lines of a large reply, gathered until its `done`. */
  readonly exp: Array<ExpectedEntry | undefined>
  readonly res: Array<ResultEntry | undefined>
}

interface State {
  readonly alive: boolean
  readonly pending: ReadonlyArray<Pending>
  /** The request the watchdog killed the worker for. */
  readonly watchdogFor: number | undefined
}

let workerSeq = 0

const cgroupsFor = (plan: IsolationPlan, name: string, memoryBytes: number): ReadonlyArray<string> => {
  const dirs: Array<string> = []
  const make = (base: string | undefined, settings: ReadonlyArray<readonly [string, string]>) => {
    if (base === undefined) return
    const dir = NodePath.join(base, name)
    try {
      NodeFs.mkdirSync(dir)
      for (const [file, value] of settings) NodeFs.writeFileSync(NodePath.join(dir, file), value)
      dirs.push(dir)
    } catch {
      // this controller is not usable for the worker: rlimits still apply
    }
  }
  make(plan.cgroups.pids, [["pids.max", "128"]])
  make(plan.cgroups.memory, [["memory.limit_in_bytes", String(Math.round(memoryBytes * 1.5 + 256 * 1024 ** 2))]])
  make(plan.cgroups.cpu, [])
  return dirs
}

/** The command line of a worker: enter its cgroups, then bubblewrap (seccomp filter on fd 3), then the server. */
const commandFor = (plan: IsolationPlan, cgroups: ReadonlyArray<string>, uid: number | undefined) => {
  const dir = plan.bwrap !== undefined ? SANDBOX_PYTHON : PACKAGE_PYTHON
  const cfg = JSON.stringify({ uid: uid ?? null, pidns: plan.pidns, scratch: "/tmp/o1c", digest_weight: DIGEST_WEIGHT })
  const boot = `import sys; sys.path.insert(0, ${JSON.stringify(dir)}); from o1c.server import main; main()`
  // Not -I: it would ignore PYTHONHASHSEED. The environment is empty but for what we set, and -s -S -P
  // keep user site-packages, site and the working directory off sys.path as -I does.
  const python = [plan.interpreter, "-s", "-S", "-P", "-c", boot, cfg]
  let command = python[0]!
  let args = python.slice(1)
  if (plan.bwrap !== undefined) {
    command = plan.bwrap
    args = [
      ...bwrapArgs(plan.interpreter, plan.uid !== undefined),
      "--ro-bind", PACKAGE_PYTHON, SANDBOX_PYTHON,
      ...(plan.seccomp !== undefined ? ["--seccomp", "3"] : []),
      "--", ...python
    ]
  }
  if (cgroups.length > 0) {
    const enter = cgroups.map((d) => `echo $$ > '${NodePath.join(d, "cgroup.procs")}'`).join(" && ")
    args = ["-c", `${enter} && exec "$@"`, "sh", command, ...args]
    command = "/bin/sh"
  }
  return { command, args }
}

/**
 * Candidates of one worker run under uids from a block of their own (random, so that neither two workers
 * nor two o1coder processes share one): the judge gets the block's first, each candidate the next in turn.
 */
const uidBlock = (plan: IsolationPlan): number | undefined => (plan.uid === undefined ? undefined : 0x100000 + randomInt(0, 0x3fff) * 0x10000)

/** Starts a worker in the current scope; closing the scope kills it and removes its cgroups. */
export const make = (plan: IsolationPlan, index: number, memoryBytes: number): Effect.Effect<Worker, SandboxError, Scope.Scope> =>
  Effect.gen(function* () {
    const name = `o1coder-${process.pid}-w${index}-${++workerSeq}`
    const state = yield* Ref.make<State>({ alive: true, pending: [], watchdogFor: undefined })
    const ready = yield* Deferred.make<void, SandboxError>()
    const exited = yield* Deferred.make<string>()
    let signalled = false
    const lines = yield* Queue.unbounded<string | { readonly overflow: true }>()
    const nextId = yield* Ref.make(1)
    const jobs = yield* Ref.make(0)
    const cgroups = cgroupsFor(plan, name, memoryBytes)
    let stderrTail = ""

    const proc: ChildProcess = yield* Effect.acquireRelease(
      Effect.sync(() => {
        const { args, command } = commandFor(plan, cgroups, uidBlock(plan))
        const child = spawn(command, args, { stdio: ["pipe", "pipe", "pipe", "pipe"], env: { PYTHONHASHSEED: "0" } })
        const seccomp = child.stdio[3] as NodeJS.WritableStream | null
        seccomp?.on("error", () => {})
        seccomp?.end(plan.seccomp?.program ?? Buffer.alloc(0))
        const splitter = new LineSplitter()
        child.stdout!.on("data", (chunk: Buffer) => {
          for (const line of splitter.push(chunk, LINE_MAX, () => Queue.unsafeOffer(lines, { overflow: true }))) Queue.unsafeOffer(lines, line)
        })
        child.stderr!.setEncoding("utf8")
        child.stderr!.on("data", (chunk: string) => (stderrTail = (stderrTail + chunk).slice(-2000)))
        child.stdin!.on("error", () => {})
        child.on("exit", (code, signal) => {
          signalled = signal === "SIGINT" || signal === "SIGTERM" || code === 130 || code === 143
          Deferred.unsafeDone(exited, Exit.succeed(`exited (${signal ?? code})`))
        })
        child.on("error", (e) => Deferred.unsafeDone(exited, Exit.succeed(`failed to start: ${e.message}`)))
        return child
      }),
      (child) =>
        Effect.gen(function* () {
          killProcess(child, cgroups)
          yield* Deferred.await(exited).pipe(Effect.timeout("2 seconds"), Effect.ignore)
          yield* Effect.promise(() => removeCgroupDirs(cgroups))
        })
    )
    const kill = Effect.sync(() => killProcess(proc, cgroups))
    // The watchdog: requests finish in order, so each one's clock starts when the one before it is done.
    const arm = (p: Pending | undefined) =>
      Effect.sync(() => {
        if (p === undefined || p.timer !== undefined) return
        p.timer = setTimeout(
          () =>
            Effect.runSync(
              Effect.gen(function* () {
                const s = yield* Ref.get(state)
                if (s.pending[0] !== p) return
                yield* Ref.set(state, { ...s, watchdogFor: p.id })
                yield* kill
              })
            ),
          p.watchdogMs
        )
      })
    const disarm = (p: Pending) => Effect.sync(() => clearTimeout(p.timer))
    const describeDeath = (why: string) => `sandbox worker ${name} ${why}${stderrTail ? `: ${stderrTail.trim().slice(-500)}` : ""}`

    /** A reply we cannot trust means a broken server: the worker goes, its requests are lost. */
    const protocolError = (why: string) =>
      Effect.zipRight(Effect.logWarning(`sandbox worker ${name}: protocol error: ${why}`), kill)

    const onLine = (line: string | { readonly overflow: true }) =>
      Effect.gen(function* () {
        if (typeof line !== "string") return yield* protocolError(`a reply line over ${LINE_MAX} bytes`)
        const decoded = decodeLine(line)
        if (Either.isLeft(decoded)) return yield* protocolError(decoded.left)
        const msg = decoded.right
        if (msg._tag === "ready") return yield* Deferred.succeed(ready, undefined)
        const head = (yield* Ref.get(state)).pending[0]
        if (head === undefined || msg.line.id !== head.id) return yield* protocolError(`a reply to request ${msg.line.id} while ${head?.id ?? "none"} runs`)
        switch (msg._tag) {
          case "x":
            head.exp[msg.line.x] = msg.line
            return
          case "r":
            head.res[msg.line.r] = msg.line
            return
        }
        const next = yield* Ref.modify(state, (s) => [s.pending[1], { ...s, pending: s.pending.slice(1) }])
        yield* disarm(head)
        yield* arm(next)
        switch (msg._tag) {
          case "res":
            return yield* Deferred.succeed(head.done, msg.line)
          case "done":
            return yield* Deferred.succeed(head.done, { exp: head.exp, res: head.res, compiled: msg.line.compiled, ms: msg.line.ms })
          case "error":
            return yield* Deferred.fail(head.done, new SandboxError({ reason: msg.line.error }))
        }
      })
    yield* Effect.forkScoped(Effect.forever(Effect.flatMap(Queue.take(lines), onLine)))

    // Death: every request in flight fails (the one the watchdog killed it for says so).
    yield* Effect.forkScoped(
      Effect.gen(function* () {
        const why = describeDeath(yield* Deferred.await(exited))
        const last = yield* Ref.getAndUpdate(state, (s) => ({ ...s, alive: false, pending: [] }))
        yield* Deferred.fail(ready, new SandboxError({ reason: `sandbox worker failed to start: ${why}` }))
        for (const p of last.pending) {
          yield* disarm(p)
          const watchdog = p.id === last.watchdogFor
          yield* Deferred.fail(p.done, new WorkerLost({ reason: watchdog ? `watchdog: ${why}` : why, watchdog, signalled: signalled && !watchdog }))
        }
        killMembers(cgroups)
      })
    )

    yield* Deferred.await(ready).pipe(
      Effect.timeoutFail({ duration: "20 seconds", onTimeout: () => new SandboxError({ reason: "sandbox worker did not start within 20 s" }) }),
      Effect.tapError(() => kill)
    )

    const request = (job: WireJob, watchdogMs: number): Effect.Effect<WireReply, WorkerLost | SandboxError> =>
      Effect.gen(function* () {
        const id = yield* Ref.getAndUpdate(nextId, (n) => n + 1)
        const p: Pending = { id, watchdogMs, done: yield* Deferred.make<WireReply, WorkerLost | SandboxError>(), exp: [], res: [] }
        const queued = yield* Ref.modify(state, (s) => (s.alive ? [s.pending.length, { ...s, pending: [...s.pending, p] }] : [-1, s]))
        if (queued < 0) return yield* new WorkerLost({ reason: `sandbox worker ${name} is dead`, watchdog: false })
        yield* Ref.update(jobs, (n) => n + 1)
        proc.stdin!.write(JSON.stringify({ id, op: "run", ...job }) + "\n")
        if (queued === 0) yield* arm(p)
        return yield* Deferred.await(p.done)
      }).pipe(
        // Interrupted while the job runs: the worker's state is unknown, so it goes.
        Effect.onInterrupt(() => kill)
      )

    return {
      name,
      pid: proc.pid,
      request,
      alive: Effect.map(Ref.get(state), (s) => s.alive),
      inFlight: Effect.map(Ref.get(state), (s) => s.pending.length),
      jobs: Ref.get(jobs),
      kill
    } satisfies Worker
  })

const killProcess = (proc: ChildProcess, cgroups: ReadonlyArray<string>) => {
  try {
    proc.kill("SIGKILL")
  } catch {
    // already gone
  }
  killMembers(cgroups)
}

/** rmdir each cgroup dir, retrying while the last members die (EBUSY); ~2 s at most. */
const removeCgroupDirs = (dirs: ReadonlyArray<string>): Promise<void> =>
  new Promise((resolve) => {
    let pending = [...dirs]
    const attempt = (left: number) => {
      pending = pending.filter((d) => {
        try {
          NodeFs.rmdirSync(d)
          return false
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code === "ENOENT") return false
          killMembers([d])
          return true
        }
      })
      if (pending.length > 0 && left > 0) setTimeout(() => attempt(left - 1), 50)
      else resolve()
    }
    attempt(40)
  })

/** SIGKILL every process in these cgroups (the server, candidates, escaped daemons). */
const killMembers = (dirs: ReadonlyArray<string>): void => {
  for (const dir of dirs) {
    try {
      for (const pid of NodeFs.readFileSync(NodePath.join(dir, "cgroup.procs"), "utf8").split("\n")) {
        if (pid.trim() === "") continue
        try {
          process.kill(Number(pid), "SIGKILL")
        } catch {
          // gone
        }
      }
    } catch {
      // cgroup gone
    }
  }
}

/**
 * Removes worker cgroups left behind by o1coder processes that no longer exist (named
 * `o1coder-<pid>-w<slot>-<n>`), e.g. after a crash or SIGKILL of the program.
 */
export const sweepStaleCgroups = (bases: ReadonlyArray<string | undefined>): Effect.Effect<void> =>
  Effect.promise(() => {
    const stale: Array<string> = []
    for (const base of bases) {
      if (base === undefined) continue
      let entries: Array<string> = []
      try {
        entries = NodeFs.readdirSync(base)
      } catch {
        continue
      }
      for (const entry of entries) {
        const m = /^o1coder-(\d+)-w\d+-\d+$/.exec(entry)
        if (m === null) continue
        try {
          process.kill(Number(m[1]), 0)
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code === "ESRCH") stale.push(NodePath.join(base, entry))
        }
      }
    }
    return removeCgroupDirs(stale)
  })

import { type ChildProcess, spawn } from "node:child_process"
import * as NodeFs from "node:fs"
import * as NodePath from "node:path"
import { bwrapArgs, type IsolationPlan } from "./Isolation.ts"

/** One warm fork-server process: a JSON line per request on its stdin, a JSON line per reply on its stdout. */

const SERVER_SOURCE = NodeFs.readFileSync(new URL("./python/server.py", import.meta.url), "utf8")

export interface WireLimits {
  readonly test_s: number
  readonly total_s: number
  readonly mem: number
  readonly out: number
}

export type WireTest =
  | { readonly k: "call"; readonly a: string }
  | { readonly k: "assert"; readonly s: string }
  | { readonly k: "stdio"; readonly i: string }

export interface WireJob {
  readonly kind: "function" | "stdio"
  readonly code: string
  readonly setup?: string | undefined
  readonly entry?: string | undefined
  readonly tests: ReadonlyArray<WireTest>
  readonly exp?: ReadonlyArray<string> | undefined
  readonly lim: WireLimits
}

export interface WireResult {
  readonly s: string
  readonly ms?: number
  readonly v?: unknown
  readonly e?: string
  readonly o?: string
}

export interface WireReply {
  readonly id: number
  readonly exp: ReadonlyArray<{ readonly v?: unknown; readonly e?: string; readonly lost?: boolean }>
  readonly compiled: boolean
  readonly res: ReadonlyArray<WireResult>
  readonly ms: number
  readonly error?: string
}

let workerSeq = 0

/** Thrown (as a rejection) when the worker died or was killed while a request was in flight. */
export class WorkerDied extends Error {
  constructor(
    message: string,
    /** Killed by our watchdog because this very request ran too long. */
    readonly watchdog: boolean
  ) {
    super(message)
  }
}

interface Pending {
  readonly id: number
  readonly resolve: (r: WireReply) => void
  readonly reject: (e: Error) => void
  readonly watchdogMs: number
}

export class Worker {
  readonly name: string
  private readonly proc: ChildProcess
  private buffer = ""
  private nextId = 1
  /** Requests in the order sent; the server answers them in that order. Only the head is running. */
  private readonly pending: Array<Pending> = []
  private headTimer: ReturnType<typeof setTimeout> | undefined
  private readonly cgroupDirs: Array<string> = []
  private stderrTail = ""
  ready: Promise<void>
  /** Resolves once the process has exited and its cgroups are removed (or given up on after ~2 s). */
  readonly closed: Promise<void>
  private resolveClosed: () => void = () => {}
  alive = true
  jobs = 0

  constructor(plan: IsolationPlan, index: number, memoryBytes: number) {
    this.closed = new Promise<void>((resolve) => {
      this.resolveClosed = resolve
    })
    this.name = `o1coder-${process.pid}-w${index}-${++workerSeq}`
    const cfg = JSON.stringify({ uid: plan.uid ?? null, gid: plan.uid ?? null, pidns: plan.pidns, scratch: "/tmp/o1c" })
    // Not -I: it would ignore PYTHONHASHSEED. The environment is empty but for what we set, and -s -S -P
    // keep user site-packages, site and the working directory off sys.path as -I does.
    const python = [plan.interpreter, "-s", "-S", "-P", "-c", SERVER_SOURCE, cfg]
    let command: string
    let args: Array<string>
    if (plan.bwrap !== undefined) {
      command = plan.bwrap
      args = [...bwrapArgs(plan.interpreter, plan.uid !== undefined), "--", ...python]
    } else {
      command = python[0]!
      args = python.slice(1)
    }
    // Enter per-worker cgroups before exec'ing bwrap, so the server and every candidate are counted there.
    const procs: Array<string> = []
    if (plan.cgroups.pids) {
      const dir = NodePath.join(plan.cgroups.pids, this.name)
      try {
        NodeFs.mkdirSync(dir)
        NodeFs.writeFileSync(NodePath.join(dir, "pids.max"), "128")
        this.cgroupDirs.push(dir)
        procs.push(NodePath.join(dir, "cgroup.procs"))
      } catch {
        // cgroup not usable for this worker: rlimits still apply
      }
    }
    if (plan.cgroups.memory) {
      const dir = NodePath.join(plan.cgroups.memory, this.name)
      try {
        NodeFs.mkdirSync(dir)
        NodeFs.writeFileSync(NodePath.join(dir, "memory.limit_in_bytes"), String(Math.round(memoryBytes * 1.5 + 256 * 1024 ** 2)))
        this.cgroupDirs.push(dir)
        procs.push(NodePath.join(dir, "cgroup.procs"))
      } catch {
        // idem
      }
    }
    if (plan.cgroups.cpu !== undefined) {
      const dir = NodePath.join(plan.cgroups.cpu, this.name)
      try {
        NodeFs.mkdirSync(dir)
        this.cgroupDirs.push(dir)
        procs.push(NodePath.join(dir, "cgroup.procs"))
      } catch {
        // idem (fairness only)
      }
    }
    if (procs.length > 0) {
      const enter = procs.map((p) => `echo $$ > '${p}'`).join(" && ")
      args = ["-c", `${enter} && exec "$@"`, "sh", command, ...args]
      command = "/bin/sh"
    }
    this.proc = spawn(command, args, { stdio: ["pipe", "pipe", "pipe"], env: { PYTHONHASHSEED: "0" }, detached: false })
    this.proc.stdout!.setEncoding("utf8")
    this.proc.stderr!.setEncoding("utf8")
    let onReady: () => void = () => {}
    let onFail: (e: Error) => void = () => {}
    this.ready = new Promise<void>((resolve, reject) => {
      onReady = resolve
      onFail = reject
    })
    this.ready.catch(() => {})
    let isReady = false
    this.proc.stdout!.on("data", (chunk: string) => {
      this.buffer += chunk
      let nl: number
      while ((nl = this.buffer.indexOf("\n")) >= 0) {
        const line = this.buffer.slice(0, nl)
        this.buffer = this.buffer.slice(nl + 1)
        let msg: { id: number; ready?: unknown }
        try {
          msg = JSON.parse(line)
        } catch {
          continue
        }
        if (msg.id === 0 && msg.ready !== undefined) {
          isReady = true
          onReady()
        } else if (this.pending.length > 0 && msg.id === this.pending[0]!.id) {
          const p = this.pending.shift()!
          this.clearHeadTimer()
          this.armHeadTimer()
          p.resolve(msg as WireReply)
        }
      }
    })
    this.proc.stderr!.on("data", (chunk: string) => {
      this.stderrTail = (this.stderrTail + chunk).slice(-2000)
    })
    this.proc.stdin!.on("error", () => {})
    const died = (why: string) => {
      if (!this.alive) return
      this.alive = false
      this.cleanupCgroups()
      const err = new WorkerDied(`sandbox worker ${this.name} ${why}${this.stderrTail ? `: ${this.stderrTail.trim().slice(-500)}` : ""}`, false)
      if (!isReady) onFail(err)
      this.clearHeadTimer()
      const all = this.pending.splice(0)
      all.forEach((p, i) => p.reject(i === 0 && this.watchdogFired ? new WorkerDied(`watchdog: ${err.message}`, true) : err))
    }
    this.proc.on("exit", (code, signal) => died(`exited (${signal ?? code})`))
    this.proc.on("error", (e) => died(`failed to start: ${e.message}`))
  }

  get pid(): number | undefined {
    return this.proc.pid
  }

  /** Requests sent and not answered yet. */
  get inFlight(): number {
    return this.pending.length
  }

  /**
   * Sends a request; requests queue in the server (pipelining keeps it busy while we process the
   * previous reply). The watchdog of a request starts when it reaches the head of the queue: past
   * `watchdogMs` the worker is killed (this request fails with `watchdog = true`, the ones queued
   * behind it with `watchdog = false`).
   */
  request(job: WireJob, watchdogMs: number): Promise<WireReply> {
    if (!this.alive) return Promise.reject(new WorkerDied(`sandbox worker ${this.name} is dead`, false))
    const id = this.nextId++
    this.jobs++
    return new Promise<WireReply>((resolve, reject) => {
      this.pending.push({ id, resolve, reject, watchdogMs })
      this.proc.stdin!.write(JSON.stringify({ id, op: "run", ...job }) + "\n")
      if (this.pending.length === 1) this.armHeadTimer()
    })
  }

  private watchdogFired = false

  private armHeadTimer(): void {
    const head = this.pending[0]
    if (head === undefined || !this.alive) return
    this.headTimer = setTimeout(() => {
      this.watchdogFired = true
      this.kill()
    }, head.watchdogMs)
  }

  private clearHeadTimer(): void {
    if (this.headTimer !== undefined) clearTimeout(this.headTimer)
    this.headTimer = undefined
  }

  kill(): void {
    try {
      this.proc.kill("SIGKILL")
    } catch {
      // already gone
    }
    this.killCgroupMembers()
  }

  /** Every process still in this worker's cgroups (the server, candidates, escaped daemons). */
  private killCgroupMembers(): void {
    for (const dir of this.cgroupDirs) killMembers(dir)
  }

  private cleanupCgroups(): void {
    this.killCgroupMembers()
    const dirs = this.cgroupDirs.splice(0)
    removeCgroupDirs(dirs).then(() => this.resolveClosed())
  }
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
          killMembers(d)
          return true
        }
      })
      if (pending.length > 0 && left > 0) setTimeout(() => attempt(left - 1), 50)
      else resolve()
    }
    attempt(40)
  })

const killMembers = (dir: string): void => {
  try {
    for (const pid of NodeFs.readFileSync(NodePath.join(dir, "cgroup.procs"), "utf8").split("\n")) {
      if (pid.trim() !== "") {
        try {
          process.kill(Number(pid), "SIGKILL")
        } catch {
          // gone
        }
      }
    }
  } catch {
    // cgroup gone
  }
}

/**
 * Removes worker cgroups left behind by o1coder processes that no longer exist (named
 * `o1coder-<pid>-w<slot>-<n>`), e.g. after a crash or SIGKILL of the program.
 */
export const sweepStaleCgroups = (bases: ReadonlyArray<string | undefined>): Promise<void> => {
  const stale: Array<string> = []
  for (const base of bases) {
    if (base === undefined) continue
    let entries: Array<string> = []
    try {
      entries = NodeFs.readdirSync(base)
    } catch {
      continue
    }
    for (const name of entries) {
      const m = /^o1coder-(\d+)-w\d+-\d+$/.exec(name)
      if (m === null) continue
      const pid = Number(m[1])
      let alive = true
      try {
        process.kill(pid, 0)
      } catch (e) {
        alive = (e as NodeJS.ErrnoException).code !== "ESRCH"
      }
      if (!alive) stale.push(NodePath.join(base, name))
    }
  }
  return removeCgroupDirs(stale)
}

import { spawnSync } from "node:child_process"
import * as NodeFs from "node:fs"
import * as NodeOs from "node:os"
import * as NodePath from "node:path"
import { Config, Effect, Option } from "effect"
import { SandboxError } from "./Sandbox.ts"
import { describeFilter, filterFor, type SeccompFilter } from "./Seccomp.ts"

/** What the machine allows, decided once at start-up, and how to start one worker accordingly. */
export interface IsolationPlan {
  readonly interpreter: string
  readonly level: "full" | "partial" | "none"
  readonly details: ReadonlyArray<string>
  readonly bwrap: string | undefined
  /** Set when candidates drop to unprivileged uids (a block per worker, one uid per candidate). */
  readonly uid: number | undefined
  /** The syscall filter the workers run under (undefined: none could be loaded here). */
  readonly seccomp: SeccompFilter | undefined
  readonly pidns: boolean
  readonly cgroups: {
    readonly pids: string | undefined
    readonly memory: string | undefined
    /** A cpu cgroup per worker (equal shares): a fork bomb in one worker cannot starve the others. */
    readonly cpu?: string | undefined
  }
}

export interface IsolationOptions {
  readonly interpreter?: string | undefined
  readonly bwrap?: string | undefined
  /** Run even where isolation is incomplete (says so loudly). */
  readonly unsafe?: boolean | undefined
}

/** The uid the probe drops to (workers use random blocks of their own, see Worker.ts). */
export const PROBE_UID = 65534

const PY_CANDIDATES = ["/usr/bin/python3.11", "/usr/bin/python3", "/usr/local/bin/python3"]

const executable = (path: string) => {
  try {
    NodeFs.accessSync(path, NodeFs.constants.X_OK)
    return NodeFs.statSync(path).isFile()
  } catch {
    return false
  }
}

/** Absolute interpreter: the configured one, else the first system Python found (never a PATH shim). */
export const findInterpreter = (configured: string | undefined): string | undefined => {
  if (configured !== undefined && configured !== "") {
    return NodePath.isAbsolute(configured) && executable(configured) ? NodeFs.realpathSync(configured) : undefined
  }
  const found = PY_CANDIDATES.find(executable)
  return found === undefined ? undefined : NodeFs.realpathSync(found)
}

const CAPS = ["CAP_SETUID", "CAP_SETGID", "CAP_KILL", "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER"]

/** bwrap arguments: only what Python needs, read-only; private /tmp, /proc, /dev; no network; own pid namespace. */
export const bwrapArgs = (interpreter: string, asRoot: boolean): ReadonlyArray<string> => {
  const args = ["--ro-bind", "/usr", "/usr"]
  for (const d of ["/lib", "/lib64", "/lib32", "/libx32", "/bin"]) {
    try {
      const st = NodeFs.lstatSync(d)
      if (st.isSymbolicLink()) args.push("--symlink", NodeFs.readlinkSync(d), d)
      else if (st.isDirectory()) args.push("--ro-bind", d, d)
    } catch {
      // absent on this machine
    }
  }
  if (!interpreter.startsWith("/usr/")) {
    // An interpreter outside /usr (e.g. /opt/python): bind its installation prefix read-only.
    const prefix = NodePath.dirname(NodePath.dirname(interpreter))
    args.push("--ro-bind", prefix, prefix)
  }
  args.push("--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp", "--chdir", "/tmp")
  args.push("--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try")
  if (!asRoot) args.push("--unshare-user")
  args.push("--die-with-parent", "--new-session", "--clearenv", "--setenv", "PATH", "/usr/bin:/bin", "--setenv", "LANG", "C.UTF-8")
  // A fixed hash seed: set and dict-of-str iteration order is then the same in every worker and run.
  args.push("--setenv", "PYTHONHASHSEED", "0")
  args.push("--cap-drop", "ALL")
  if (asRoot) for (const c of CAPS) args.push("--cap-add", c)
  return args
}

const CGROUP_ROOT = "/sys/fs/cgroup"

const cgroupWritable = (controller: string): string | undefined => {
  const base = NodePath.join(CGROUP_ROOT, controller)
  const probe = NodePath.join(base, `o1coder-probe-${process.pid}`)
  try {
    NodeFs.mkdirSync(probe, { recursive: true })
    NodeFs.rmdirSync(probe)
    return base
  } catch {
    return undefined
  }
}

const probeScript = `
import ctypes, os, sys
cfg = sys.argv[1]
if cfg == "seccomp":
    libc = ctypes.CDLL(None, use_errno=True)
    calls = {"unshare": lambda: libc.unshare(0x10000000), "shmget": lambda: libc.shmget(0x4f31, 4096, 0o1600),
             "keyctl": lambda: libc.syscall(int(sys.argv[2]), 0, -4, 0, 0, 0), "ptrace": lambda: libc.ptrace(0, 0, 0, 0)}
    allowed = [name for name, call in calls.items() if call() != -1 or ctypes.get_errno() != 1]
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)
    print("seccomp", ",".join(allowed) or "-")
if cfg == "drop":
    os.setgroups([]); os.setresgid(${PROBE_UID}, ${PROBE_UID}, ${PROBE_UID}); os.setresuid(${PROBE_UID}, ${PROBE_UID}, ${PROBE_UID})
    try:
        os.setuid(0); print("regained")
    except PermissionError:
        pass
    caps = [l for l in open("/proc/self/status") if l.startswith(("CapEff", "CapPrm"))]
    if any(l.split()[1].strip("0") for l in caps): print("caps-left")
print("ok", os.getuid(), os.getpid(), os.path.exists("/work"))
`

const probe = (command: string, args: ReadonlyArray<string>, fd3?: Buffer): { ok: boolean; out: string } => {
  let dir: string | undefined
  let fd: number | undefined
  try {
    if (fd3 !== undefined) {
      dir = NodeFs.mkdtempSync(NodePath.join(NodeOs.tmpdir(), "o1coder-probe-"))
      NodeFs.writeFileSync(NodePath.join(dir, "fd3"), fd3, { mode: 0o600 })
      fd = NodeFs.openSync(NodePath.join(dir, "fd3"), "r")
    }
    const r = spawnSync(command, args as Array<string>, {
      encoding: "utf8",
      timeout: 10_000,
      env: {},
      stdio: ["ignore", "pipe", "pipe", ...(fd !== undefined ? [fd] : [])]
    })
    return { ok: r.status === 0, out: `${r.stdout ?? ""}${r.stderr ?? ""}`.trim() }
  } finally {
    if (fd !== undefined) NodeFs.closeSync(fd)
    if (dir !== undefined) NodeFs.rmSync(dir, { recursive: true, force: true })
  }
}

/** Loads the filter in bubblewrap and checks that it denies what it should and still lets Python fork. */
const probeSeccomp = (bwrap: string, base: ReadonlyArray<string>, filter: SeccompFilter | undefined): { filter: SeccompFilter | undefined; detail: string } => {
  if (filter === undefined) return { filter, detail: `no seccomp filter for ${process.arch} (keyring, SysV IPC, namespaces, ptrace, bpf, mount stay available)` }
  const r = probe(bwrap, ["--seccomp", "3", ...base, "seccomp", String(filter.keyctl)], filter.program)
  if (r.ok && r.out.split("\n")[0] === "seccomp -") return { filter, detail: describeFilter(filter) }
  return { filter: undefined, detail: `seccomp filter FAILED: ${r.out.slice(0, 200)}` }
}

/** Detects interpreter, bubblewrap, uid drop and cgroups. Fails unless isolation is full or `unsafe` is set. */
export const detect = (options: IsolationOptions): Effect.Effect<IsolationPlan, SandboxError> =>
  Effect.gen(function* () {
    const interpreter = findInterpreter(options.interpreter)
    if (interpreter === undefined) {
      return yield* new SandboxError({
        reason: `no Python interpreter: ${options.interpreter ?? PY_CANDIDATES.join(", ")} not found or not executable (set O1CODER_PYTHON to an absolute path)`
      })
    }
    const details: Array<string> = [`interpreter ${interpreter}`]
    const asRoot = process.getuid?.() === 0
    const bwrapPath = options.bwrap ?? "/usr/bin/bwrap"
    let bwrap: string | undefined
    let uid: number | undefined
    let pidns = false
    let seccomp: SeccompFilter | undefined
    if (executable(bwrapPath)) {
      const base = [...bwrapArgs(interpreter, asRoot), "--", interpreter, "-I", "-S", "-c", probeScript]
      const plain = probe(bwrapPath, [...base, "keep"])
      if (plain.ok && plain.out.startsWith("ok")) {
        bwrap = bwrapPath
        pidns = true
        const [, , pid, work] = plain.out.split(/\s+/)
        details.push(`bubblewrap ${bwrapPath}: no network, private /tmp, pid namespace (pid ${pid}), minimal read-only binds${work === "True" ? " (WARNING: /work visible)" : ""}`)
        if (asRoot) {
          const drop = probe(bwrapPath, [...base, "drop"])
          if (drop.ok && drop.out === `ok ${PROBE_UID} ${pid} False`) {
            uid = PROBE_UID
            details.push("candidates run as unprivileged uids (a random block per worker, a new uid per candidate) with no capabilities and no_new_privs (cannot regain root)")
          } else details.push(`uid drop FAILED: ${drop.out.slice(0, 200)}`)
        } else details.push("not root: candidates run as the caller's uid inside a user namespace (no uid drop)")
        const filter = probeSeccomp(bwrapPath, base, filterFor())
        seccomp = filter.filter
        details.push(filter.detail)
      } else details.push(`bubblewrap at ${bwrapPath} does not work here: ${plain.out.slice(0, 300)}`)
    } else details.push(`bubblewrap not found at ${bwrapPath}: no namespaces, no filesystem or network isolation`)
    const pids = asRoot ? cgroupWritable("pids") : undefined
    const memory = asRoot ? cgroupWritable("memory") : undefined
    const cpu = asRoot ? cgroupWritable("cpu") : undefined
    details.push(pids ? "pids cgroup per worker (fork bombs stop there)" : "no pids cgroup: fork bombs are only limited by RLIMIT_NPROC")
    details.push(memory ? "memory cgroup per worker" : "no memory cgroup: memory limited by RLIMIT_AS only")
    if (cpu) details.push("cpu cgroup per worker (equal shares: a runaway candidate cannot starve the other workers)")
    const level: IsolationPlan["level"] =
      bwrap === undefined ? "none" : uid !== undefined && pids !== undefined && seccomp !== undefined ? "full" : "partial"
    if (level !== "full") {
      if (!options.unsafe) {
        return yield* new SandboxError({
          reason:
            `sandbox isolation is ${level} on this machine, refusing to run untrusted code:\n  ${details.join("\n  ")}\n` +
            "Install bubblewrap and run as root with cgroups (on x86_64 or aarch64 for the seccomp filter), or opt in explicitly with O1CODER_SANDBOX_UNSAFE=1."
        })
      }
      details.push(`UNSAFE: running with ${level} isolation because it was explicitly allowed`)
      yield* Effect.logWarning(`o1coder sandbox: isolation is ${level.toUpperCase()} (unsafe mode explicitly enabled)\n  ${details.join("\n  ")}`)
    }
    return { interpreter, level, details, bwrap, uid, seccomp, pidns, cgroups: { pids, memory, cpu } }
  })

export interface SandboxSettings {
  readonly interpreter: string | undefined
  readonly unsafe: boolean
  readonly workers: number
  readonly bwrap: string | undefined
}

/** O1CODER_PYTHON, O1CODER_SANDBOX_UNSAFE, O1CODER_SANDBOX_WORKERS (default: one per core), O1CODER_BWRAP. */
export const settingsFromConfig: Config.Config<SandboxSettings> = Config.all({
  interpreter: Config.option(Config.string("O1CODER_PYTHON")),
  unsafe: Config.boolean("O1CODER_SANDBOX_UNSAFE").pipe(Config.withDefault(false)),
  workers: Config.integer("O1CODER_SANDBOX_WORKERS").pipe(Config.withDefault(Math.max(1, NodeOs.availableParallelism()))),
  bwrap: Config.option(Config.string("O1CODER_BWRAP"))
}).pipe(
  Config.map((c) => ({
    interpreter: Option.getOrUndefined(c.interpreter),
    unsafe: c.unsafe,
    workers: c.workers,
    bwrap: Option.getOrUndefined(c.bwrap)
  }))
)

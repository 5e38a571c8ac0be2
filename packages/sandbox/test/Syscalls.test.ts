import { describe, expect, layer } from "@effect/vitest"
import { CallTest } from "@o1coder/domain"
import { Effect } from "effect"
import { Limits, Sandbox, sandboxLayer } from "../src/index.ts"
import { secret } from "./attacks.ts"

/**
 * What a candidate must not reach through the kernel: SysV IPC and the keyring (data carried from one
 * candidate to a later one), new namespaces, ptrace, bpf, perf, mount. The seccomp filter denies them;
 * ordinary programs (threads, fork, subprocess) keep working.
 */

const limits = new Limits({ testTimeoutMs: 3_000, totalTimeoutMs: 10_000, memoryBytes: 1024 ** 3, outputBytes: 1024 ** 2 })
const tests = [new CallTest({ args: "1", expected: "2" }), new CallTest({ args: "2", expected: "4" })]
const LIBC = "import ctypes, os\nlibc = ctypes.CDLL(None, use_errno=True)\n"

/** Writes `s` to a SysV shared-memory segment and a message queue (key 0x4f31xxxx), and to the user keyring; still correct. */
const writer = (key: number, s: string) => `${LIBC}
def _write():
    shm = libc.shmget(${key}, 4096, 0o1666)
    if shm >= 0:
        libc.shmat.restype = ctypes.c_void_p
        addr = libc.shmat(shm, None, 0)
        if addr not in (None, ctypes.c_void_p(-1).value):
            ctypes.memmove(addr, b"${s}", 32)
    q = libc.msgget(${key}, 0o1666)
    if q >= 0:
        msg = ctypes.create_string_buffer(ctypes.c_long(1).value.to_bytes(8, "little") + b"${s}")
        libc.msgsnd(q, msg, 32, 0o4000)
    libc.syscall(248, b"user", b"o1c-${s}", b"${s}", 32, -4)  # add_key(..., KEY_SPEC_USER_KEYRING)
_write()
def f(x):
    return 2 * x
`

/** Correct only if it can read what the writer left. */
const reader = (key: number, s: string) => `${LIBC}
def _read():
    shm = libc.shmget(${key}, 0, 0)
    if shm >= 0:
        libc.shmat.restype = ctypes.c_void_p
        addr = libc.shmat(shm, None, 0o10000)
        if addr not in (None, ctypes.c_void_p(-1).value) and ctypes.string_at(addr, 32) == b"${s}":
            return True
    q = libc.msgget(${key}, 0)
    if q >= 0:
        buf = ctypes.create_string_buffer(64)
        if libc.msgrcv(q, buf, 32, 0, 0o4000) == 32 and buf.raw[8:40] == b"${s}":
            return True
    kid = libc.syscall(249, b"user", b"o1c-${s}", None, 0)  # request_key
    if kid >= 0:
        buf = ctypes.create_string_buffer(64)
        if libc.syscall(250, 11, kid, buf, 64) == 32 and buf.raw[:32] == b"${s}":  # keyctl(KEYCTL_READ)
            return True
    return False
FOUND = _read()
def f(x):
    return 2 * x if FOUND else 0
`

const statuses = (ex: { readonly verdicts: ReadonlyArray<{ readonly status: string }> }) => ex.verdicts.map((v) => v.status)

describe("system calls", () => {
  layer(sandboxLayer({ workers: 1 }), { timeout: 120_000, excludeTestServices: true })((it) => {
    it.effect("SysV shared memory, message queues and the keyring carry nothing to a later candidate of the same worker", () =>
      Effect.gen(function* () {
        const sandbox = yield* Sandbox
        const s = secret()
        const key = 0x4f310000 + Math.floor(Math.random() * 0xffff)
        expect(statuses(yield* sandbox.run({ code: writer(key, s), kind: "function", entryPoint: "f", tests, limits }))).toEqual(["passed", "passed"])
        expect(statuses(yield* sandbox.run({ code: reader(key, s), kind: "function", entryPoint: "f", tests, limits }))).toEqual(["failed", "failed"])
      }))

    it.effect("unshare(CLONE_NEWUSER) and clone with namespace flags fail", () =>
      Effect.gen(function* () {
        const sandbox = yield* Sandbox
        const code = `${LIBC}
def f(x):
    if libc.unshare(0x10000000) == 0:
        return "escaped"
    pid = libc.syscall(56, 0x10000000 | 17, 0, 0, 0, 0)  # clone(CLONE_NEWUSER | SIGCHLD)
    if pid == 0:
        os._exit(0)
    return 2 * x if pid == -1 else "cloned"
`
        expect(statuses(yield* sandbox.run({ code, kind: "function", entryPoint: "f", tests, limits }))).toEqual(["passed", "passed"])
      }))

    it.effect("every denied call fails with EPERM; threads, fork and subprocess still work", () =>
      Effect.gen(function* () {
        const sandbox = yield* Sandbox
        const code = `${LIBC}
import subprocess, threading
def probe():
    calls = {
        "ptrace": lambda: libc.ptrace(0, 0, 0, 0),
        "process_vm_readv": lambda: libc.syscall(310, 1, 0, 0, 0, 0, 0),
        "bpf": lambda: libc.syscall(321, 0, 0, 0),
        "perf_event_open": lambda: libc.syscall(298, 0, 0, -1, -1, 0),
        "mount": lambda: libc.mount(b"none", b"/tmp", b"tmpfs", 0, None),
        "setns": lambda: libc.setns(0, 0),
        "keyctl": lambda: libc.syscall(250, 0, -4, 0, 0, 0),
        "semget": lambda: libc.semget(0x4f32, 1, 0o1600),
        "mq_open": lambda: libc.syscall(240, b"/q", 0o100 | 2, 0o600, None),
        "io_uring_setup": lambda: libc.syscall(425, 1, 0),
    }
    allowed = []
    for name, call in calls.items():
        ctypes.set_errno(0)
        if call() != -1 or ctypes.get_errno() != 1:
            allowed.append(name)
    results = []
    t = threading.Thread(target=lambda: results.append("thread"))
    t.start()
    t.join()
    pid = os.fork()
    if pid == 0:
        os._exit(3)
    results.append(os.waitpid(pid, 0)[1] >> 8)
    results.append(subprocess.run(["/usr/bin/true"]).returncode)
    return allowed, results
`
        const ex = yield* sandbox.run({
          code,
          kind: "function",
          entryPoint: "probe",
          tests: [new CallTest({ args: "", expected: "([], ['thread', 3, 0])" })],
          limits
        })
        expect(ex.verdicts.map((v) => `${v.status} ${v.seen ?? ""}`)).toEqual(["passed "])
      }))
  })
})

describe("keyring across separate sandboxes", () => {
  const s = secret()
  const key = 0x4f320000 + Math.floor(Math.random() * 0xffff)
  layer(sandboxLayer({ workers: 1 }), { timeout: 60_000, excludeTestServices: true })((it) => {
    it.effect("a writer runs in one sandbox", () =>
      Effect.gen(function* () {
        const sandbox = yield* Sandbox
        expect(statuses(yield* sandbox.run({ code: writer(key, s), kind: "function", entryPoint: "f", tests, limits }))).toEqual(["passed", "passed"])
      }))
  })
  layer(sandboxLayer({ workers: 1 }), { timeout: 60_000, excludeTestServices: true })((it) => {
    it.effect("a reader in a later, separate sandbox finds nothing", () =>
      Effect.gen(function* () {
        const sandbox = yield* Sandbox
        expect(statuses(yield* sandbox.run({ code: reader(key, s), kind: "function", entryPoint: "f", tests, limits }))).toEqual(["failed", "failed"])
      }))
  })
})

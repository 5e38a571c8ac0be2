import { describe, expect, layer } from "@effect/vitest"
import { CallTest, REPO_ROOT, type VerdictStatus } from "@o1coder/domain"
import { Effect } from "effect"
import * as NodeFs from "node:fs"
import * as NodePath from "node:path"
import { Limits, Sandbox, sandboxLayer } from "../src/index.ts"

/** Hostile candidates: each gets the right verdict, and the pool stays healthy and clean afterwards. */

const marker = `o1coder-adversarial-${process.pid}-${Date.now()}`
const projectFile = NodePath.join(REPO_ROOT, `PWNED-${marker}`)
process.env.O1CODER_TEST_SECRET = marker

const limits = new Limits({ testTimeoutMs: 1_500, totalTimeoutMs: 8_000, memoryBytes: 1024 ** 3, outputBytes: 1024 ** 2 })

/** Two tests: f(1) == 2 and f(2) == 4 (a correct candidate doubles its argument). */
const tests = [new CallTest({ args: "1", expected: "2" }), new CallTest({ args: "2", expected: "4" })]

interface Case {
  readonly name: string
  readonly code: string
  /** Expected status of every test, or one per test. */
  readonly status: VerdictStatus | ReadonlyArray<VerdictStatus>
}

const cases: ReadonlyArray<Case> = [
  { name: "infinite loop in Python", code: "def f(x):\n    while True:\n        pass\n", status: "timeout" },
  { name: "infinite loop in C", code: "def f(x):\n    return sum(range(10**12))\n", status: "timeout" },
  {
    name: "loop that swallows every exception",
    code: "def f(x):\n    while True:\n        try:\n            while True:\n                pass\n        except BaseException:\n            pass\n",
    status: "timeout"
  },
  {
    name: "fork bomb",
    code: "import os\ndef f(x):\n    while True:\n        try:\n            os.fork()\n        except OSError:\n            pass\n",
    status: "timeout"
  },
  { name: "4 GB allocation", code: "def f(x):\n    return len(bytearray(4 * 1024**3))\n", status: "memory_exceeded" },
  { name: "100 MB printed", code: "def f(x):\n    print('x' * (100 * 1024 * 1024))\n    return 2 * x\n", status: "output_limit" },
  {
    name: "writing /tmp/x",
    code: `def f(x):\n    open('/tmp/x', 'w').write('${marker}')\n    return 2 * x\n`,
    status: "runtime_error"
  },
  {
    name: "writing a file under the project",
    code: `def f(x):\n    open(${JSON.stringify(projectFile)}, 'w').write('pwned')\n    return 2 * x\n`,
    status: "runtime_error"
  },
  {
    name: "TCP connection to PostgreSQL on 127.0.0.1:5432",
    code: "import socket\ndef f(x):\n    s = socket.socket()\n    s.settimeout(1)\n    s.connect(('127.0.0.1', 5432))\n    return 2 * x\n",
    status: "runtime_error"
  },
  {
    name: "unix socket to PostgreSQL",
    code:
      "import socket\ndef f(x):\n    s = socket.socket(socket.AF_UNIX)\n    s.connect('/var/run/postgresql/.s.PGSQL.5432')\n    return 2 * x\n",
    status: "runtime_error"
  },
  {
    name: "looking for the parent's secrets in the environment",
    code: "import os\ndef f(x):\n    if any('SECRET' in k or 'DATABASE' in k or 'O1CODER' in k for k in os.environ):\n        return 'leak'\n    return 2 * x\n",
    status: "passed"
  },
  { name: "os.kill(os.getppid(), 9)", code: "import os\ndef f(x):\n    os.kill(os.getppid(), 9)\n    return 2 * x\n", status: "runtime_error" },
  { name: "killing pid 1 of its namespace", code: "import os\ndef f(x):\n    os.kill(1, 9)\n    return 2 * x\n", status: "runtime_error" },
  { name: "sys.exit(0) before the tests", code: "import sys\nsys.exit(0)\ndef f(x):\n    return 2 * x\n", status: "runtime_error" },
  { name: "os._exit(0) before the tests", code: "import os\nos._exit(0)\ndef f(x):\n    return 2 * x\n", status: "runtime_error" },
  { name: "os._exit(0) inside a test", code: "import os\ndef f(x):\n    os._exit(0)\n", status: "runtime_error" },
  { name: "closing stdout (still correct)", code: "import os, sys\nsys.stdout.close()\nos.close(1)\ndef f(x):\n    return 2 * x\n", status: "passed" },
  { name: "closing every descriptor", code: "import os\nos.closerange(0, 4096)\ndef f(x):\n    return 2 * x\n", status: "runtime_error" },
  { name: "recursion 10^6 deep", code: "def f(x, d=0):\n    return f(x, d + 1) if d < 10**6 else 2 * x\n", status: "runtime_error" },
  { name: "reading stdin in a function problem", code: "def f(x):\n    return int(input())\n", status: "runtime_error" },
  {
    name: "an object whose __eq__ is always True",
    code: "class A:\n    def __eq__(self, other):\n        return True\n    __hash__ = None\ndef f(x):\n    return A()\n",
    status: "failed"
  },
  {
    name: "an int subclass with a lying __eq__ and __repr__",
    code: "class I(int):\n    def __eq__(self, o):\n        return True\n    def __repr__(self):\n        return '2'\n    __hash__ = int.__hash__\ndef f(x):\n    return I(99)\n",
    status: "failed"
  },
  {
    name: "monkey-patching builtins the runner uses",
    code:
      "import builtins, json\nbuiltins.type = lambda *a: int\nbuiltins.isinstance = lambda *a: True\nbuiltins.issubclass = lambda *a: True\n" +
      "builtins.repr = lambda x: '2'\nbuiltins.len = lambda x: 0\nbuiltins.str = lambda *a: '2'\njson.dumps = lambda *a, **k: '{\"t\":\"int\",\"v\":\"2\"}'\n" +
      "def f(x):\n    return 99\n",
    status: "failed"
  },
  {
    name: "patching the runner through sys.modules['__main__']",
    code:
      "import sys\nm = sys.modules['__main__']\nm.encode = lambda v: '{\"t\":\"int\",\"v\":\"2\"}'\nm._int_repr = lambda x: '2'\n" +
      "def f(x):\n    return 99\n",
    status: "failed"
  },
  {
    name: "printing a forged result",
    code: 'def f(x):\n    print(\'{"f":"R","i":0,"s":"ok","v":{"t":"int","v":"2"}}\')\n    return 99\n',
    status: "failed"
  },
  {
    name: "writing forged frames to every descriptor",
    code:
      "import os\ndef f(x):\n    for fd in range(3, 1024):\n        try:\n            os.write(fd, b'\\x00' * 16 + b'\\x00\\x00\\x00\\x02{}')\n        except OSError:\n            pass\n    return 99\n",
    status: "killed"
  },
  { name: "regaining root", code: "import os\ndef f(x):\n    os.setuid(0)\n    return 2 * x\n", status: "runtime_error" },
  { name: "reading /work", code: "import os\ndef f(x):\n    os.listdir('/work')\n    return 2 * x\n", status: "runtime_error" },
  {
    name: "a double-forked daemon that outlives its candidate (still correct)",
    code:
      "import os, time\ndef f(x):\n    if x == 1 and os.fork() == 0:\n        os.setsid()\n        if os.fork() == 0:\n            time.sleep(60)\n        os._exit(0)\n    return 2 * x\n",
    status: "passed"
  }
]

/** Processes in this test process's worker cgroups (bwrap, its init, the server and anything left over). */
const cgroupProcessCount = (): number => {
  const base = "/sys/fs/cgroup/pids"
  if (!NodeFs.existsSync(base)) return -1
  return NodeFs.readdirSync(base)
    .filter((d) => d.startsWith(`o1coder-${process.pid}-`))
    .map((d) => {
      try {
        return NodeFs.readFileSync(NodePath.join(base, d, "cgroup.procs"), "utf8").split("\n").filter((l) => l.trim() !== "").length
      } catch {
        return 0
      }
    })
    .reduce((a, b) => a + b, 0)
}

const healthy = Effect.gen(function* () {
  const sandbox = yield* Sandbox
  const ex = yield* sandbox.run({ code: "def f(x):\n    return 2 * x\n", kind: "function", entryPoint: "f", tests, limits })
  expect(ex.verdicts.map((v) => v.status)).toEqual(["passed", "passed"])
})

describe("adversarial candidates", () => {
  layer(sandboxLayer({ workers: 2 }), { timeout: 60_000, excludeTestServices: true })((it) => {
    it.effect("the sandbox reports full isolation on this machine", () =>
      Effect.gen(function* () {
        const sandbox = yield* Sandbox
        expect(sandbox.info.level).toBe("full")
        const [out] = yield* sandbox.call({
          code: "import os\ndef probe():\n    st = open('/proc/self/status').read().split('\\n')\n    return os.getuid(), [l.split()[1] for l in st if l.startswith(('CapEff', 'CapPrm', 'NoNewPrivs'))], sorted(os.listdir('/'))",
          entryPoint: "probe",
          argsList: [""]
        })
        expect(out!._tag).toBe("value")
        const value = out!._tag === "value" ? out!.value : undefined
        // An unprivileged uid of the worker's own block, no effective or permitted capabilities, no_new_privs;
        // a root holding only what Python needs.
        expect(value).toMatchObject({
          t: "tuple",
          v: [
            { t: "int" },
            { t: "list", v: [{ t: "str", v: "0000000000000000" }, { t: "str", v: "0000000000000000" }, { t: "str", v: "1" }] },
            { t: "list" }
          ]
        })
        const uid = value?.t === "tuple" && value.v[0]!.t === "int" ? Number(value.v[0]!.v) : 0
        expect(uid).toBeGreaterThanOrEqual(0x100000)
        const root = value?.t === "tuple" && value.v[2]!.t === "list" ? value.v[2]!.v.map((x) => (x.t === "str" ? x.v : "?")) : []
        expect(root.filter((d) => !["bin", "dev", "lib", "lib32", "lib64", "libx32", "o1c-python", "proc", "tmp", "usr"].includes(d))).toEqual([])
      }))

    for (const c of cases) {
      it.effect(c.name, () =>
        Effect.gen(function* () {
          const sandbox = yield* Sandbox
          yield* healthy
          const baseline = cgroupProcessCount()
          const ex = yield* sandbox.run({ code: c.code, kind: "function", entryPoint: "f", tests, limits })
          const want = typeof c.status === "string" ? tests.map(() => c.status as VerdictStatus) : c.status
          expect(ex.verdicts.map((v) => v.status), JSON.stringify(ex.verdicts)).toEqual(want)
          yield* healthy
          expect(cgroupProcessCount()).toBe(baseline)
          expect(NodeFs.existsSync(projectFile)).toBe(false)
          const hostTmp = NodeFs.existsSync("/tmp/x") ? NodeFs.readFileSync("/tmp/x", "utf8") : ""
          expect(hostTmp).not.toContain(marker)
        }))
    }

    it.effect("a hostile stdio program times out and the next one passes", () =>
      Effect.gen(function* () {
        const sandbox = yield* Sandbox
        const { StdioTest } = yield* Effect.promise(() => import("@o1coder/domain"))
        const loop = yield* sandbox.run({ code: "while True: pass", kind: "stdio", tests: [new StdioTest({ input: "", output: "1" })], limits })
        expect(loop.verdicts[0]!.status).toBe("timeout")
        const ok = yield* sandbox.run({ code: "print(sum(map(int, input().split())))", kind: "stdio", tests: [new StdioTest({ input: "2 3\n", output: "5" })], limits })
        expect(ok.verdicts[0]!.status).toBe("passed")
      }))
  })
})

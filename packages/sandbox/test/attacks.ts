import * as NodeFs from "node:fs"
import * as NodePath from "node:path"
import { randomBytes } from "node:crypto"

/** Python snippets of the attacks in the adversarial suites, and what the tests read of the workers from outside. */

export const secret = () => randomBytes(16).toString("hex")

/**
 * Finds the runner's frame sender: a `send` in the locals or globals of a frame up the stack (or, with
 * `gc`, any function named `send` or a lambda closing over a 16-byte nonce), and the local `job`/`i`.
 */
export const FIND_SENDER = `
import sys, gc
def _o1c_find(use_gc=False):
    fr, send, job, at = sys._getframe(1), None, None, None
    while fr is not None:
        for scope in (fr.f_locals, fr.f_globals):
            if send is None and callable(scope.get("send")):
                send = scope["send"]
        if job is None and isinstance(fr.f_locals.get("job"), dict):
            job = fr.f_locals["job"]
        if at is None and isinstance(fr.f_locals.get("i"), int):
            at = fr.f_locals["i"]
        fr = fr.f_back
    if use_gc:
        send = None
        for o in gc.get_objects():
            if callable(o) and getattr(o, "__name__", "") in ("send", "<lambda>"):
                cells = [c.cell_contents for c in (getattr(o, "__closure__", None) or ()) if c.cell_contents is not None]
                if o.__name__ == "send" or any(isinstance(c, bytes) and len(c) == 16 for c in cells):
                    send = o
                    break
    return send, job, at
`

/** Module-level code that claims every test passed, then exits (the runner's frames are still on the stack). */
export const forgeAllPassed = (useGc: boolean) => `${FIND_SENDER}
import os
_send, _job, _ = _o1c_find(${useGc ? "True" : "False"})
if _send is not None and _job is not None:
    for _i in range(len(_job["tests"])):
        _send('{"f":"R","i":%d,"ms":0.1,"t":0.0,"s":"ok","v":{"t":"int","v":"2"}}' % _i)
    _send('{"f":"D"}')
    os._exit(0)
def f(x):
    return 0
`

/** A test-time attack: `f` sends `frame(i)` (Python expression over the current index `i`) through the runner's sender, then exits. */
export const forgeAtTest = (framesExpr: string) => `${FIND_SENDER}
import os
def f(x):
    send, job, i = _o1c_find()
    for p in ${framesExpr}:
        send(p)
    os._exit(0)
`

/** Reads the candidate's whole address space (every readable mapping, through ctypes) for `pattern` (a regex over bytes). */
export const SCAN_MEMORY = `
import ctypes, re
def _o1c_scan(pattern):
    rx = re.compile(pattern.encode())
    for line in open("/proc/self/maps").read().splitlines():
        parts = line.split()
        if not parts[1].startswith("r") or (len(parts) > 5 and parts[5] in ("[vvar]", "[vsyscall]", "[vvar_vclock]")):
            continue
        a, b = (int(x, 16) for x in parts[0].split("-"))
        for start in range(a, b, 1 << 24):
            m = rx.search(ctypes.string_at(start, min(1 << 24, b - start)))
            if m:
                return m.group().decode()
    return None
`

/** Processes in this test process's worker cgroups (bwrap, its init, the servers, templates, candidates). */
export const workerProcesses = (): ReadonlyArray<number> => {
  const base = "/sys/fs/cgroup/pids"
  if (!NodeFs.existsSync(base)) return []
  return NodeFs.readdirSync(base)
    .filter((d) => d.startsWith(`o1coder-${process.pid}-`))
    .flatMap((d) => {
      try {
        return NodeFs.readFileSync(NodePath.join(base, d, "cgroup.procs"), "utf8").split("\n").filter((l) => l.trim() !== "").map(Number)
      } catch {
        return []
      }
    })
}

const count = (dir: string): number => {
  try {
    return NodeFs.readdirSync(dir).length
  } catch {
    return 0
  }
}

/** Open descriptors of every worker process, and scratch dirs left in the workers' /tmp/o1c (seen through /proc/<pid>/root). */
export const workerResources = (): { readonly fds: number; readonly scratch: number; readonly processes: number } => {
  const procs = workerProcesses()
  const servers = procs.filter((p) => {
    try {
      return NodeFs.readlinkSync(`/proc/${p}/exe`).includes("python")
    } catch {
      return false
    }
  })
  return {
    fds: procs.reduce((n, p) => n + count(`/proc/${p}/fd`), 0),
    scratch: servers.length > 0 ? count(`/proc/${servers[0]}/root/tmp/o1c`) : -1,
    processes: procs.length
  }
}

# o1coder sandbox server (trusted). One per worker, inside bubblewrap. Reads one JSON request per line on
# fd 0 and answers each with JSON lines on fd 1 (one line per expected value and per test, then a `done`
# line), so that no single line is large. It holds jobs but never runs code: every candidate, reference,
# expected-value evaluation and judge is a child of a clean template forked before the first job was read
# (template.py), and what those children write is validated here frame by frame before anything is
# believed. See packages/sandbox/README.md for the threat model.
import base64, gc, json, os, select, signal, socket, stat, struct, sys, time
from . import runner, template, values

_CFG = json.loads(sys.argv[1])
_UID_BASE = _CFG.get("uid")  # the judge's uid; candidates get _UID_BASE + 1 + (n mod 65000)
_PIDNS = bool(_CFG.get("pidns"))
_SCRATCH = _CFG.get("scratch", "/tmp/o1c")
values.DIGEST_WEIGHT = int(_CFG.get("digest_weight", values.DIGEST_WEIGHT))

FRAME_MAX = 20 * 1024 * 1024   # one frame (a value's encoding is at most ~16 MiB, packed floats ~11 MiB)
JOB_BYTES_MAX = 64 * 1024 * 1024  # everything one job's candidate processes may write on their result pipes
LINE_MAX = 32 * 1024 * 1024    # one reply line to Node
ONE_LINE_MAX = 1024 * 1024     # a reply up to this size is one line; a larger one, a line per value
ERROR_MAX = 2100               # error text kept from a frame
NAMES_MAX = 4096
_STATUSES = frozenset(("ok", "runtime_error", "memory_exceeded"))
_seq = [0]
_dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=True).encode
_scan_once = json.JSONDecoder().scan_once


class Bad(Exception):
    """A frame that breaks the protocol: nothing after it is believed."""


class Broken(Exception):
    """This worker cannot go on (a template died): the server exits, and Node starts a fresh worker."""


def _num(x):
    return (type(x) is int or type(x) is float) and x == x and abs(x) != float("inf")


def _error_text(f):
    e = f.get("e")
    if e is None:
        return None
    if type(e) is not str:
        raise Bad("error text is not a string")
    return e[:ERROR_MAX]


def _value(f):
    if "v" not in f:
        raise Bad("a value is missing")
    try:
        values.validate(f["v"])
    except values.Invalid as e:
        raise Bad(str(e))
    return f["v"]


# ---------------------------------------------------------------- templates and their children

class Template:
    def __init__(self, name):
        self.name = name
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        pid = os.fork()
        if pid == 0:
            ours.close()
            try:
                template.template_main(theirs)
            finally:
                os._exit(0)
        theirs.close()
        self.pid = pid
        self.sock = ours
        self.exited = {}  # pid -> waitpid status, for children not collected yet
        self.ready = None  # (pid, fds) of the child forked ahead, not taken yet

    def _recv(self, timeout):
        """Handles one message from the template; False when none came within `timeout` seconds."""
        self.sock.settimeout(timeout)
        try:
            msg, fds, _, _ = socket.recv_fds(self.sock, 64, 6)
        except (BlockingIOError, TimeoutError, InterruptedError):
            return False
        except OSError as e:
            raise Broken("template %s: %s" % (self.name, e))
        if not msg:
            raise Broken("template %s is gone" % self.name)
        kind = msg[:1]
        if kind == b"x":
            pid, status = struct.unpack("<ii", msg[1:9])
            self.exited[pid] = status
        elif kind == b"c":
            self.ready = (struct.unpack("<i", msg[1:5])[0], fds)
        return True

    @property
    def spares(self):
        """Children forked ahead (the sweep must leave them alone)."""
        return {self.ready[0]} if self.ready is not None else set()

    def poll(self):
        while self._recv(0):
            pass

    def until(self, done, what, timeout=10.0):
        deadline = time.monotonic() + timeout
        while not done():
            left = deadline - time.monotonic()
            if left <= 0:
                raise Broken("template %s: no %s within %g s" % (self.name, what, timeout))
            self._recv(left)

    def reap(self, pid):
        """Waits for the exit report of child `pid` and returns its status."""
        self.until(lambda: pid in self.exited, "exit of child %d" % pid)
        return self.exited.pop(pid)

    def take(self):
        """The child forked ahead (waiting for it if need be); the template forks the next one meanwhile."""
        self.until(lambda: self.ready is not None, "child")
        taken, self.ready = self.ready, None
        try:
            self.sock.send(b"g")
        except OSError as e:
            raise Broken("template %s: %s" % (self.name, e))
        return taken


class Proc:
    """The server's side of one child: its pipes, its frames (validated by `on_frame`), its exit."""

    def __init__(self, tpl, job, role, stdin=b"", files=None):
        _seq[0] += 1
        self.scratch = _SCRATCH + "/c" + str(_seq[0])
        os.mkdir(self.scratch, 0o700)
        uid = None if _UID_BASE is None else (_UID_BASE if role == "judge" else _UID_BASE + 1 + _seq[0] % 65000)
        if uid is not None:
            os.chown(self.scratch, uid, uid)
        if files:
            _put_files(self.scratch, files, uid)
        self.tpl = tpl
        self.role = role
        self.pid, fds = tpl.take()
        self.ifd, self.ofd, self.efd, self.rfd, self.cfd, self.bfd = fds
        for fd in fds:
            os.set_blocking(fd, False)
        self.open = {self.ofd, self.efd, self.rfd, self.bfd}
        self.status = None
        self.buf = bytearray()
        self.off = 0
        self.nbytes = 0
        self.out = []
        self.out_n = 0
        self.rang = False
        self.bad = None
        self.stdin = memoryview(stdin)
        self.ctl = bytearray()
        self.last_t = None  # the newest child-side timestamp seen
        self.write(dict(job, scratch=self.scratch, uid=uid))
        if not self.stdin:
            self._close_stdin()

    def write(self, obj):
        self.ctl += _dumps(obj).encode("ascii") + b"\n"
        self.flush()

    def flush(self):
        for attr, fd in (("ctl", self.cfd), ("stdin", self.ifd)):
            data = getattr(self, attr)
            if fd is None or not data:
                continue
            try:
                k = os.write(fd, data[:1 << 20])
            except BlockingIOError:
                continue
            except OSError:
                k = len(data)
            if attr == "ctl":
                del self.ctl[:k]
            else:
                self.stdin = self.stdin[k:]
                if not self.stdin:
                    self._close_stdin()

    def _close_stdin(self):
        if self.ifd is not None:
            os.close(self.ifd)
            self.ifd = None

    def fds_to_watch(self):
        r = [fd for fd in (self.ofd, self.efd, self.bfd) if fd in self.open]
        w = [fd for fd, data in ((self.cfd, self.ctl), (self.ifd, self.stdin)) if fd is not None and data]
        return r, w

    def on_readable(self, fd, out_cap):
        """Returns 'output' once stdout+stderr pass the cap."""
        try:
            data = os.read(fd, 1 << 20)
        except BlockingIOError:
            return None
        except OSError:
            data = b""
        if not data:
            self.open.discard(fd)
            return None
        if fd == self.bfd:
            self.rang = True
            return None
        self.out_n += len(data)
        if fd == self.ofd and self.out_n <= out_cap:
            self.out.append(data)
        return "output" if self.out_n > out_cap else None

    def drain(self, out_cap):
        """Reads what is left on stdout and stderr without blocking; True when past the cap."""
        for fd in (self.ofd, self.efd):
            while fd in self.open:
                try:
                    data = os.read(fd, 1 << 20)
                except BlockingIOError:
                    break
                except OSError:
                    data = b""
                if not data:
                    self.open.discard(fd)
                    break
                self.out_n += len(data)
                if fd == self.ofd and self.out_n <= out_cap:
                    self.out.append(data)
        return self.out_n > out_cap

    def read_frames(self, budget):
        """Drains the result pipe; returns the complete frames (parsed, not yet validated) and the bytes read."""
        got = 0
        while self.rfd in self.open:
            try:
                data = os.read(self.rfd, 1 << 20)
            except BlockingIOError:
                break
            except OSError:
                data = b""
            if not data:
                self.open.discard(self.rfd)
                break
            got += len(data)
            budget[0] -= len(data)
            if budget[0] < 0:
                raise Bad("more than %d bytes on the result channel" % JOB_BYTES_MAX)
            self.buf += data
        frames = []
        while len(self.buf) - self.off >= 4:
            n = int.from_bytes(self.buf[self.off:self.off + 4], "big")
            if n > FRAME_MAX:
                raise Bad("a frame of %d bytes" % n)
            if len(self.buf) - self.off - 4 < n:
                break
            payload = bytes(self.buf[self.off + 4:self.off + 4 + n])
            self.off += 4 + n
            try:
                text = payload.decode("ascii")
                frame, end = _scan_once(text, 0)
            except BaseException as e:  # RecursionError, MemoryError, ValueError, StopIteration: all the same here
                raise Bad("unreadable frame (%s)" % type(e).__name__)
            if end != len(text):
                raise Bad("trailing bytes in a frame")
            if type(frame) is not dict or type(frame.get("f")) is not str:
                raise Bad("a frame that is not an object with a type")
            t = frame.get("t")
            if t is not None:
                if not _num(t):
                    raise Bad("a malformed timestamp")
                if t <= time.monotonic():
                    self.last_t = t
            ms = frame.get("ms")
            if ms is not None and not (_num(ms) and ms >= 0):
                raise Bad("a malformed duration")
            frames.append(frame)
        if self.off > (1 << 20) and self.off * 2 > len(self.buf):
            del self.buf[:self.off]
            self.off = 0
        self.nbytes += got
        return frames, got

    def exited(self):
        if self.status is None and self.pid in self.tpl.exited:
            self.status = self.tpl.exited.pop(self.pid)
        return self.status is not None

    def reap(self):
        """Its exit status, once its template has reaped it (killed first if it is still running)."""
        if not self.exited():
            self.kill()
            self.status = self.tpl.reap(self.pid)
        return self.status

    def ended(self):
        """Its pipes are at EOF (it exited, or closed them): time to read what it wrote, and to learn its exit."""
        return self.ofd not in self.open and self.efd not in self.open and self.bfd not in self.open

    def kill(self):
        if self.status is None:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except OSError:
                pass
        if not _PIDNS:
            try:
                os.killpg(self.pid, signal.SIGKILL)  # the child started its own session: its leftovers share it
            except OSError:
                pass

    def close(self):
        """Kills the child, waits until its template has reaped it, closes every pipe, removes its scratch dir."""
        self.reap()
        for fd in (self.ifd, self.ofd, self.efd, self.rfd, self.cfd, self.bfd):
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self.ifd = self.cfd = None
        self.open.clear()
        try:
            os.rmdir(self.scratch)  # the common case: nothing was written
        except OSError:
            _rmtree(self.scratch)

    def death(self):
        """Verdict for a child that vanished without reporting."""
        st = self.reap()
        if os.WIFSIGNALED(st):
            sig = os.WTERMSIG(st)
            if sig == signal.SIGXCPU:
                return "timeout", "CPU time limit"
            if sig == signal.SIGXFSZ:
                return "output_limit", "file size limit"
            if sig == signal.SIGKILL:
                return "killed", "killed by SIGKILL"
            try:
                name = signal.Signals(sig).name
            except ValueError:
                name = str(sig)
            return "runtime_error", "killed by signal " + name
        code = os.WEXITSTATUS(st) if os.WIFEXITED(st) else -1
        return "runtime_error", "process exited with status %d before reporting" % code


FILES_MAX = 16 << 20  # bytes of files in, and of files fetched back, per run


def _parts(name):
    """A relative path's components; Bad for an absolute path, `..`, or an empty name."""
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if not parts or name.startswith("/") or any(p == ".." or "\0" in p for p in parts):
        raise Bad("file name %r is not a relative path inside the working directory" % name[:200])
    return parts


def _put_files(scratch, files, uid):
    """The request's files (name: base64) written into the child's working directory, owned by its uid."""
    total = 0
    for name, b64 in files.items():
        parts = _parts(name)
        data = base64.b64decode(b64, validate=True)
        total += len(data)
        if total > FILES_MAX:
            raise Bad("files larger than %d bytes in all" % FILES_MAX)
        d = scratch
        for p in parts[:-1]:
            d = os.path.join(d, p)
            if not os.path.isdir(d):
                os.mkdir(d, 0o700)
                if uid is not None:
                    os.chown(d, uid, uid)
        path = os.path.join(d, parts[-1])
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
        try:
            os.write(fd, data) if len(data) < (1 << 20) else [os.write(fd, data[i:i + (1 << 20)]) for i in range(0, len(data), 1 << 20)]
            if uid is not None:
                os.fchown(fd, uid, uid)
        finally:
            os.close(fd)


def _fetch_files(scratch, names):
    """Regular files the run left in its working directory (base64), read without following a link the
    candidate made (each component opened with O_NOFOLLOW under the last); missing ones are left out."""
    out, total = {}, 0
    for name in names:
        try:
            parts = _parts(name)
        except Bad:
            continue
        fds = []
        try:
            fds.append(os.open(scratch, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW))
            for p in parts[:-1]:
                fds.append(os.open(p, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=fds[-1]))
            fd = os.open(parts[-1], os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=fds[-1])
            fds.append(fd)
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                continue
            chunks, n = [], 0
            while n <= FILES_MAX - total:
                b = os.read(fd, 1 << 20)
                if not b:
                    break
                chunks.append(b)
                n += len(b)
            if n > FILES_MAX - total:
                continue  # past the bound: left out, like a missing file
            total += n
            out[name] = base64.b64encode(b"".join(chunks)).decode("ascii")
        except OSError:
            continue
        finally:
            for fd in fds:
                os.close(fd)
    return out


def _rmtree(path):
    try:
        for root, dirs, files in os.walk(path, topdown=False):
            for f in files:
                try:
                    os.unlink(os.path.join(root, f))
                except OSError:
                    pass
            for d in dirs:
                p = os.path.join(root, d)
                try:
                    os.unlink(p) if os.path.islink(p) else os.rmdir(p)
                except OSError:
                    pass
        os.rmdir(path)
    except OSError:
        pass


# ---------------------------------------------------------------- one job

class Job:
    """Every child of one request, the deadlines, and the event loop that serves them."""

    def __init__(self, req, templates):
        self.req = req
        self.lim = req["lim"]
        self.templates = templates
        self.procs = []
        self.budget = [JOB_BYTES_MAX]

    def spawn(self, tpl_name, child_job, role, stdin=b"", files=None):
        p = Proc(self.templates[tpl_name], dict(child_job, lim=self.lim), role, stdin, files)
        self.procs.append(p)
        return p

    def wait(self, procs, timeout, watch_results=()):
        """One round of select over the children's pipes; returns {proc: 'output'} for those over the cap."""
        rl, wl = [], []
        for p in procs:
            r, w = p.fds_to_watch()
            rl += r
            wl += w
        rl += [p.rfd for p in watch_results if p.rfd in p.open]
        # A child's exit is seen as EOF on its pipes; only then is its template's report awaited.
        socks = {p.tpl.sock.fileno(): p.tpl for p in procs if p.ended() and not p.exited()}
        try:
            r, w, _ = select.select(rl + list(socks), wl, [], max(0.0, timeout))
        except InterruptedError:
            r, w = [], []
        over = {}
        for p in procs:
            if w:
                p.flush()
            for fd in (p.ofd, p.efd, p.bfd):
                if fd in r and p.on_readable(fd, self.lim["out"]) == "output":
                    over[p] = "output"
        for fd, t in socks.items():
            if fd in r:
                t.poll()
        return over

    def discard(self, p):
        """A child that is done with: its pipes closed, and whatever it left behind killed."""
        self.procs.remove(p)
        self.bury([p])

    def finish(self):
        procs, self.procs = self.procs, []
        self.bury(procs)

    def bury(self, procs):
        """Closes the children (each is reaped by its template, usually already: it exits after its last frame)
        and sweeps up what they left."""
        for p in procs:
            p.close()
        self.sweep()

    def sweep(self):
        """Kills whatever the children left behind: in our pid namespace, every process but init, us, the
        templates, their spares and this job's live children (without one: the children's process groups)."""
        if not _PIDNS:
            return  # Proc.kill() killed each child's process group
        templates = self.templates.values()
        for t in templates:
            t.poll()
            if _UID_BASE is None:
                # Every process has the same uid here: the spare forked after the last hand-over must be known.
                t.until(lambda: bool(t.spares), "spare")
        _sweep(templates, {1, os.getpid()} | {p.pid for p in self.procs})


_ROOT = set()  # pids seen as root processes: with uids dropped, only spares are (and the templates, init, us)


def _leftover(pid):
    """Whether `pid` is something a child left running: with uids dropped, any live process not of root."""
    if _UID_BASE is None:
        return True
    if pid in _ROOT:
        return False
    try:
        with open("/proc/%d/status" % pid, "rb") as f:
            st = f.read(1024)
    except OSError:
        return False
    uid = st.split(b"\nUid:\t", 1)[1].split(b"\t", 1)[0] if b"\nUid:\t" in st else b"?"
    if uid == b"0":
        _ROOT.add(pid)
        return False
    return True  # a zombie too (an orphan, reaped by init in a moment): the worker is left as it was


def _uid_of(pid, live=False):
    """The process's real uid (None when it is gone, or with `live`, a zombie waiting for init)."""
    try:
        with open("/proc/%d/status" % pid, "rb") as f:
            st = f.read(1024)
        if live and b"\nState:\tZ" in st:
            return None
        return int(st.split(b"\nUid:\t", 1)[1].split(b"\t", 1)[0])
    except (OSError, IndexError, ValueError):
        return None


def _kill_uid(uid):
    """SIGKILLs every process of `uid` in our pid namespace in one call: kill(-1) sent as that uid signals
    them all while it holds the task list, so a fork bomb cannot fork faster than one-by-one kills
    (which, on a loaded machine, took seconds of the worker's time after its budget was spent). When the
    pids cgroup is full the helper cannot be forked: this round kills one by one, the next tries again."""
    try:
        pid = os.fork()
    except OSError:
        return
    if pid == 0:
        try:
            os.setresuid(uid, uid, uid)
            os.kill(-1, signal.SIGKILL)
        finally:
            os._exit(0)
    os.waitpid(pid, 0)


def _sweep(templates, keep):
    for t in templates:
        keep.add(t.pid)
        keep |= t.spares
    _ROOT.intersection_update(int(p) for p in os.listdir("/proc") if p.isdigit())
    for _ in range(5000):
        left = [int(p) for p in os.listdir("/proc") if p.isdigit() and int(p) not in keep and _leftover(int(p))]
        if not left:
            return
        if _UID_BASE is not None:
            # Leftovers run under candidates' own uids: each uid not shared by a process kept goes at once.
            kept = {_uid_of(p) for p in keep}
            for uid in {_uid_of(p, live=True) for p in left} - kept - {None, 0}:
                _kill_uid(uid)
        for p in left:
            try:
                os.kill(p, signal.SIGKILL)
            except OSError:
                pass
        time.sleep(0.0005)
        for t in templates:
            t.poll()
            keep |= t.spares


def _test_limit(lim, i):
    """Test `i`'s wall-clock deadline: its own from `tests_s` (fast scoring: from the reference's time), else `test_s`."""
    per = lim.get("tests_s")
    return per[i] if per is not None and 0 <= i < len(per) else lim["test_s"]


def _result(status, error, ms=0):
    r = {"s": status, "ms": ms}
    if error is not None:
        r["e"] = error
    return r


# ---------------------------------------------------------------- function problems

class FunctionRun:
    """Runs the tests of a function problem in order: call tests in the candidate's process, each assert
    test in the judge, whose calls of the candidate's names are forwarded to the candidate's process."""

    def __init__(self, job):
        self.job = job
        req = job.req
        self.tests = req["tests"]
        self.n = len(self.tests)
        self.res = [None] * self.n
        self.compiled = True
        self.names = None
        self.cand = None
        self.judge = None
        self.judge_at = None  # the assert test the judge is running
        self.call_pending = False  # the judge waits for the candidate's answer
        self.pos = 0
        self.loaded = False
        self.deadline = time.monotonic() + job.lim["total_s"]
        self.last = time.monotonic()
        # Fast scoring: the run ends at the first test that does not run to completion (the rest are not run).
        self.ff = req.get("ff") is True
        self._later = None  # later_limit() per test position, computed on first use
        # The candidate never sees an assert's source, nor anything but its own arguments.
        self.cand_tests = [t if t["k"] == "call" else {"k": "assert"} for t in self.tests]

    def run(self):
        while self.pos < self.n:
            if self.cand is None:
                self.cand = self.job.spawn(self.job.req.get("tpl", "cand"), {
                    "mode": "cand", "code": self.job.req["code"], "setup": self.job.req.get("setup"),
                    "entry": self.job.req.get("entry"), "tests": self.cand_tests, "start": self.pos}, "cand")
                self.loaded = False
                self.last = time.monotonic()
            if not self.step():
                break
        return self.compiled

    def test_limit(self):
        """The wall-clock deadline of the test now running (`tests_s`: one per test, else `test_s` for all)."""
        return _test_limit(self.job.lim, self.pos)

    def later_limit(self):
        """The shortest deadline among the tests after the one running (inf when none; one `test_s` for all: it)."""
        if self._later is None:
            per = self.job.lim.get("tests_s")
            if per is None or len(per) != self.n:
                self._later = [self.job.lim["test_s"]] * (self.n + 1)
            else:
                self._later = [float("inf")] * (self.n + 1)
                for i in range(self.n - 2, -1, -1):
                    self._later[i] = min(per[i + 1], self._later[i + 1])
        return self._later[min(self.pos, self.n)]

    def fill(self, start, status, error):
        for j in range(start, self.n):
            if self.res[j] is None:
                self.res[j] = _result(status, error)
        self.pos = self.n

    def lose_candidate(self, status, error):
        """The candidate's process is gone at test `pos`: that test gets the verdict, the next ones a new process."""
        c = self.cand
        self.cand = None
        self.call_pending = False
        if self.judge is not None and self.judge_at is not None:
            # The judge is inside this test: it goes too (a fresh one runs the next assert test).
            self.job.discard(self.judge)
            self.judge, self.judge_at = None, None
        self.job.discard(c)
        if not self.loaded:
            # Its module code failed: the same would happen for every test.
            self.fill(self.pos, status, error)
            return
        if self.res[self.pos] is None:
            self.res[self.pos] = _result(status, error)
        self.pos += 1
        self.stop_early(self.pos - 1)

    def stop_early(self, i):
        """In fast scoring, after test `i` did not pass, the remaining tests are not run."""
        if self.ff and self.pos < self.n and self.res[i] is not None and self.res[i]["s"] not in ("ok", "not_run"):
            self.fill(self.pos, "not_run", "not run: test %d did not pass (fast scoring)" % i)

    def read(self, p):
        """Handles the frames `p` has written; False when the run ends (a forged frame ends it)."""
        try:
            frames, got = p.read_frames(self.job.budget)
        except Bad as e:
            return self.forged(p, e)
        if got:
            self.last = max(self.last, p.last_t or 0) if frames else time.monotonic()
        for f in frames:
            try:
                self.on_frame(p, f)
            except Bad as e:
                return self.forged(p, e)
            if self.pos >= self.n:
                return False
        return True

    def forged(self, p, e):
        if p is not self.cand:
            raise e  # the judge runs trusted code only: a bad frame from it is our bug
        # The whole job, not only the tests after it: a candidate that forges a frame gets no verdict of its own.
        self.res = [_result("killed", "forged or malformed result frame: %s" % e) for _ in range(self.n)]
        self.pos = self.n
        return False

    def step(self):
        lim = self.job.lim
        now = time.monotonic()
        if now >= self.deadline:
            self.fill(self.pos, "timeout", "total time budget exhausted")
            return False
        procs = [p for p in (self.cand, self.judge) if p is not None]
        # Frames are read when the candidate rings (its last test) or when a deadline may have passed. The
        # server learns which test runs only by reading them, so it wakes at the running test's deadline, or
        # sooner, after the shortest deadline of the tests after it (one of them may have started meanwhile),
        # reads, and holds the test then running to its own deadline. With deadlines that do not decrease
        # (fast scoring sorts its tests by reference time) or one for all, that is the running test's deadline.
        wake = min(self.deadline - now, self.test_limit() - (now - self.last), self.later_limit())
        over = self.job.wait(procs, wake)
        due = time.monotonic() - now >= wake or time.monotonic() - self.last >= self.test_limit()
        for p in procs:
            if p.rang or due or p in over or p.ended():
                p.rang = False
                if not self.read(p):
                    return False
        c, j = self.cand, self.judge
        if c is None:
            return self.pos < self.n
        if c in over:
            self.lose_candidate("output_limit", "output exceeded %d bytes" % lim["out"])
        elif j is not None and j.ended() and j.exited():
            why = j.death()[1]
            self.judge = None
            self.job.discard(j)
            if self.judge_at is not None:
                i, self.judge_at = self.judge_at, None
                self.res[i] = _result("killed", "the judge died: %s" % why)
                self.call_pending = False
                self.after_assert(i)
        elif c.ended() and c.exited():
            self.lose_candidate(*c.death())
        elif time.monotonic() - self.last >= self.test_limit():
            if self.judge_at is not None and not self.call_pending:
                # The test code itself is slow (the candidate's process only waits for calls): the judge goes.
                i, self.judge_at = self.judge_at, None
                self.job.discard(j)
                self.judge = None
                self.res[i] = _result("timeout", "wall-clock deadline %.3gs" % self.test_limit())
                self.after_assert(i)
            else:
                self.lose_candidate("timeout", "wall-clock deadline %.3gs" % self.test_limit())
        return self.pos < self.n

    def after_assert(self, i):
        """The verdict of assert test `i` is in: the candidate's process goes on with the next test."""
        self.pos = i + 1
        self.last = time.monotonic()
        if self.cand is not None:
            self.cand.write({"go": 1})

    def on_frame(self, p, f):
        if p is self.cand:
            self.on_candidate(f["f"], f)
        elif p is self.judge:
            self.on_judge(f["f"], f)

    def on_candidate(self, kind, f):
        if not self.loaded:
            if kind == "C":
                self.compiled = False
                for j in range(self.n):
                    self.res[j] = _result("compile_error", _error_text(f) or "")
                self.pos = self.n
                return
            if kind == "E":
                if f.get("s") not in _STATUSES or f["s"] == "ok":
                    raise Bad("unknown status")
                self.fill(self.pos, f["s"], _error_text(f) or "")
                return
            if kind != "L":
                raise Bad("a %r frame before the code was loaded" % kind)
            names = f.get("n")
            if type(names) is not list or len(names) > NAMES_MAX or not all(type(x) is str and x.isidentifier() and len(x) <= 100 for x in names):
                raise Bad("malformed names")
            self.loaded = True
            if self.names is None:
                self.names = names
            return
        i = f.get("i")
        if kind == "R":
            if type(i) is not int or i != self.pos or self.tests[i]["k"] != "call" or self.judge_at is not None:
                raise Bad("a result out of turn")
            s = f.get("s")
            if s not in _STATUSES:
                raise Bad("unknown status")
            r = _result(s, _error_text(f), f.get("ms", 0))
            if s == "ok":
                r["v"] = _value(f)
            self.res[i] = r
            self.pos = i + 1
            self.stop_early(i)
        elif kind == "A":
            if type(i) is not int or i != self.pos or self.tests[i]["k"] != "assert" or self.judge_at is not None:
                raise Bad("an assert test out of turn")
            if self.judge is None:
                self.judge = self.job.spawn("ref", {
                    "mode": "judge", "setup": self.job.req.get("setup"), "entry": self.job.req.get("entry") or "",
                    "names": self.names or [], "asserts": {str(k): t["s"] for k, t in enumerate(self.tests) if t["k"] == "assert"}}, "judge")
            self.judge_at = i
            self.judge.write({"run": i})
        elif kind == "V":
            if not self.call_pending:
                raise Bad("a value nobody asked for")
            s = f.get("s")
            if s not in _STATUSES:
                raise Bad("unknown status")
            if s == "ok":
                reply = {"s": "ok", "v": _value(f)}
            else:
                x = f.get("x")
                if type(x) is not str or not x.isidentifier() or len(x) > 100:
                    raise Bad("malformed exception name")
                reply = {"s": s, "x": x, "e": _error_text(f) or ""}
            self.call_pending = False
            self.judge.write(reply)
        elif kind == "D":
            if self.pos != self.n:
                raise Bad("done before the last test")
        else:
            raise Bad("unknown frame %r" % kind[:20])

    def on_judge(self, kind, f):
        if kind == "Q":
            if self.call_pending or self.judge_at is None:
                raise Bad("judge call out of turn")
            c = self.cand
            if c is None or c.ended():
                self.judge.write({"lost": "gone"})
                return
            name = f.get("n")
            if type(name) is not str or not name.isidentifier():
                raise Bad("malformed call")
            for a in f.get("a", []):
                values.validate(a)
            self.call_pending = True
            c.write({"q": name, "a": f.get("a", []), "k": f.get("k", [])})
        elif kind == "R":
            i = f.get("i")
            if i != self.judge_at:
                return  # a late verdict for a test already decided (its candidate process was lost)
            s = f.get("s")
            status = {"ok": "ok", "failed": "failed", "runtime_error": "runtime_error", "memory_exceeded": "memory_exceeded"}.get(s)
            if status is None:
                status = "killed"
            self.judge_at = None
            self.res[i] = _result(status, _error_text(f), f.get("ms", 0))
            self.after_assert(i)
            self.stop_early(i)


# ---------------------------------------------------------------- stdio problems and expected values

def _run_stdio(job, res):
    """One process per stdio test; returns whether the code compiled."""
    lim = job.lim
    deadline = time.monotonic() + lim["total_s"]
    for i, t in enumerate(job.req["tests"]):
        if t["k"] != "stdio":
            res[i] = _result("runtime_error", "not a stdio test")
            continue
        if time.monotonic() >= deadline:
            res[i] = _result("timeout", "total time budget exhausted")
            continue
        try:
            c = job.spawn(job.req.get("tpl", "cand"), {"mode": "stdio", "code": job.req["code"], "start": i},
                          "cand", t["i"].encode("utf-8", "surrogateescape"), job.req.get("files"))
        except (Bad, ValueError, OSError) as e:
            # Files that cannot be written (a bad name, bad base64, too large): the request's fault, every test.
            for j in range(len(res)):
                res[j] = _result("runtime_error", "files: %s" % e)
            return True
        try:
            res[i] = _stdio_verdict(job, c, i, deadline)
        except Bad as e:
            res[i] = _result("killed", "forged or malformed result frame: %s" % e)
        if job.req.get("fetch"):
            res[i]["f"] = _fetch_files(c.scratch, job.req["fetch"])
        job.discard(c)
        if res[i]["s"] == "compile_error":
            for j in range(len(res)):
                res[j] = res[i]
            return False
    return True


def _stdio_verdict(job, c, i, deadline):
    lim = job.lim
    last = time.monotonic()
    frames = []
    while not any(f["f"] == "D" for f in frames) and not (c.ended() and c.exited()):
        now = time.monotonic()
        if now >= deadline or now - last >= _test_limit(lim, i):
            c.kill()
            r = _result("timeout", "wall-clock deadline")
            if job.req.get("keep") and not c.drain(lim["out"]):
                r["o"] = b"".join(c.out).decode("utf-8", "replace")
            return r
        if job.wait([c], min(deadline - now, _test_limit(lim, i) - (now - last))):
            return _result("output_limit", "output exceeded %d bytes" % lim["out"])
        if c.rang or c.ended():
            c.rang = False
            last = time.monotonic()
            frames += c.read_frames(job.budget)[0]
    c.kill()
    if c.drain(lim["out"]):
        return _result("output_limit", "output exceeded %d bytes" % lim["out"])
    r = None
    for f in frames + c.read_frames(job.budget)[0]:
        kind = f["f"]
        if kind == "C" and r is None:
            return _result("compile_error", _error_text(f) or "")
        if kind == "R" and r is None:
            if f.get("i") != i or f.get("s") not in _STATUSES:
                raise Bad("a result out of turn")
            r = _result(f["s"], _error_text(f), f.get("ms", 0))
        elif kind != "D" or r is None:
            raise Bad("unexpected %r frame" % kind[:20])
    if r is None:
        r = _result(*c.death())
    # What it printed, also when it failed (SandboxFusion answers the stdout of a program that raised).
    if r["s"] == "ok" or (job.req.get("keep") and r["s"] in ("runtime_error", "timeout", "memory_exceeded")):
        r["o"] = b"".join(c.out).decode("utf-8", "replace")
    return r


def _eval_expected(job):
    exprs = job.req.get("exp") or []
    out = [None] * len(exprs)
    if not exprs:
        return out
    lim = job.lim
    deadline = time.monotonic() + lim["total_s"]
    c = job.spawn("ref", {"mode": "exp", "setup": job.req.get("setup"), "exp": exprs}, "exp")
    why = None
    frames = []
    try:
        while why is None and not any(f["f"] == "D" for f in frames) and not (c.ended() and c.exited()):
            if time.monotonic() >= deadline:
                why = "timeout"
            elif job.wait([c], deadline - time.monotonic()):
                why = "output limit"
            elif c.rang or c.ended():
                c.rang = False
                frames += c.read_frames(job.budget)[0]
        c.kill()
        frames += c.read_frames(job.budget)[0]
        for f in frames:
            i = f.get("i")
            if f["f"] == "R" and type(i) is int and 0 <= i < len(out):
                out[i] = {"v": _value(f)} if f.get("s") == "ok" else {"e": _error_text(f) or str(f.get("s"))}
    except Bad as e:
        why = "bad frame: %s" % e
    if why is None:
        why = c.death()[1]
    return [o if o is not None else {"e": "expected value not computed: " + why, "lost": True} for o in out]


def _handle(req, templates, emit, emit_line):
    """Runs one request and emits its reply lines. Any failure of ours costs this job (`killed`), never the worker."""
    t0 = time.perf_counter()
    job = Job(req, templates)
    n = len(req.get("tests") or [])
    res = [None] * n
    exp = []
    compiled = True
    try:
        exp = _eval_expected(job)
        if req.get("kind") == "stdio":
            compiled = _run_stdio(job, res)
        else:
            run = FunctionRun(job)
            compiled = run.run()
            res = run.res
    except Broken:
        raise
    except Exception as e:
        res = [r if r is not None else _result("killed", "sandbox server: %s" % type(e).__name__) for r in res]
    finally:
        job.finish()
    res = [r if r is not None else _result("killed", "no result") for r in res]
    ms = (time.perf_counter() - t0) * 1000
    line = _dumps({"id": req["id"], "exp": exp, "res": res, "compiled": compiled, "ms": ms})
    if len(line) <= ONE_LINE_MAX:
        emit_line(line)
        return
    # A large reply goes out a line per value, so that Node never parses one huge line.
    for i, e in enumerate(exp):
        emit(dict(e, id=req["id"], x=i))
    for i, r in enumerate(res):
        emit(dict(r, id=req["id"], r=i))
    emit({"id": req["id"], "done": 1, "compiled": compiled, "ms": ms})


def _info():
    with open("/proc/self/status") as f:
        st = f.read()
    return {"pid": os.getpid(), "uid": os.getuid(), "status": [l for l in st.splitlines() if l.startswith(("CapEff", "NoNewPrivs", "Seccomp"))],
            "python": sys.version.split()[0], "fds": len(os.listdir("/proc/self/fd")), "scratch": len(os.listdir(_SCRATCH))}


def _warm():
    """Lazy interpreter state a child would otherwise build on every fork: the first compile() builds
    the AST types, the first eval/encode warm their own caches."""
    compile("x = 1", "<warm>", "exec")
    eval(compile("(lambda *a, **k: (a, k))(1, k=2\n)", "<warm>", "eval"))
    values.encode([1, 2.5, "s", (1,), {1: 2}, {3}, None, True, b"b", 1j])
    values.digest(list(range(10)))
    runner.describe(ValueError("warm"))
    json.loads('{"a": [1]}')


def main():
    if _PIDNS and os.getpid() > 3:
        sys.stderr.write("refusing: pidns requested but pid is %d\n" % os.getpid())
        sys.exit(3)
    try:
        sys.set_int_max_str_digits(0)
    except AttributeError:
        pass
    os.makedirs(_SCRATCH, exist_ok=True)
    os.chmod(_SCRATCH, 0o711)
    # The children's environment: nothing from the parent; each child then sets its own HOME and TMPDIR.
    os.environ.clear()
    os.environ.update({"HOME": _SCRATCH, "TMPDIR": _SCRATCH, "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"})
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    try:
        import ctypes  # Non-dumpable (inherited by every child): no ptrace, no /proc/<pid>/mem of us.
        ctypes.CDLL(None).prctl(4, 0, 0, 0, 0)
    except Exception:
        pass
    # Modules candidates import most (MBPP: re, math, collections, heapq, itertools, ...) are loaded
    # once here, so a fork finds them ready. Not `random`, nor `statistics` (which imports it): random
    # reseeds itself in every forked child (~0.1 ms each), while importing both in the rare child that
    # needs them costs ~0.6 ms.
    for name in ("re", "math", "cmath", "collections", "heapq", "itertools", "functools", "bisect", "string",
                 "operator", "copy", "array", "fractions", "decimal", "datetime", "struct", "typing"):
        try:
            __import__(name)
        except ImportError:
            pass
    _warm()
    # Everything loaded so far is permanent: children need not scan it (and pages stay shared after fork).
    gc.collect()
    gc.freeze()
    # The templates are forked now, before the first job is read: nothing of any job is ever in their memory.
    templates = {"cand": Template("cand"), "ref": Template("ref")}
    inp = os.fdopen(0, "rb", buffering=0)
    out = os.fdopen(1, "wb", buffering=0)

    def emit_line(line):
        out.write(line.encode("ascii") + b"\n")

    def emit(obj):
        line = _dumps(obj)
        if len(line) > LINE_MAX:
            line = _dumps({k: v for k, v in obj.items() if k in ("id", "r", "x", "done", "compiled", "ms")}
                          | {"s": "killed", "e": "reply line over %d bytes" % LINE_MAX})
        emit_line(line)

    pending = bytearray()
    emit({"id": 0, "ready": _info()})
    while True:
        nl = pending.find(b"\n")
        while nl < 0:
            try:
                chunk = inp.read(1 << 20)
            except InterruptedError:
                continue
            if not chunk:
                return
            start = len(pending)
            pending += chunk
            nl = pending.find(b"\n", start)
        line = bytes(pending[:nl])
        del pending[:nl + 1]
        req = json.loads(line)
        if req.get("op") == "info":
            emit({"id": req["id"], "info": _info()})
            continue
        try:
            _handle(req, templates, emit, emit_line)
        except Broken as e:
            sys.stderr.write("sandbox server: %s\n" % e)
            os._exit(1)
        except Exception as e:
            emit({"id": req["id"], "error": "server: %r" % (e,)})


if __name__ == "__main__":
    main()

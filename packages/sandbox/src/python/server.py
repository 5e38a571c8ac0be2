# o1coder sandbox fork server (trusted). Started once per worker inside bubblewrap; reads one JSON
# request per line on fd 0, answers one JSON line per request on fd 1. For every candidate it forks a
# child that drops to an unprivileged uid, sets rlimits, runs the candidate and then the tests, and
# reports each test's outcome on a private pipe framed with a per-fork random nonce. Values are
# encoded here (exact type checks, base-type C methods, never the candidate's own methods) and
# compared by the TypeScript side. See packages/sandbox/README.md for the threat model.
import _signal, builtins, fcntl, gc, json, os, resource, select, signal, sys, time
import collections, json.encoder

# This module looks names up in a private copy of the builtins: the candidate may patch the real ones.
__builtins__ = dict(builtins.__dict__)

_CFG = json.loads(sys.argv[1])
_UID = _CFG.get("uid")
_GID = _CFG.get("gid")
_PIDNS = bool(_CFG.get("pidns"))
_SCRATCH = _CFG.get("scratch", "/tmp/o1c")

# References captured before any candidate runs: the candidate may monkey-patch builtins and modules.
_type, _len, _isinstance, _issubclass = builtins.type, builtins.len, builtins.isinstance, builtins.issubclass
_range, _repr, _list, _bytes = builtins.range, builtins.repr, builtins.list, builtins.bytes
_int_repr, _float_repr, _str_str = int.__repr__, float.__repr__, str.__str__
_int_int, _float_float = int.__int__, float.__float__
_tuple_len, _tuple_get = tuple.__len__, tuple.__getitem__
_list_len, _list_get = list.__len__, list.__getitem__
_dict_items, _set_iter, _fset_iter = dict.items, set.__iter__, frozenset.__iter__
_bytes_decode = bytes.decode
_esc = json.encoder.c_encode_basestring_ascii or json.encoder.py_encode_basestring_ascii
_write, _exit, _perf, _mono, _select = os.write, os._exit, time.perf_counter, time.monotonic, select.select
_BELL = [-1]  # in a child: the doorbell fd it rings when the result pipe is full
_compile, _exec, _eval = builtins.compile, builtins.exec, builtins.eval
_BaseException, _MemoryError, _RecursionError, _SystemExit, _AssertionError = (
    BaseException, MemoryError, RecursionError, SystemExit, AssertionError)
_ModuleType = type(sys)
_join = "".join
_INF, _NINF = float("inf"), float("-inf")
_MAX_NODES, _MAX_DEPTH, _MAX_CHARS = 1_000_000, 200, 16_000_000
try:
    sys.set_int_max_str_digits(0)
except AttributeError:
    pass


class _TooBig(Exception):
    pass


def _enc_float(x):
    if x != x:
        return '"nan"'
    if x == _INF:
        return '"inf"'
    if x == _NINF:
        return '"-inf"'
    return _float_repr(x)


def encode(value):
    """JSON text of the PyValue encoding of `value` (see packages/domain/src/Value.ts)."""
    budget = [_MAX_NODES, _MAX_CHARS]
    out = []
    add = out.append

    def enc(x, depth):
        budget[0] -= 1
        if budget[0] < 0 or depth > _MAX_DEPTH:
            raise _TooBig()
        t = _type(x)
        if x is None:
            add('{"t":"none"}')
        elif t is bool:
            add('{"t":"bool","v":true}' if x is True else '{"t":"bool","v":false}')
        elif _issubclass(t, int):
            s = _int_repr(_int_int(x))
            budget[1] -= _len(s)
            if budget[1] < 0:
                raise _TooBig()
            add('{"t":"int","v":"' + s + '"}')
        elif _issubclass(t, float):
            add('{"t":"float","v":' + _enc_float(_float_float(x)) + "}")
        elif _issubclass(t, str):
            s = _str_str(x)
            budget[1] -= _len(s)
            if budget[1] < 0:
                raise _TooBig()
            add('{"t":"str","v":' + _esc(s) + "}")
        elif _issubclass(t, (list, tuple)):
            is_list = _issubclass(t, list)
            ln, get = (_list_len, _list_get) if is_list else (_tuple_len, _tuple_get)
            add('{"t":"list","v":[' if is_list else '{"t":"tuple","v":[')
            n = ln(x)
            for i in _range(n):
                if i:
                    add(",")
                enc(get(x, i), depth + 1)
            add("]}")
        elif _issubclass(t, dict):
            add('{"t":"dict","v":[')
            first = True
            for k, v in _list(_dict_items(x)):
                if not first:
                    add(",")
                first = False
                add("[")
                enc(k, depth + 1)
                add(",")
                enc(v, depth + 1)
                add("]")
            add("]}")
        elif _issubclass(t, (set, frozenset)):
            add('{"t":"set","v":[')
            it = _set_iter(x) if _issubclass(t, set) else _fset_iter(x)
            first = True
            for e in _list(it):
                if not first:
                    add(",")
                first = False
                enc(e, depth + 1)
            add("]}")
        elif _issubclass(t, complex):
            re, im = complex.real.__get__(x), complex.imag.__get__(x)
            if re != re or im != im or re in (_INF, _NINF) or im in (_INF, _NINF):
                add('{"t":"unrepresentable","type":"complex(non-finite)"}')
            else:
                add('{"t":"complex","re":' + _float_repr(re) + ',"im":' + _float_repr(im) + "}")
        elif _issubclass(t, (bytes, bytearray)):
            b = _bytes(x) if _issubclass(t, bytearray) else bytes.__bytes__(x) if t is not bytes else x
            budget[1] -= _len(b)
            if budget[1] < 0:
                raise _TooBig()
            add('{"t":"bytes","v":' + _esc(_bytes_decode(b, "latin-1")) + "}")
        else:
            name = "object"
            try:
                name = type.__dict__["__name__"].__get__(t)
                name = _str_str(name) if _isinstance(name, str) else "object"
            except _BaseException:
                pass
            add('{"t":"unrepresentable","type":' + _esc(name[:100]) + "}")

    try:
        enc(value, 0)
    except _TooBig:
        return '{"t":"unrepresentable","type":"too large"}'
    except _RecursionError:
        return '{"t":"unrepresentable","type":"too deep"}'
    except _BaseException:
        return '{"t":"unrepresentable","type":"unencodable"}'
    return _join(out)


def _describe(e):
    """`Type: message`, best effort, bounded; the message may come from the candidate's code."""
    name = "Exception"
    try:
        name = type.__dict__["__name__"].__get__(_type(e))
    except _BaseException:
        pass
    msg = ""
    try:
        msg = _BaseException.__str__(e)
    except _BaseException:
        pass
    try:
        msg = _str_str(msg)[:2000]
    except _BaseException:
        msg = ""
    return (_str_str(name) + (": " + msg if msg else ""))[:2100]


# ---------------------------------------------------------------- child side (runs the candidate)

class _StdlibNames:
    """Locals for expected-value expressions: a standard-library module name not imported resolves to
    the module (MBPP asserts use e.g. `sys.getsizeof` imported by the reference, not by the test)."""

    def __init__(self, g):
        self.g = g

    def __getitem__(self, name):
        if name in self.g:
            return self.g[name]
        if name in sys.stdlib_module_names and not name.startswith("_"):
            try:
                return __import__(name)
            except ImportError:
                pass
        raise KeyError(name)


def _frame(fd, nonce, payload):
    _frames(fd, nonce, (payload,))


def _frames(fd, nonce, payloads):
    """One write for several frames: each wake-up of the server costs more than the bytes."""
    parts = []
    for payload in payloads:
        data = payload.encode("ascii")
        n = _len(data)
        parts.append(nonce + bytes((n >> 24 & 255, n >> 16 & 255, n >> 8 & 255, n & 255)) + data)
    view = memoryview(b"".join(parts))
    while view:
        try:
            k = _write(fd, view)
            view = view[k:]
        except BlockingIOError:
            # The result pipe is full (a large value): the server does not watch it, so ring.
            try:
                _write(_BELL[0], b"!")
            except OSError:
                pass
            _select([], [fd], [], None)


def _status_of(e):
    if _isinstance(e, _MemoryError):
        return "memory_exceeded"
    return "runtime_error"


def _exit_builtin(code=None):
    raise _SystemExit(code)


def _child_main(job, start, fd, nonce, mode):
    """Never returns. mode: 'cand' (candidate tests), 'stdio' (one stdio test), 'exp' (expected values)."""
    # The candidate's code runs as a fresh `__main__` module: `import __main__` (pickle, dataclasses)
    # finds its own namespace, not this server's.
    main = _ModuleType("__main__")
    g = main.__dict__
    g["__builtins__"] = builtins
    sys.modules["__main__"] = main
    builtins.exit = builtins.quit = _exit_builtin
    send = lambda p: _frame(fd, nonce, p)
    setup = job.get("setup") or ""
    if mode == "exp":
        # No candidate code here. The set-up may refer to the candidate's names (MBPP builds trees of
        # the candidate's Node class there): run what runs; expressions that needed the rest fail alone.
        if setup:
            try:
                _exec(_compile(setup, "<setup>", "exec"), g)
            except _BaseException:
                pass
        names = _StdlibNames(g)
        for i, expr in enumerate(job["exp"]):
            try:
                v = _eval(_compile(expr, "<expected>", "eval"), g, names)
                body = ',"s":"ok","v":' + encode(v)
            except _BaseException as e:
                body = ',"s":' + _esc(_status_of(e)) + ',"e":' + _esc(_describe(e))
            send('{"f":"R","i":' + str(i) + ',"t":' + _float_repr(_mono()) + body + "}")
        send('{"f":"D"}')
        _exit(0)
    try:
        code = _compile(job["code"], "<candidate>", "exec")
    except _BaseException as e:
        try:
            msg = type.__dict__["__name__"].__get__(_type(e)) + ": " + (str(e) if _type(e) in (SyntaxError, IndentationError, TabError) else _describe(e))
        except _BaseException:
            msg = "SyntaxError"
        send('{"f":"C","e":' + _esc(msg[:2000]) + "}")
        _exit(0)
    if mode == "stdio":
        t0 = _perf()
        try:
            _exec(code, g)
            st, err = "ok", None
        except _SystemExit as e:
            c = e.code
            st, err = ("ok", None) if c is None or c == 0 else ("runtime_error", "SystemExit: " + _describe(e))
        except _BaseException as e:
            st, err = _status_of(e), _describe(e)
        try:
            sys.stdout.flush()
        except _BaseException:
            pass
        ms = (_perf() - t0) * 1000
        send('{"f":"R","i":' + str(start) + ',"s":"' + st + '","ms":' + _float_repr(ms)
             + (',"e":' + _esc(err) if err is not None else "") + "}")
        send('{"f":"D"}')
        _exit(0)
    try:
        _exec(code, g)
    except _BaseException as e:
        send('{"f":"E","s":' + _esc(_status_of(e)) + ',"e":' + _esc(_describe(e)) + "}")
        _exit(0)
    if setup:
        # As MBPP's harness does: candidate code, then the test set-up, then the tests.
        try:
            _exec(_compile(setup, "<setup>", "exec"), g)
        except _BaseException as e:
            send('{"f":"E","s":"runtime_error","e":' + _esc("test set-up failed: " + _describe(e)) + "}")
            _exit(0)
    send('{"f":"L","t":' + _float_repr(_mono()) + "}")
    entry = job.get("entry")
    tests = job["tests"]
    last = _len(tests) - 1
    for i in _range(start, _len(tests)):
        t = tests[i]
        t0 = _perf()
        try:
            if t["k"] == "call":
                fn = g.get(entry) if entry else None
                if fn is None:
                    raise NameError("entry point " + _repr(entry) + " is not defined")
                a, k = _eval(_compile("(lambda *a, **k: (a, k))(" + t["a"] + "\n)", "<args>", "eval"), g)
                v = fn(*a, **k)
                ms = (_perf() - t0) * 1000
                body = ',"s":"ok","v":' + encode(v)
            else:
                _exec(_compile(t["s"], "<test>", "exec"), g)
                ms = (_perf() - t0) * 1000
                body = ',"s":"ok"'
        except _AssertionError as e:
            ms = (_perf() - t0) * 1000
            body = ',"s":"' + ("failed" if t["k"] == "assert" else "runtime_error") + '","e":' + _esc(_describe(e))
        except _BaseException as e:
            ms = (_perf() - t0) * 1000
            body = ',"s":"' + _status_of(e) + '","e":' + _esc(_describe(e))
        frame = '{"f":"R","i":' + str(i) + ',"ms":' + _float_repr(ms) + ',"t":' + _float_repr(_mono()) + body + "}"
        if i == last:
            _frames(fd, nonce, (frame, '{"f":"D"}'))
            _exit(0)
        send(frame)
    send('{"f":"D"}')
    _exit(0)


# ---------------------------------------------------------------- server side

_seq = [0]


def _set_limits(lim):
    mem = int(lim["mem"])
    cpu = max(1, int(lim["total_s"] + 1.999))
    for res, val in (
        (resource.RLIMIT_AS, mem),
        (resource.RLIMIT_CPU, cpu),
        (resource.RLIMIT_FSIZE, int(lim.get("fsize", 16 * 1024 * 1024))),
        (resource.RLIMIT_NOFILE, 64),
        (resource.RLIMIT_CORE, 0),
        (resource.RLIMIT_NPROC, int(lim.get("nproc", 256))),
        (resource.RLIMIT_STACK, 64 * 1024 * 1024),
    ):
        try:
            hard = val + 1 if res == resource.RLIMIT_CPU else val
            resource.setrlimit(res, (val, hard))
        except (ValueError, OSError):
            pass


def _spawn(job, start, mode, stdin_data):
    """Fork a child; returns (pid, result_fd, out_fd, err_fd, in_fd, nonce, scratch)."""
    _seq[0] += 1
    scratch = _SCRATCH + "/c" + str(_seq[0])
    os.mkdir(scratch, 0o700)
    if _UID is not None:
        os.chown(scratch, _UID, _GID)
    nonce = os.urandom(16)
    rr, rw = os.pipe()
    try:
        fcntl.fcntl(rw, 1031, 1 << 20)  # F_SETPIPE_SZ: values up to 1 MiB without the child waiting for us
    except OSError:
        pass
    br, bw = os.pipe()
    outr, outw = os.pipe()
    errr, errw = os.pipe()
    inr, inw = os.pipe() if stdin_data is not None else (None, None)
    pid = os.fork()
    if pid == 0:
        try:
            os.setsid()
            # _signal, not signal: the latter's enum conversions touch ~60 shared pages (~0.13 ms of copy-on-write).
            _signal.set_wakeup_fd(-1)
            _signal.signal(_signal.SIGCHLD, _signal.SIG_DFL)
            _signal.signal(_signal.SIGPIPE, _signal.SIG_DFL)
            # Hide the result pipe at a random high descriptor, and give the candidate fresh 0/1/2.
            hi = 100 + int.from_bytes(os.urandom(2), "big") % 800
            bell = 900 + int.from_bytes(os.urandom(2), "big") % 100
            os.dup2(bw, bell, inheritable=False)
            fd = os.dup2(rw, hi, inheritable=False) and hi
            os.set_blocking(fd, False)
            os.set_blocking(bell, False)
            _BELL[0] = bell
            if inr is not None:
                os.dup2(inr, 0)
            else:
                dn = os.open("/dev/null", os.O_RDONLY)
                os.dup2(dn, 0)
            os.dup2(outw, 1)
            os.dup2(errw, 2)
            os.closerange(3, hi)
            os.closerange(hi + 1, bell)
            os.closerange(bell + 1, 4096)
            os.chdir(scratch)
            # The rest of the environment was scrubbed once at start-up (main): clearing it here costs ~0.1 ms.
            os.environ["HOME"] = scratch
            os.environ["TMPDIR"] = scratch
            # sys.stdin/stdout/stderr still wrap fds 0/1/2 (now the candidate's) with empty buffers:
            # the server itself talks through separate raw file objects.
            _set_limits(job["lim"])
            if _UID is not None:
                os.setgroups([])
                os.setresgid(_GID, _GID, _GID)
                os.setresuid(_UID, _UID, _UID)
            _child_main(job, start, fd, nonce, mode)
        except BaseException as e:
            try:
                os.write(2, ("runner failed: %r\n" % (e,)).encode())
            except BaseException:
                pass
        _exit(70)
    for f in (rw, bw, outw, errw, inr):
        if f is not None:
            os.close(f)
    os.set_blocking(rr, False)
    os.set_blocking(br, False)
    if inw is not None:
        try:
            os.set_blocking(inw, False)
        except OSError:
            pass
    return pid, rr, br, outr, errr, inw, nonce, scratch


def _sweep(pid):
    """Kill whatever the child started (in our pid namespace: every process but init and us)."""
    if _PIDNS:
        me = os.getpid()
        for _ in range(5000):
            left = [p for p in os.listdir("/proc") if p.isdigit() and int(p) not in (1, me)]
            if not left:
                return
            try:
                os.kill(-1, signal.SIGKILL)
            except OSError:
                pass
            _reap()
            time.sleep(0.0005)
    else:
        try:
            os.killpg(pid, signal.SIGKILL)
        except OSError:
            pass


def _reap():
    while True:
        try:
            p, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if p == 0:
            return


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
                    if os.path.islink(p):
                        os.unlink(p)
                    else:
                        os.rmdir(p)
                except OSError:
                    pass
        os.rmdir(path)
    except OSError:
        pass


class _Child:
    def __init__(self, job, start, mode, stdin_data=None):
        self.pid, self.rfd, self.bfd, self.ofd, self.efd, self.ifd, self.nonce, self.scratch = _spawn(job, start, mode, stdin_data)
        self.rang = False
        self.buf = b""
        self.frames = []
        self.out = []
        self.out_n = 0
        self.done = False
        self.status = None  # waitpid status once exited
        self.bad = False
        self.stdin = memoryview(stdin_data.encode("utf-8", "surrogateescape")) if stdin_data is not None else None
        self.open = {self.rfd, self.bfd, self.ofd, self.efd}
        if self.ifd is not None and not self.stdin:
            os.close(self.ifd)
            self.ifd = None

    def _parse(self):
        if self.bad:
            # Nothing after a forged or malformed frame is believed.
            self.buf = b""
            return
        while len(self.buf) >= 20:
            if self.buf[:16] != self.nonce:
                self.bad = True
                self.buf = b""
                return
            n = int.from_bytes(self.buf[16:20], "big")
            if n > 64 * 1024 * 1024:
                self.bad = True
                self.buf = b""
                return
            if len(self.buf) < 20 + n:
                return
            try:
                frame = json.loads(self.buf[20:20 + n])
            except ValueError:
                self.bad = True
                self.buf = b""
                return
            self.buf = self.buf[20 + n:]
            self.frames.append(frame)
            if frame.get("f") == "D":
                self.done = True

    def read_results(self):
        """Drain the result pipe without blocking; returns how many bytes arrived."""
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
            self.buf += data
        if got:
            self._parse()
        return got

    def pump(self, timeout, out_cap):
        """Wait up to `timeout` s for the child to exit, print or read stdin; returns 'output' past the cap.
        The result pipe is not watched: frames carry the child's clock, so the server need not wake for each."""
        rl = [fd for fd in (self.ofd, self.efd, self.bfd) if fd in self.open]
        wl = [self.ifd] if self.ifd is not None else []
        try:
            r, w, _ = select.select(rl + [_WAKE_R], wl, [], max(0.0, timeout))
        except InterruptedError:
            r, w = [], []
        if _WAKE_R in r:
            try:
                os.read(_WAKE_R, 4096)
            except OSError:
                pass
        for fd in w:
            try:
                k = os.write(fd, self.stdin[:65536])
                self.stdin = self.stdin[k:]
            except BlockingIOError:
                k = 0
            except OSError:
                self.stdin = memoryview(b"")
            if not self.stdin:
                os.close(self.ifd)
                self.ifd = None
        for fd in r:
            if fd == _WAKE_R:
                continue
            try:
                data = os.read(fd, 1 << 20)
            except OSError:
                data = b""
            if not data:
                self.open.discard(fd)
                continue
            if fd == self.bfd:
                self.rang = True
                continue
            self.out_n += len(data)
            if fd == self.ofd and self.out_n <= out_cap:
                self.out.append(data)
            if self.out_n > out_cap:
                return "output"
        if self.status is None:
            try:
                p, st = os.waitpid(self.pid, os.WNOHANG)
                if p == self.pid:
                    self.status = st
            except ChildProcessError:
                self.status = 0
        return None

    def finish(self):
        if self.status is None:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except OSError:
                pass
            try:
                _, self.status = os.waitpid(self.pid, 0)
            except ChildProcessError:
                self.status = 0
        _sweep(self.pid)
        # Drain whatever is left (writers are dead now).
        for fd in list(self.open):
            try:
                os.set_blocking(fd, False)
                while True:
                    data = os.read(fd, 1 << 20)
                    if not data:
                        break
                    if fd == self.rfd:
                        self.buf += data
                    elif fd == self.ofd:
                        self.out.append(data)
            except OSError:
                pass
        self._parse()
        for fd in (self.rfd, self.bfd, self.ofd, self.efd, self.ifd):
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self.open.clear()
        try:
            os.rmdir(self.scratch)  # the common case: the candidate wrote nothing
        except OSError:
            _rmtree(self.scratch)

    def death(self):
        """Verdict for a child that vanished without reporting."""
        st = self.status or 0
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


def _run_child(job, start, mode, lim, deadline_total, stdin_data=None, on_frame=None):
    """Runs one child to completion. Returns (child, reason) where reason is None|'timeout'|'output'|'total'|'bad'."""
    c = _Child(job, start, mode, stdin_data)
    test_s = lim["test_s"]
    last = time.monotonic()
    reason = None
    seen = 0

    def progress():
        # New frames (and their child-side timestamps) move the per-test deadline; bytes of a frame
        # still being written (a large value) count as progress too.
        nonlocal last, seen
        got = c.read_results() or c.rang
        c.rang = False
        for f in c.frames[seen:]:
            t = f.get("t")
            if isinstance(t, float) and last < t <= time.monotonic():
                last = t
            if on_frame:
                on_frame(f)
        if got and len(c.frames) == seen:
            last = time.monotonic()
        seen = len(c.frames)

    try:
        while True:
            now = time.monotonic()
            if now >= deadline_total:
                progress()
                reason = "total"
                break
            if now - last >= test_s:
                progress()
                if now - last >= test_s:
                    reason = "timeout"
                    break
            wait = min(deadline_total - now, test_s - (now - last))
            r = c.pump(wait, lim["out"])
            if c.rang:
                progress()
            if r == "output":
                progress()
                reason = "output"
                break
            if c.status is not None:
                # The child is gone (a daemon it left may still hold the pipes: finish() drains them).
                break
    finally:
        c.finish()
    progress()
    if c.bad and reason is None:
        reason = "bad"
    return c, reason


def _eval_expected(job, lim):
    exprs = job.get("exp") or []
    if not exprs:
        return []
    out = [None] * len(exprs)
    deadline = time.monotonic() + lim["total_s"]
    c, reason = _run_child(job, 0, "exp", lim, deadline)
    for f in c.frames:
        if f.get("f") == "R":
            out[f["i"]] = {"v": f["v"]} if f["s"] == "ok" else {"e": f.get("e", f["s"])}
        elif f.get("f") == "E":
            for i in range(len(out)):
                if out[i] is None:
                    out[i] = {"e": f.get("e", "setup failed")}
    why = {"timeout": "timeout", "output": "output limit", "total": "timeout", "bad": "bad frame"}.get(reason) or c.death()[1]
    return [o if o is not None else {"e": "expected value not computed: " + why, "lost": True} for o in out]


def _run_function(job, lim, res):
    tests = job["tests"]
    n = len(tests)
    deadline = time.monotonic() + lim["total_s"]
    i = 0
    compiled = True
    while i < n:
        state = {"loaded": False}

        def on_frame(f, state=state):
            k = f.get("f")
            if k == "L":
                state["loaded"] = True
            elif k == "R":
                j = f["i"]
                if 0 <= j < n and res[j] is None:
                    res[j] = {"s": f["s"], "ms": f.get("ms", 0)}
                    if "v" in f:
                        res[j]["v"] = f["v"]
                    if "e" in f:
                        res[j]["e"] = f["e"]

        c, reason = _run_child(job, i, "cand", lim, deadline, on_frame=on_frame)
        for f in c.frames:
            if f.get("f") == "C":
                compiled = False
                for j in range(n):
                    res[j] = {"s": "compile_error", "e": f.get("e", ""), "ms": 0}
                return compiled
            if f.get("f") == "E":
                for j in range(i, n):
                    if res[j] is None:
                        res[j] = {"s": f.get("s", "runtime_error"), "e": f.get("e", ""), "ms": 0}
                return compiled
        while i < n and res[i] is not None:
            i += 1
        if i >= n:
            break
        if reason == "total":
            for j in range(i, n):
                res[j] = {"s": "timeout", "e": "total time budget exhausted", "ms": 0}
            break
        if reason == "timeout":
            st, msg = "timeout", "wall-clock deadline %.3gs" % lim["test_s"]
        elif reason == "output":
            st, msg = "output_limit", "output exceeded %d bytes" % lim["out"]
        elif reason == "bad":
            st, msg = "killed", "forged or malformed result frame"
        else:
            st, msg = c.death()
            if st == "killed" and c.status is not None:
                st = "killed"
        if not state["loaded"]:
            # The candidate's module code itself failed: the same would happen for every test.
            for j in range(i, n):
                res[j] = {"s": st, "e": msg, "ms": 0}
            break
        res[i] = {"s": st, "e": msg, "ms": 0}
        i += 1
    return compiled


def _run_stdio(job, lim, res):
    deadline = time.monotonic() + lim["total_s"]
    compiled = True
    for i, t in enumerate(job["tests"]):
        if t["k"] != "stdio":
            res[i] = {"s": "runtime_error", "e": "not a stdio test", "ms": 0}
            continue
        if time.monotonic() >= deadline:
            res[i] = {"s": "timeout", "e": "total time budget exhausted", "ms": 0}
            continue
        c, reason = _run_child(job, i, "stdio", lim, deadline, stdin_data=t["i"])
        r = None
        for f in c.frames:
            if f.get("f") == "C":
                compiled = False
                for j in range(len(res)):
                    res[j] = {"s": "compile_error", "e": f.get("e", ""), "ms": 0}
                return compiled
            if f.get("f") == "E":
                r = {"s": f.get("s", "runtime_error"), "e": f.get("e", ""), "ms": 0}
            if f.get("f") == "R":
                r = {"s": f["s"], "ms": f.get("ms", 0)}
                if "e" in f:
                    r["e"] = f["e"]
        if reason in ("timeout", "total"):
            r = {"s": "timeout", "e": "wall-clock deadline", "ms": 0}
        elif reason == "output":
            r = {"s": "output_limit", "e": "output exceeded %d bytes" % lim["out"], "ms": 0}
        elif reason == "bad":
            r = {"s": "killed", "e": "forged or malformed result frame", "ms": 0}
        elif r is None:
            st, msg = c.death()
            r = {"s": st, "e": msg, "ms": 0}
        if r["s"] == "ok":
            r["o"] = b"".join(c.out).decode("utf-8", "replace")
        res[i] = r
    return compiled


def _handle(job):
    t0 = time.perf_counter()
    lim = job["lim"]
    exp = _eval_expected(job, lim) if job.get("exp") else []
    res = [None] * len(job.get("tests") or [])
    if job.get("kind") == "stdio":
        compiled = _run_stdio(job, lim, res)
    else:
        compiled = _run_function(job, lim, res)
    res = [r if r is not None else {"s": "killed", "e": "no result", "ms": 0} for r in res]
    return {"id": job["id"], "exp": exp, "compiled": compiled, "res": res, "ms": (time.perf_counter() - t0) * 1000}


def _info():
    st = open("/proc/self/status").read()
    caps = [l for l in st.splitlines() if l.startswith(("CapEff", "NoNewPrivs"))]
    return {"pid": os.getpid(), "uid": os.getuid(), "status": caps, "python": sys.version.split()[0]}


def _warm():
    """Lazy interpreter state a child would otherwise build on every fork: the first compile() builds
    the AST types (~1 ms per child), the first eval/encode warm their own caches."""
    compile("x = 1", "<warm>", "exec")
    _eval(_compile("(lambda *a, **k: (a, k))(1, k=2\n)", "<warm>", "eval"))
    encode([1, 2.5, "s", (1,), {1: 2}, {3}, None, True, b"b", 1j])
    _describe(ValueError("warm"))


def main():
    global _WAKE_R
    if _PIDNS and os.getpid() > 3:
        sys.stderr.write("refusing: pidns requested but pid is %d\n" % os.getpid())
        sys.exit(3)
    os.makedirs(_SCRATCH, exist_ok=True)
    os.chmod(_SCRATCH, 0o711)
    # The candidates' environment: nothing from the parent; each child then sets its own HOME and TMPDIR.
    os.environ.clear()
    os.environ.update({"HOME": _SCRATCH, "TMPDIR": _SCRATCH, "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"})
    _WAKE_R, wake_w = os.pipe()
    os.set_blocking(wake_w, False)
    os.set_blocking(_WAKE_R, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    try:
        import ctypes  # Non-dumpable: same-uid processes cannot ptrace us or open /proc/<us>/fd or mem.
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
    inp = os.fdopen(0, "rb", buffering=0)
    out = os.fdopen(1, "wb", buffering=0)
    pending = b""
    out.write((json.dumps({"id": 0, "ready": _info()}) + "\n").encode())
    while True:
        while b"\n" not in pending:
            try:
                chunk = inp.read(1 << 20)
            except InterruptedError:
                continue
            if not chunk:
                return
            pending += chunk
        line, pending = pending.split(b"\n", 1)
        job = json.loads(line)
        if job.get("op") == "info":
            reply = {"id": job["id"], "info": _info()}
        else:
            try:
                reply = _handle(job)
            except Exception as e:
                reply = {"id": job["id"], "error": "server: %r" % (e,)}
        out.write((json.dumps(reply) + "\n").encode())


_WAKE_R = -1
if __name__ == "__main__":
    main()

# The child side: what runs in a process forked from a clean template (template.py). It reads its own job
# from the control pipe (nothing else of any other job was ever in its memory), drops to its uid, and runs
# in one of four modes:
#   cand   the candidate's code, then its call tests; at an assert test it waits and serves calls instead
#   stdio  the candidate's code with one test's stdin
#   exp    expected-value expressions (set-up only, no candidate code)
#   judge  assert tests (set-up and test code only): the candidate's names are stubs that the server
#          forwards to the candidate's process, and return values come back as plain builtins
# Frames (4-byte length | JSON) go to fd 3; the server reads them only when rung on fd 5.
import _signal, builtins, json, keyword, os, resource, select, sys, time
from . import values

# Names here resolve in a private copy of the builtins: the candidate may patch the real ones.
__builtins__ = dict(builtins.__dict__)

RESULT, CONTROL, BELL = 3, 4, 5

_type, _len, _range, _callable = builtins.type, builtins.len, builtins.range, builtins.callable
_write, _read, _exit, _perf, _mono, _select = os.write, os.read, os._exit, time.perf_counter, time.monotonic, select.select
_compile, _exec, _eval = builtins.compile, builtins.exec, builtins.eval
_BaseException, _MemoryError, _SystemExit, _AssertionError = BaseException, MemoryError, SystemExit, AssertionError
_ModuleType = type(sys)
_encode, _decode, _esc, _float_repr = values.encode, values.decode, values._esc, float.__repr__
# json.loads/dumps are Python code that calls isinstance & co. at run time (the candidate may patch those):
# the C scanner alone reads our lines.
_scan_once = json.JSONDecoder().scan_once
_type_name = values._type_name
# Applied to a call test's return value in the candidate's process (`assert set(f(x)) == {...}` and the like).
_WRAPS = {"bool": bool, "not_none": lambda v: v is not None, "set": set, "frozenset": frozenset, "list": list,
          "tuple": tuple, "sorted": sorted, "int": int, "float": float, "str": str, "len": len, "abs": abs, "round": round}
_pending = bytearray()


def describe(e):
    """`Type: message`, best effort, bounded; the message may come from the candidate's code."""
    name = "Exception"
    try:
        name = _type_name(_type(e))
    except _BaseException:
        pass
    msg = ""
    try:
        msg = str.__str__(_BaseException.__str__(e))[:2000]
    except _BaseException:
        pass
    return (str.__str__(name) + (": " + msg if msg else ""))[:2100]


def status_of(e):
    return "memory_exceeded" if isinstance(e, _MemoryError) else "runtime_error"


def _ring():
    try:
        _write(BELL, b"!")
    except OSError:
        pass


def send(*payloads, ring=False):
    """One write for several frames: each wake-up of the server costs more than the bytes."""
    parts = []
    for p in payloads:
        data = p.encode("ascii")
        parts.append(_len(data).to_bytes(4, "big") + data)
    view = memoryview(b"".join(parts))
    while view:
        try:
            view = view[_write(RESULT, view):]
        except BlockingIOError:
            _ring()  # the pipe is full (a large value) and the server is not watching it
            _select([], [RESULT], [], None)
    if ring:
        _ring()


def read_line():
    """The next line on the control pipe (the job, then requests), parsed."""
    while True:
        nl = _pending.find(b"\n")
        if nl >= 0:
            line = bytes(_pending[:nl])
            del _pending[:nl + 1]
            return _scan_once(line.decode("utf-8"), 0)[0]
        chunk = _read(CONTROL, 1 << 20)
        if not chunk:
            _exit(0)
        _pending.extend(chunk)


def _set_limits(lim):
    cpu = max(1, int(lim["total_s"] + 1.999))
    for res, val in (
        (resource.RLIMIT_AS, int(lim["mem"])),
        (resource.RLIMIT_CPU, cpu),
        (resource.RLIMIT_FSIZE, 16 * 1024 * 1024),
        (resource.RLIMIT_NOFILE, 64),
        (resource.RLIMIT_CORE, 0),
        (resource.RLIMIT_NPROC, 256),
        (resource.RLIMIT_STACK, 64 * 1024 * 1024),
    ):
        try:
            resource.setrlimit(res, (val, val + 1 if res == resource.RLIMIT_CPU else val))
        except (ValueError, OSError):
            pass


def _enter(job):
    os.chdir(job["scratch"])
    os.environ["HOME"] = os.environ["TMPDIR"] = job["scratch"]
    _set_limits(job["lim"])
    uid = job.get("uid")
    if uid is not None:
        os.setgroups([])
        os.setresgid(uid, uid, uid)
        os.setresuid(uid, uid, uid)


def _exit_builtin(code=None):
    raise _SystemExit(code)


def _fresh_main():
    """A fresh `__main__` module: pickle and dataclasses find the code's own namespace, not the server's."""
    main = _ModuleType("__main__")
    g = main.__dict__
    g["__builtins__"] = builtins
    sys.modules["__main__"] = main
    builtins.exit = builtins.quit = _exit_builtin
    return g


def child_main():
    """Entry of a forked child (fds 0-5 in place). Never returns."""
    try:
        job = read_line()
        _enter(job)
        mode = job["mode"]
        g = _fresh_main()
        if mode == "exp":
            _expected(job, g)
        elif mode == "judge":
            _judge(job, g)
        else:
            _candidate(job, g, mode)
    except _BaseException as e:
        try:
            _write(2, ("runner failed: %r\n" % (e,)).encode())
        except _BaseException:
            pass
    _exit(70)


# ---------------------------------------------------------------- expected values (no candidate code)

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


def _run_setup(setup, g):
    """Set-up without the candidate's code may refer to its names: run what runs."""
    if setup:
        try:
            _exec(_compile(setup, "<setup>", "exec"), g)
        except _BaseException:
            pass


def _expected(job, g):
    _run_setup(job.get("setup"), g)
    names = _StdlibNames(g)
    for i, expr in enumerate(job["exp"]):
        try:
            body = ',"s":"ok","v":' + _encode(_eval(_compile(expr, "<expected>", "eval"), g, names))
        except _BaseException as e:
            body = ',"s":"' + status_of(e) + '","e":' + _esc(describe(e))
        send('{"f":"R","i":' + str(i) + ',"t":' + _float_repr(_mono()) + body + "}")
    send('{"f":"D"}', ring=True)
    _exit(0)


# ---------------------------------------------------------------- the candidate's process

def _candidate(job, g, mode):
    try:
        code = _compile(job["code"], "<candidate>", "exec")
    except _BaseException as e:
        try:
            kind = _type(e)
            msg = _type_name(kind) + ": " + (str(e) if kind in (SyntaxError, IndentationError, TabError) else describe(e))
        except _BaseException:
            msg = "SyntaxError"
        send('{"f":"C","e":' + _esc(msg[:2000]) + "}")
        _exit(0)
    if mode == "stdio":
        _stdio(job, g, code)
    try:
        _exec(code, g)
    except _BaseException as e:
        send('{"f":"E","s":"' + status_of(e) + '","e":' + _esc(describe(e)) + "}")
        _exit(0)
    setup = job.get("setup")
    if setup:
        # As MBPP's harness does: candidate code, then the test set-up, then the tests.
        try:
            _exec(_compile(setup, "<setup>", "exec"), g)
        except _BaseException as e:
            send('{"f":"E","s":"runtime_error","e":' + _esc("test set-up failed: " + describe(e)) + "}")
            _exit(0)
    names = []
    try:
        names = [k for k, v in list(g.items()) if _type(k) is str and k.isidentifier() and _callable(v)][:4096]
    except _BaseException:
        pass
    send('{"f":"L","t":' + _float_repr(_mono()) + ',"n":[' + ",".join(_esc(n) for n in names) + "]}")
    entry = job.get("entry")
    tests = job["tests"]
    for i in _range(job["start"], _len(tests)):
        t = tests[i]
        if t["k"] == "assert":
            send('{"f":"A","i":' + str(i) + ',"t":' + _float_repr(_mono()) + "}", ring=True)
            _serve(g)
            continue
        t0 = _perf()
        try:
            fn = g.get(entry) if entry else None
            if fn is None:
                raise NameError("entry point " + repr(entry) + " is not defined")
            a, k = _eval(_compile("(lambda *a, **k: (a, k))(" + t["a"] + "\n)", "<args>", "eval"), g)
            v = fn(*a, **k)
            w = t.get("w")
            if w is not None:
                v = _WRAPS[w](v)
            body = ',"s":"ok","v":' + _encode(v)
        except _BaseException as e:
            body = ',"s":"' + status_of(e) + '","e":' + _esc(describe(e))
        frame = '{"f":"R","i":' + str(i) + ',"ms":' + _float_repr((_perf() - t0) * 1000) + ',"t":' + _float_repr(_mono()) + body + "}"
        if i == _len(tests) - 1:
            send(frame, '{"f":"D"}', ring=True)
            _exit(0)
        send(frame)
    send('{"f":"D"}', ring=True)
    _exit(0)


def _serve(g):
    """At an assert test: answer the judge's calls (forwarded by the server) until told to go on."""
    while True:
        req = read_line()
        if "go" in req:
            return
        try:
            fn = g.get(req["q"])
            if fn is None:
                raise NameError("name " + repr(req["q"]) + " is not defined")
            v = fn(*[_decode(a) for a in req["a"]], **{k: _decode(x) for k, x in req["k"]})
            body = ',"s":"ok","v":' + _encode(v, None)
        except _BaseException as e:
            name = "Exception"
            try:
                name = _type_name(_type(e))
            except _BaseException:
                pass
            body = ',"s":"' + status_of(e) + '","x":' + _esc(str.__str__(name)[:100]) + ',"e":' + _esc(describe(e))
        send('{"f":"V","t":' + _float_repr(_mono()) + body + "}", ring=True)


def _stdio(job, g, code):
    t0 = _perf()
    try:
        _exec(code, g)
        st, err = "ok", None
    except _SystemExit as e:
        c = e.code
        st, err = ("ok", None) if c is None or c == 0 else ("runtime_error", "SystemExit: " + describe(e))
    except _BaseException as e:
        st, err = status_of(e), describe(e)
    try:
        sys.stdout.flush()
    except _BaseException:
        pass
    send('{"f":"R","i":' + str(job["start"]) + ',"s":"' + st + '","ms":' + _float_repr((_perf() - t0) * 1000)
         + (',"e":' + _esc(err) if err is not None else "") + "}", '{"f":"D"}', ring=True)
    _exit(0)


# ---------------------------------------------------------------- the judge (assert tests)

class _Lost(BaseException):
    """The candidate's process went away during a call (timeout, crash, output limit)."""


def _raise_remote(reply):
    """The candidate's exception, as a builtin exception of the same name where there is one."""
    cls = getattr(builtins, reply.get("x", ""), None)
    if not (isinstance(cls, type) and issubclass(cls, Exception)):
        cls = RuntimeError
    raise cls(reply.get("e", ""))


def _stub(name):
    def forward(*a, **k):
        send('{"f":"Q","n":' + _esc(name) + ',"a":[' + ",".join(_encode(x, None) for x in a) + '],"k":['
             + ",".join("[" + _esc(key) + "," + _encode(x, None) + "]" for key, x in k.items()) + "]}", ring=True)
        reply = read_line()
        if "lost" in reply:
            raise _Lost(reply["lost"])
        if reply["s"] == "ok":
            return _decode(reply["v"])
        if reply["s"] == "memory_exceeded":
            raise MemoryError(reply.get("e", ""))
        _raise_remote(reply)

    forward.__name__ = forward.__qualname__ = name
    return forward


def _judge(job, g):
    # Stubs first, so that the set-up and the tests may call the candidate's functions; whatever the
    # set-up and tests define themselves replaces a stub, and no stub ever shadows a builtin.
    for name in [job["entry"], *job["names"]]:
        if name and name.isidentifier() and not keyword.iskeyword(name) and not name.startswith("__") and not hasattr(builtins, name):
            g[name] = _stub(name)
    _run_setup(job.get("setup"), g)
    asserts = job["asserts"]
    while True:
        i = read_line()["run"]
        t0 = _perf()
        try:
            _exec(_compile(asserts[str(i)], "<test>", "exec"), g)
            body = ',"s":"ok"'
        except _Lost:
            body = ',"s":"lost"'
        except _AssertionError as e:
            body = ',"s":"failed","e":' + _esc(describe(e))
        except _BaseException as e:
            body = ',"s":"' + status_of(e) + '","e":' + _esc(describe(e))
        send('{"f":"R","i":' + str(i) + ',"ms":' + _float_repr((_perf() - t0) * 1000) + ',"t":' + _float_repr(_mono()) + body + "}", ring=True)

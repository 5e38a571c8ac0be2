# A clean template: forked from the server at start-up, before the server reads any job, and never told
# anything about one afterwards. It keeps the server stocked with one child forked ahead (pipes in place,
# waiting for its job on fd 4): it hands the child's pid and the server's ends of its pipes over the socket
# (SCM_RIGHTS) as soon as it is forked, and forks the next one when the server asks (b"g": it took that
# one). Children are reaped as they exit. Messages to the server (SOCK_SEQPACKET, one per datagram):
#   b"c" pid + fds    a child ready: stdin(w), stdout(r), stderr(r), result(r), control(w), bell(r)
#   b"x" pid status   a child exited (waitpid status)
import _signal, fcntl, os, select, socket, struct
from . import runner

_F_SETPIPE_SZ = 1031


def _fork_spare():
    """A child waiting for its job; returns (pid, server ends of its pipes)."""
    ends = [os.pipe() for _ in range(6)]  # stdin, stdout, stderr, result, control, bell
    try:
        fcntl.fcntl(ends[3][1], _F_SETPIPE_SZ, 1 << 20)  # values up to 1 MiB without the child waiting
    except OSError:
        pass
    pid = os.fork()
    if pid == 0:
        try:
            os.setsid()
            _signal.set_wakeup_fd(-1)
            for sig in (_signal.SIGCHLD, _signal.SIGPIPE):
                _signal.signal(sig, _signal.SIG_DFL)
            # The child's ends at 0..5 (via high numbers, so that no dup2 clobbers a pipe still needed).
            mine = [ends[0][0], ends[1][1], ends[2][1], ends[3][1], ends[4][0], ends[5][1]]
            high = [fcntl.fcntl(fd, fcntl.F_DUPFD, 64) for fd in mine]
            for target, fd in enumerate(high):
                os.dup2(fd, target)
            os.closerange(6, 4096)
            os.set_blocking(runner.RESULT, False)
            os.set_blocking(runner.BELL, False)
            runner.child_main()
        except BaseException as e:
            try:
                os.write(2, ("spare failed: %r\n" % (e,)).encode())
            except BaseException:
                pass
        os._exit(70)
    theirs = [ends[0][1], ends[1][0], ends[2][0], ends[3][0], ends[4][1], ends[5][0]]
    for r, w in ends:
        for fd in (r, w):
            if fd not in theirs:
                os.close(fd)
    return pid, theirs


def template_main(sock):
    """Never returns: serves fork requests until the server goes away."""
    dn = os.open("/dev/null", os.O_RDWR)
    os.dup2(dn, 0)
    os.dup2(dn, 1)  # the server's pipes to Node are not ours to hold
    os.close(dn)
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_r, False)
    os.set_blocking(wake_w, False)
    _signal.set_wakeup_fd(wake_w)
    _signal.signal(_signal.SIGCHLD, lambda *_: None)
    stocked = False
    while True:
        if not stocked:
            pid, fds = _fork_spare()
            socket.send_fds(sock, [b"c" + struct.pack("<i", pid)], fds)
            for fd in fds:
                os.close(fd)
            stocked = True
        try:
            ready, _, _ = select.select([sock, wake_r], [], [])
        except InterruptedError:
            ready = [wake_r]
        if sock in ready:
            msg = sock.recv(16)
            if not msg:
                os._exit(0)
            if msg == b"g":
                stocked = False
        if wake_r in ready:
            try:
                os.read(wake_r, 4096)
            except OSError:
                pass
            while True:
                try:
                    done, status = os.waitpid(-1, os.WNOHANG)
                except ChildProcessError:
                    break
                if done == 0:
                    break
                sock.send(b"x" + struct.pack("<ii", done, status))

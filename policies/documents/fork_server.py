"""The document sandbox's fork server: a warm zygote forks each `sandbox.run` child (Linux).

A fresh interpreter per document spends ~60-90 ms of CPU before it reads a byte (the
interpreter, Pillow, pypdfium2, the email package). The zygote pays that once: it starts
through `sandbox.spawn` (a fresh interpreter, nothing of the parent's state, no limits),
imports the parsers and then only forks, single-threaded. Per document it receives a request
and four descriptors (SCM_RIGHTS over the control socket, a Unix SOCK_SEQPACKET pair): the
request's own reply socket and the child's stdin, stdout and stderr. It closes its copies of
the three streams as soon as it has forked, so it never holds a document.

The child closes every other descriptor (the control socket first), applies the same limits
as a fresh child (`sandbox._apply_limits`), calls the entry and `_exit`s: it never returns
into the zygote's loop. On the reply socket the zygote answers the child's pidfd at fork (the
parent kills a child at its deadline through it, with no race on a reused pid, even after the
zygote died) and its exit status at exit, as a subprocess.Popen returncode, so `sandbox` tells
SIGXCPU, a signal death and an exit status apart as for a fresh child. Replies never share a
socket, so concurrent `run`s cannot take each other's; the control socket carries only
requests, sent under a lock.

The zygote kills a child whose reply socket reaches EOF (its parent gave the document up or
died). Lifetime: started lazily per process (a forked gateway process forgets its parent's at
the fork and starts its own), replaced on the next request when it has died, stopped at
interpreter exit; it exits, killing its children, when the control socket reaches EOF, so it
never outlives the process that started it. When it cannot be started the document is refused
('crashed', the job is held): there is no silent fallback to fresh interpreters.
"""

from __future__ import annotations

import atexit
import dataclasses
import gc
import importlib
import json
import os
import select
import signal
import socket
import subprocess
import sys
import threading
import time
import traceback

from policies.documents import sandbox

__all__ = ["AVAILABLE", "start"]

AVAILABLE = all(hasattr(m, n) for m, n in ((os, "fork"), (os, "pidfd_open"), (signal, "pidfd_send_signal"),
                                           (socket, "send_fds"), (socket, "AF_UNIX")))

# The parsers every document child needs; an entry's own module is imported on its first request.
_PRELOAD = ("policies.documents.load", "policies.documents.prepend", "pypdfium2", "pypdfium2.raw",
            "PIL.TiffImagePlugin")
_SERVE = "policies.documents.fork_server:serve"
_MAX_REQUEST = 1 << 16

_lock = threading.Lock()
_zygote: _Zygote | None = None


class _Zygote:
    def __init__(self):
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            self.process = sandbox.spawn(_SERVE, str(theirs.fileno()), None, stdin=subprocess.DEVNULL,
                                         stdout=subprocess.DEVNULL, pass_fds=(theirs.fileno(),))
        except BaseException:
            ours.close()
            raise
        finally:
            theirs.close()
        self.control = ours

    def retire(self) -> None:
        """Close our end (the zygote then kills its children and exits); kill it if it lingers."""
        self.control.close()
        try:
            self.process.wait(2)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _send(request: bytes, fds: list[int]) -> None:
    """`request` with `fds` to this process's zygote, (re)started if it is missing or dead."""
    global _zygote
    with _lock:
        for attempt in range(2):
            if _zygote is None or _zygote.process.poll() is not None:
                if _zygote is not None:
                    _zygote.retire()
                    _zygote = None
                _zygote = _Zygote()
            try:
                socket.send_fds(_zygote.control, [request], fds)
                return
            except OSError:  # it died after the check: nothing of this request reached it
                _zygote.retire()
                _zygote = None
                if attempt:
                    raise


def _forget() -> None:
    """In a forked process: the zygote is the parent's; drop our copy of its socket (so that it
    still sees EOF when the parent dies) and a lock another thread may have held at the fork."""
    global _lock, _zygote
    _lock = threading.Lock()
    if _zygote is not None:
        _zygote.control.close()
        _zygote = None


if AVAILABLE:
    os.register_at_fork(after_in_child=_forget)


@atexit.register
def _stop() -> None:
    global _zygote
    with _lock:
        if _zygote is not None:
            _zygote.retire()
            _zygote = None


def start(entry: str, argument: str, limits: sandbox.ChildLimits, stdin, stderr, deadline: float) -> _Child:
    """A child forked by the zygote running `entry` on `argument` under `limits`, reading
    `stdin` and writing `stderr` (files); its stdout is the returned child's pipe. Raises
    subprocess.TimeoutExpired when the zygote has not forked it by `deadline`, OSError when
    the zygote cannot be started or died before forking it."""
    request = json.dumps({"entry": entry, "argument": argument, "limits": dataclasses.asdict(limits)}).encode()
    if len(request) > _MAX_REQUEST:
        raise ValueError("sandbox request too large")
    read_end, write_end = os.pipe()
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    child = _Child(ours, open(read_end, "rb", buffering=0))
    try:
        try:
            _send(request, [theirs.fileno(), stdin.fileno(), write_end, stderr.fileno()])
        finally:
            os.close(write_end)  # the child's end: EOF on the pipe once the child is gone
            theirs.close()
        message, fds = child.receive(max(0.0, deadline - time.monotonic()))
        if message is None or "pid" not in message or len(fds) != 1:
            raise ChildProcessError("the sandbox's fork server died before forking the parser process")
        child.pidfd = fds[0]
        return child
    except BaseException:
        child.release()
        child.stdout.close()
        raise


class _Child:
    """A forked child, as `sandbox.run` uses a subprocess.Popen: stdout, poll, kill, wait.
    `returncode` stays None when the zygote died first (the status is lost)."""

    def __init__(self, reply: socket.socket, stdout):
        self.reply, self.stdout = reply, stdout
        self.pidfd = self.returncode = None

    def receive(self, timeout: float | None) -> tuple[dict | None, list[int]]:
        """The zygote's next reply (None: it died), or subprocess.TimeoutExpired."""
        if not select.select([self.reply], [], [], timeout)[0]:
            raise subprocess.TimeoutExpired("sandbox child", timeout)
        message, fds, _, _ = socket.recv_fds(self.reply, 1024, 1)
        return (json.loads(message) if message else None), fds

    def poll(self) -> int | None:
        if self.reply is not None:
            try:
                self._settle(0)
            except subprocess.TimeoutExpired:
                pass
        return self.returncode

    def wait(self, timeout: float | None = None) -> int | None:
        if self.reply is not None:
            self._settle(timeout)
        return self.returncode

    def kill(self) -> None:
        if self.pidfd is not None:
            try:
                signal.pidfd_send_signal(self.pidfd, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def _settle(self, timeout: float | None) -> None:
        message, _ = self.receive(timeout)
        if message is None:  # the zygote died: the child is an orphan now, still ours to kill
            self.kill()
        else:
            self.returncode = message["status"]
        self.release()

    def release(self) -> None:
        self.reply.close()
        self.reply = None
        if self.pidfd is not None:
            os.close(self.pidfd)
            self.pidfd = None


# --- the zygote -----------------------------------------------------------------------------


def serve(argument: str) -> None:
    """The zygote's loop on the control socket numbered `argument`, until its EOF."""
    control = socket.socket(fileno=int(argument))
    for module in _PRELOAD:
        importlib.import_module(module)
    gc.freeze()  # the children's collector leaves the zygote's objects alone: fewer copied pages
    children: dict[int, tuple[int, socket.socket]] = {}  # pidfd: pid, reply socket
    watched: dict[socket.socket, int] = {}  # reply socket: pidfd, until the child is killed
    while True:
        for source in select.select([control, *children, *watched], [], [])[0]:
            if source is control:
                if not _fork(control, children, watched):
                    for pidfd, (pid, _) in children.items():
                        _kill(pidfd)
                        os.waitpid(pid, 0)
                    return
            elif source in watched:  # EOF: the parent gave the document up, or died
                _kill(watched.pop(source))
            else:
                _reap(source, children, watched)


def _fork(control: socket.socket, children: dict, watched: dict) -> bool:
    """Fork the child of the next request; False at EOF (the parent is gone)."""
    message, fds, _, _ = socket.recv_fds(control, _MAX_REQUEST, 4)
    if not message:
        return False
    reply, streams = socket.socket(fileno=fds[0]), fds[1:]
    try:
        request = json.loads(message)
        module = request["entry"].partition(":")[0]
        if module not in sys.modules:
            try:
                importlib.import_module(module)
                gc.freeze()
            except Exception:  # left to the child, which then fails as a fresh interpreter would
                pass
        try:
            pid = os.fork()
        except OSError:
            reply.close()  # the parent reads EOF: 'crashed'
            return True
        if pid == 0:
            _child(control, children, reply, streams, request)
    finally:
        for fd in streams:
            os.close(fd)
    pidfd = os.pidfd_open(pid)
    children[pidfd] = (pid, reply)
    watched[reply] = pidfd
    try:
        socket.send_fds(reply, [json.dumps({"pid": pid}).encode()], [pidfd])
    except OSError:  # the parent has given the document up already
        _kill(watched.pop(reply))
    return True


def _reap(pidfd: int, children: dict, watched: dict) -> None:
    pid, reply = children.pop(pidfd)
    watched.pop(reply, None)
    _, status = os.waitpid(pid, 0)
    os.close(pidfd)
    try:
        reply.send(json.dumps({"status": os.waitstatus_to_exitcode(status)}).encode())
    except OSError:
        pass
    reply.close()


def _kill(pidfd: int) -> None:
    try:
        signal.pidfd_send_signal(pidfd, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _child(control: socket.socket, children: dict, reply: socket.socket, streams: list[int], request: dict):
    """In the forked child: only its three streams stay open; limits, then the entry; _exit."""
    status, opened = 1, []
    try:
        control.close()
        reply.close()
        for pidfd, (_, other) in children.items():
            os.close(pidfd)
            other.close()
        for target, fd in enumerate(streams):
            os.dup2(fd, target)
        os.closerange(3, os.sysconf("SC_OPEN_MAX"))
        # as a fresh interpreter's: the entry may set sys.stdout aside (sandbox.child_output)
        opened = [open(1, "w", closefd=False), open(2, "w", buffering=1, errors="backslashreplace",
                                                     closefd=False)]
        sys.stdin, (sys.stdout, sys.stderr) = open(0, closefd=False), opened
        module, _, function = request["entry"].partition(":")
        call = getattr(importlib.import_module(module), function)
        limits = sandbox.ChildLimits(**request["limits"])
        with open("/proc/self/statm") as f:
            size = int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        if size >= limits.memory_mb << 20:  # a fresh interpreter could not even import its parser
            out = sandbox.Output(sys.stdout.buffer)
            out.error("crashed", f"parser start-up: the parser's own {size >> 20} MB exceed the limit", {})
        else:
            sandbox._apply_limits(limits)
            call(request["argument"])
        status = 0
    except BaseException:
        traceback.print_exc()
    finally:
        for stream in opened:
            try:
                stream.flush()
            except BaseException:
                pass
        os._exit(status)

"""The document sandbox: work on untrusted bytes in a resource-limited child process.

Every Python process faxgate starts for untrusted input starts through `spawn`: the intake
writer (submitted mail, long-lived, on a socket) and the fork server's zygote; tesseract, a
binary, is limited by policies.ocr itself. The process is a fresh interpreter (`python -s
-c`), not a multiprocessing child: it needs nothing from the parent's state and never
re-imports the parent's __main__. It imports its entry function, applies its resource limits
(address space, CPU time, no core files) before touching any data, then calls the entry.

`run` (page loading, cover-sheet prepending, upload parsing: one document each) has its child
forked by the zygote of policies.documents.fork_server, a fresh interpreter started once per
gateway process with the parsers imported, so a document does not pay an interpreter's
start-up. The forked child keeps only its three streams, applies the same limits and then
calls its entry, as a spawned one does. FAXGATE_SANDBOX=fresh (or a platform without fork and
pidfds) spawns a fresh interpreter per document instead.

A `run` child reads its document from stdin (an anonymous file, so the parent never blocks
writing) and writes length-prefixed frames to stdout: JSON headers and raw bytes, never
pickles (a subverted child must not be able to run code in the parent). The parent checks
every frame before using it. A child that hangs is killed and one that dies is reported, both
as `DocumentUnreadable` ('timeout', 'crashed'): the job is held, never sent.
"""

from __future__ import annotations

import dataclasses
import importlib
import json
import math
import os
import select
import signal
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from policies.documents.model import CODES, DocumentUnreadable, PageLimits

__all__ = ["ChildLimits", "Output", "child_output", "reporting", "run", "spawn"]

_BOOT = "from policies.documents import sandbox; sandbox._child_main()"
_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_FRAME = struct.Struct("<cI")  # tag, payload length
_STDERR_TAIL = 600


@dataclass(frozen=True)
class ChildLimits:
    """The child's own resource limits; core files are always off under them."""

    memory_mb: int  # address space
    cpu_seconds: int

    @classmethod
    def for_document(cls, limits: PageLimits) -> ChildLimits:
        return cls(memory_mb=limits.memory_mb, cpu_seconds=max(1, math.ceil(limits.timeout_seconds)))


def spawn(entry: str, argument: str, limits: ChildLimits | None, **streams) -> subprocess.Popen:
    """Start `entry` ('module:function', called with the string `argument`) in a fresh
    interpreter, under `limits` (None: unlimited). `streams`: the child's stdin, stdout, stderr
    and pass_fds for subprocess.Popen; every other descriptor is closed."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (_ROOT, env.get("PYTHONPATH")) if p)
    wanted = json.dumps(None if limits is None else dataclasses.asdict(limits))
    return subprocess.Popen([sys.executable or "python3", "-s", "-c", _BOOT, entry, wanted, argument],
                            env=env, close_fds=True, **streams)


@contextmanager
def run(entry: str, header: dict, data: bytes, limits: PageLimits, max_frame: int | None = None):
    """Run `entry` on `data` in a limited child (`limits`: memory, and time, wall clock and
    CPU); yield an iterator over its frames (tag, payload) as they arrive. The child's error
    frame, its death, the deadline, a frame over `max_frame` bytes and malformed output all
    raise DocumentUnreadable ('crashed' with the tail of the child's stderr)."""
    deadline = time.monotonic() + limits.timeout_seconds
    with _scratch("faxgate-document") as stdin, _scratch("faxgate-parser-stderr") as stderr:
        stdin.write(data)
        stdin.flush()
        stdin.seek(0)
        try:
            process = _start(entry, json.dumps(header), ChildLimits.for_document(limits), stdin, stderr, deadline)
        except OSError as exc:
            raise DocumentUnreadable("crashed", f"could not start the parser process: {exc}") from exc
        except subprocess.TimeoutExpired:
            raise DocumentUnreadable("timeout", "wall-clock limit", seconds=f"{limits.timeout_seconds:g}") from None
        try:
            yield _frames(process, limits, deadline, max_frame)
        except DocumentUnreadable as exc:
            if exc.code == "crashed":
                stderr.seek(0, os.SEEK_END)
                stderr.seek(max(0, stderr.tell() - _STDERR_TAIL))
                tail = stderr.read().decode("utf-8", "replace").strip()
                if tail:
                    exc.detail = f"{exc.detail}; stderr: …{tail}" if exc.detail else tail
            raise
        except (ValueError, KeyError, TypeError, IndexError, struct.error) as exc:
            # malformed output (bad JSON, bad UTF-32, odd sizes): not from a healthy parser
            raise DocumentUnreadable("crashed", f"malformed output from the parser process: {exc!r}"[:500]) from None
        finally:
            if process.poll() is None:
                process.kill()
            process.wait()
            process.stdout.close()


def _start(entry: str, argument: str, limits: ChildLimits, stdin, stderr, deadline: float):
    """The child of a `run`: forked by the zygote, or a fresh interpreter (FAXGATE_SANDBOX=fresh)."""
    from policies.documents import fork_server  # here: it imports this module

    if fork_server.AVAILABLE and os.environ.get("FAXGATE_SANDBOX") != "fresh":
        return fork_server.start(entry, argument, limits, stdin, stderr, deadline)
    return spawn(entry, argument, limits, stdin=stdin, stdout=subprocess.PIPE, stderr=stderr)


def _scratch(name: str):
    """An anonymous file for the child's stdin/stderr: in memory where Linux allows (the
    document holds personal data; it should not reach a disk), else an unlinked temp file."""
    if hasattr(os, "memfd_create"):
        try:
            return os.fdopen(os.memfd_create(name, os.MFD_CLOEXEC), "w+b")
        except OSError:
            pass
    return tempfile.TemporaryFile()


def _frames(process, limits: PageLimits, deadline: float,
            max_frame: int | None) -> Iterator[tuple[bytes, bytearray]]:
    """The child's frames until its error frame or its end (both raise), within the deadline."""
    fd = process.stdout.fileno()
    try:  # fewer wake-ups per page image (Linux)
        import fcntl

        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, 1 << 20)
    except (ImportError, AttributeError, OSError):
        pass
    while True:
        head = _read_exact(process, fd, _FRAME.size, limits, deadline)
        if head is None:
            _died(process, limits, deadline)
        tag, length = _FRAME.unpack(head)
        if max_frame is not None and length > max_frame:
            raise DocumentUnreadable("crashed", "oversized frame from the parser process")
        payload = _read_exact(process, fd, length, limits, deadline)
        if payload is None:
            _died(process, limits, deadline)
        if tag == b"E":
            raise _reported(payload)
        yield tag, payload


def _reported(payload: bytes) -> DocumentUnreadable:
    """The child's own account of why the document cannot be read, checked."""
    meta = json.loads(payload)
    code = meta.get("code")
    if code not in CODES:
        return DocumentUnreadable("crashed", f"unknown error {code!r} from the parser process")
    facts = {k: v for k, v in (meta.get("facts") or {}).items() if k in ("pages", "limit", "page")}
    return DocumentUnreadable(code, str(meta.get("detail", ""))[:500], **facts)


def _read_exact(process, fd: int, size: int, limits: PageLimits, deadline: float) -> bytearray | None:
    """`size` bytes from `fd`, or None at end of output before the first byte."""
    buffer = bytearray(size)
    view = memoryview(buffer)
    got = 0
    while got < size:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
            _timeout(process, limits)
        count = os.readv(fd, [view[got:]])
        if count == 0:
            if got == 0:
                return None
            _died(process, limits, deadline)
        got += count
    return buffer


def _timeout(process, limits: PageLimits):
    process.kill()
    raise DocumentUnreadable("timeout", "wall-clock limit", seconds=f"{limits.timeout_seconds:g}")


def _died(process, limits: PageLimits, deadline: float):
    try:
        exitcode = process.wait(max(0.1, min(5.0, deadline - time.monotonic())))
    except subprocess.TimeoutExpired:
        _timeout(process, limits)
    if exitcode is None:
        raise DocumentUnreadable("crashed", "the sandbox's fork server died with the parser process")
    if exitcode < 0:
        if -exitcode == getattr(signal, "SIGXCPU", None):
            raise DocumentUnreadable("timeout", "CPU time limit", seconds=f"{limits.timeout_seconds:g}")
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = str(-exitcode)
        raise DocumentUnreadable("crashed", f"parser process killed by {name}")
    raise DocumentUnreadable("crashed", f"parser process exited with status {exitcode} without a result")


# --- the child side -------------------------------------------------------------------------


def _child_main() -> None:
    entry, wanted, argument = sys.argv[1:4]
    module, _, function = entry.partition(":")
    call = getattr(importlib.import_module(module), function)
    limits = json.loads(wanted)
    if limits is not None:
        _apply_limits(ChildLimits(**limits))
    call(argument)


def _apply_limits(limits: ChildLimits) -> None:
    try:
        import resource
    except ImportError:  # not POSIX: the parent's wall-clock timeout still applies
        return
    memory = limits.memory_mb * 1024 * 1024
    for name, soft, hard in (
        ("RLIMIT_AS", memory, memory),
        ("RLIMIT_CPU", limits.cpu_seconds, limits.cpu_seconds + 1),
        ("RLIMIT_CORE", 0, 0),
    ):
        which = getattr(resource, name, None)
        if which is None:
            continue
        try:
            _, old_hard = resource.getrlimit(which)
            if old_hard != resource.RLIM_INFINITY:
                hard = min(hard, old_hard)
                soft = min(soft, hard)
            resource.setrlimit(which, (soft, hard))
        except (ValueError, OSError):
            pass


class Output:
    """A `run` child's frame stream to the parent."""

    def __init__(self, stream):
        self.stream = stream

    def frame(self, tag: bytes, payload) -> None:
        view = memoryview(payload).cast("B")
        self.stream.write(_FRAME.pack(tag, view.nbytes))
        self.stream.write(view)

    def json(self, tag: bytes, value) -> None:
        self.frame(tag, json.dumps(value, ensure_ascii=True).encode("ascii"))

    def error(self, code: str, detail: str, facts: dict) -> None:
        self.json(b"E", {"code": code, "detail": detail, "facts": facts})

    def flush(self) -> None:
        self.stream.flush()


def child_output() -> Output:
    """In a `run` child: the frame stream (the real stdout); anything printed goes to stderr."""
    out = Output(sys.stdout.buffer)
    sys.stdout = sys.stderr  # nothing else may write into the frame stream
    return out


@contextmanager
def reporting(out: Output):
    """In a `run` child: why the document cannot be read reaches the parent as an error
    frame. DocumentUnreadable keeps its code; running out of memory is 'too_many_pixels';
    any other parser error means the file cannot be read ('broken')."""
    try:
        yield
    except DocumentUnreadable as refused:
        out.error(refused.code, refused.detail, refused.facts)
    except MemoryError:
        out.error("too_many_pixels", "out of memory in the parser", {})
    except Exception as exc:
        out.error("broken", f"{type(exc).__name__}: {exc}"[:500], {})
    out.flush()

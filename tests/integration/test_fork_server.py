"""The document sandbox's fork server (policies.documents.fork_server), with real processes: a
warm zygote forks each document's child; the child gets the same limits and codes as a fresh
interpreter, is killed at its deadline, keeps only its three streams; the zygote is replaced
when it dies and does not outlive its parent."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time

import pytest
from PIL import Image

from policies.documents import load, sandbox
from policies.documents.load import load_document
from policies.documents.model import DocumentUnreadable, PageLimits
from tests.support import docgen
from tests.support.paths import REPO
from tests.support.processes import live_children, live_parsers

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the fork server is Linux's")

ENTRIES = "tests.support.sandbox_entries"
QUICK = PageLimits(timeout_seconds=10)


@pytest.fixture(autouse=True)
def warm(monkeypatch):
    monkeypatch.delenv("FAXGATE_SANDBOX", raising=False)


def _run(name: str, header: dict | None = None, data: bytes = b"", limits: PageLimits = QUICK) -> dict:
    """The frames of entry `name` up to its `D`, by tag (JSON decoded, `O` raw)."""
    found = {}
    with sandbox.run(f"{ENTRIES}:{name}", header or {}, data, limits) as frames:
        for tag, payload in frames:
            if tag == b"D":
                return found
            found[tag.decode()] = bytes(payload) if tag == b"O" else json.loads(payload)


def _zygote() -> int:
    """The pid of this process's zygote, after a document through it."""
    parent = _run("echo")["P"]["parent"]
    assert live_children(b"fork_server") == [parent] != [os.getpid()]
    return parent


def _dead(pid: int, within: float = 5.0) -> bool:
    """Whether `pid` is gone or a zombie within `within` seconds."""
    ends = time.monotonic() + within
    while time.monotonic() < ends:
        try:
            with open(f"/proc/{pid}/stat") as f:
                if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                    return True
        except FileNotFoundError:
            return True
        time.sleep(0.01)
    return False


def _pages(document) -> list:
    return [(p.number, p.width, p.height, p.dpi, p.text, p.chars, p.image.tobytes(),
             None if p.text_image is None else p.text_image.tobytes()) for p in document.pages]


def test_a_document_through_the_zygote_is_what_a_fresh_interpreter_makes_of_it(monkeypatch):
    pdf = docgen.text_pdf([[(20, 20 + 8 * i, f"{i}行目 山田太郎 03-1234-5678", 10) for i in range(5)]] * 2)
    tiff = docgen.fax_tiff([docgen.render_text_image([(20, 30, "山田太郎 様", 12)])] * 2)
    zygote = _zygote()
    warm = [_pages(load_document(pdf)), _pages(load_document(tiff, resolution="standard"))]
    assert _zygote() == zygote  # the same zygote forked them
    monkeypatch.setenv("FAXGATE_SANDBOX", "fresh")
    assert _run("echo")["P"]["parent"] == os.getpid()
    assert warm == [_pages(load_document(pdf)), _pages(load_document(tiff, resolution="standard"))]
    assert warm[0][0][4] and warm[1][0][4] is None


def test_a_looping_or_sleeping_child_is_killed_at_the_deadline_and_the_zygote_serves_on():
    zygote = _zygote()
    for name in ("spin", "nap"):  # CPU limit or wall clock: both are 'timeout'
        started = time.monotonic()
        caught = []

        def work():
            try:
                _run(name, limits=PageLimits(timeout_seconds=1))
            except DocumentUnreadable as exc:
                caught.append(exc)

        thread = threading.Thread(target=work, daemon=True)
        thread.start()
        thread.join(10)
        assert not thread.is_alive()
        assert [exc.code for exc in caught] == ["timeout"]
        assert time.monotonic() - started < 3
        assert live_parsers() == []
    assert _zygote() == zygote
    assert _run("echo", data=b"next")["O"] == b"next"


def test_a_child_over_its_memory_limit_gets_the_code_a_fresh_interpreter_gets(monkeypatch):
    pdf = docgen.text_pdf([[(20, 20, "山田太郎", 10)]])
    big = docgen.fax_tiff([Image.new("L", (3000, 5000), 255)])
    cases = [(lambda: load._load(pdf, PageLimits(memory_mb=256), "fine", fault="memory"), "too_many_pixels"),
             (lambda: load_document(big, PageLimits(memory_mb=64)), "too_many_pixels"),
             (lambda: load_document(pdf, PageLimits(memory_mb=16)), "crashed")]  # cannot even start
    for mode in ("fork", "fresh"):
        if mode == "fresh":
            monkeypatch.setenv("FAXGATE_SANDBOX", "fresh")
        for case, code in cases:
            with pytest.raises(DocumentUnreadable) as caught:
                case()
            assert (mode, caught.value.code) == (mode, code)
        assert load_document(big, PageLimits(memory_mb=256)).pages[0].image.size == (3000, 5000)


def test_a_child_killed_by_a_signal_is_crashed_and_its_exit_status_is_told():
    zygote = _zygote()
    with pytest.raises(DocumentUnreadable) as caught:
        _run("kill_self")
    assert caught.value.code == "crashed" and "killed by SIGKILL" in caught.value.detail
    with pytest.raises(DocumentUnreadable) as caught:
        _run("exit_3")
    assert caught.value.code == "crashed" and "exited with status 3" in caught.value.detail
    assert _zygote() == zygote


def test_a_zygote_killed_between_documents_is_replaced_on_the_next():
    zygote = _zygote()
    os.kill(zygote, signal.SIGKILL)
    assert _dead(zygote)
    assert _run("echo", data=b"after")["O"] == b"after"
    assert _zygote() != zygote
    assert not os.path.exists(f"/proc/{zygote}")  # and the dead one was reaped


def test_a_zygote_that_cannot_be_started_fails_the_document_closed(monkeypatch, tmp_path):
    zygote = _zygote()
    os.kill(zygote, signal.SIGKILL)
    assert _dead(zygote)
    monkeypatch.setattr(sys, "executable", str(tmp_path / "no-python"))
    with pytest.raises(DocumentUnreadable) as caught:
        load_document(docgen.text_pdf([[(20, 20, "山田太郎", 10)]]))
    assert caught.value.code == "crashed" and "could not start" in caught.value.detail
    monkeypatch.undo()
    assert _run("echo", data=b"after")["O"] == b"after"


def test_a_child_whose_zygote_dies_under_it_is_still_killed_at_its_deadline():
    zygote = _zygote()
    started = time.monotonic()
    with pytest.raises(DocumentUnreadable) as caught:
        with sandbox.run(f"{ENTRIES}:nap", {}, b"", PageLimits(timeout_seconds=1)) as frames:
            child = json.loads(next(frames)[1])["pid"]
            os.kill(zygote, signal.SIGKILL)
            next(frames)
    assert caught.value.code == "timeout" and time.monotonic() - started < 3
    assert _dead(child)
    assert _run("echo", data=b"after")["O"] == b"after"


def test_documents_from_several_threads_each_get_their_own_result():
    _zygote()
    results, threads = {}, []
    for number in range(4):
        def work(number=number):
            results[number] = _run("echo", {"sleep": 0.5}, f"document {number}".encode() * 1000)["O"]

        threads.append(threading.Thread(target=work))
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert results == {number: f"document {number}".encode() * 1000 for number in range(4)}
    assert time.monotonic() - started < 1.5  # side by side: one after the other takes 2 s


def test_a_child_keeps_only_its_three_streams():
    found = _run("descriptors")["F"]
    assert sorted(found) == ["0", "1", "2"]  # the control socket and the other replies are closed
    assert not any(target.startswith("socket:") for target in found.values())
    assert found["1"].startswith("pipe:")


def test_the_zygote_holds_no_document_while_its_child_works_on_one():
    zygote = _zygote()
    with pytest.raises(DocumentUnreadable):
        with sandbox.run(f"{ENTRIES}:nap", {}, b"personal data", PageLimits(timeout_seconds=1)) as frames:
            next(frames)  # the child is running
            held = [os.readlink(f"/proc/{zygote}/fd/{fd}") for fd in os.listdir(f"/proc/{zygote}/fd") if int(fd) > 2]
            next(frames)
    assert held and not [target for target in held if target.startswith(("memfd:", "pipe:"))], held


def test_a_forked_process_starts_its_own_zygote():
    zygote = _zygote()
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover (the forked test process)
        try:
            os.write(write_end, json.dumps(_run("echo")["P"]).encode())
        finally:
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as f:
        answer = f.read()
    os.waitpid(pid, 0)
    theirs = json.loads(answer)["parent"]
    assert theirs not in (zygote, pid)
    assert _dead(theirs)  # the fork's zygote went with it
    assert _zygote() == zygote


def test_the_zygote_does_not_outlive_its_parent():
    # The parent forks a process that never runs a document (so holds only what it inherited)
    # and is then killed: the zygote goes with it all the same.
    script = ("import os, signal, time; from policies.documents import fork_server, sandbox\n"
              "from policies.documents.model import PageLimits\n"
              "with sandbox.run('tests.support.sandbox_entries:echo', {}, b'', PageLimits()) as frames: next(frames)\n"
              "fork = os.fork()\n"
              "if fork == 0: os.close(1); os.close(2); time.sleep(60); os._exit(0)\n"
              "print(fork_server._zygote.process.pid, fork, flush=True)\n"
              "os.kill(os.getpid(), signal.SIGKILL)\n")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("FAXGATE_SANDBOX", None)
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, timeout=60)
    assert done.returncode == -signal.SIGKILL, done.stderr
    zygote, fork = (int(pid) for pid in done.stdout.split())
    try:
        assert _dead(zygote)
    finally:
        os.kill(fork, signal.SIGKILL)

"""Entries for `policies.documents.sandbox.run` children that misbehave on purpose, or tell the
tests what the child sees (tests/integration/test_fork_server.py). Each reports as a parser
does: frames to the parent, `D` last."""

from __future__ import annotations

import json
import os
import signal
import sys
import time

from policies.documents import sandbox


def echo(argument: str) -> None:
    """Its stdin back (`O`) after `sleep` seconds, with its pid and its parent's (`P`)."""
    out = sandbox.child_output()
    with sandbox.reporting(out):
        out.json(b"P", {"pid": os.getpid(), "parent": os.getppid()})
        out.flush()
        time.sleep(float(json.loads(argument).get("sleep", 0)))
        out.frame(b"O", sys.stdin.buffer.read())
        out.json(b"D", {})


def descriptors(argument: str) -> None:
    """Its open descriptors (`F`: number and what it points at)."""
    out = sandbox.child_output()
    with sandbox.reporting(out):
        found = {}
        for name in os.listdir("/proc/self/fd"):
            try:
                found[name] = os.readlink(f"/proc/self/fd/{name}")
            except FileNotFoundError:  # the listing's own
                pass
        out.json(b"F", found)
        out.json(b"D", {})


def spin(argument: str) -> None:
    while True:
        pass


def nap(argument: str) -> None:
    """Its pid (`P`), then sleeps without using CPU: only the wall-clock deadline ends it."""
    out = sandbox.child_output()
    out.json(b"P", {"pid": os.getpid(), "parent": os.getppid()})
    out.flush()
    time.sleep(3600)


def kill_self(argument: str) -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def exit_3(argument: str) -> None:
    os._exit(3)

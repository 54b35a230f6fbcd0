"""Which child processes a test left behind (a parser or OCR that outlived its document)."""

from __future__ import annotations

import os


def _processes() -> list[tuple[int, str, str, bytes]]:
    """(pid, parent pid, state, command line) of every process."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                cmdline = f.read()
        except OSError:
            continue
        found.append((int(entry), fields[1], fields[0], cmdline))
    return found


def live_children(marker: bytes) -> list[int]:
    """PIDs of this process's living (not zombie) children whose command line holds `marker`."""
    me = str(os.getpid())
    return [pid for pid, parent, state, cmdline in _processes() if parent == me and state != "Z" and marker in cmdline]


def live_parsers() -> list[int]:
    """PIDs of this process's living document parsers: fresh interpreters it started, and the
    children its fork server's zygote forked (they carry the zygote's command line)."""
    processes = _processes()
    me = str(os.getpid())
    zygotes = {str(pid) for pid, parent, _, cmdline in processes if parent == me and b"fork_server" in cmdline}
    return [pid for pid, parent, state, cmdline in processes
            if state != "Z" and ((parent == me and b"_child_entry" in cmdline) or parent in zygotes)]

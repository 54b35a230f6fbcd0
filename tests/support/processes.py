"""Which child processes a test left behind (a parser or OCR that outlived its document)."""

from __future__ import annotations

import os


def live_children(marker: bytes) -> list[int]:
    """PIDs of this process's living (not zombie) children whose command line holds `marker`."""
    found = []
    me = str(os.getpid())
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
        if fields[1] == me and fields[0] != "Z" and marker in cmdline:
            found.append(int(entry))
    return found

"""CPU time of this process and its children, the sandbox's forked parsers included."""

from __future__ import annotations

import os
import resource


def cpu_seconds() -> float:
    """CPU seconds of this process and its children: the finished ones (rusage) and the living
    ones with the children they reaped (/proc, in clock ticks): the document sandbox's zygote
    reaps the parser children it forks, so rusage alone does not see them."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    ticks = 0
    for task in os.listdir("/proc/self/task"):
        with open(f"/proc/self/task/{task}/children") as f:
            for pid in f.read().split():
                try:
                    with open(f"/proc/{pid}/stat") as stat:
                        ticks += sum(int(t) for t in stat.read().rsplit(")", 1)[1].split()[11:15])
                except FileNotFoundError:
                    pass
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime + ticks / os.sysconf("SC_CLK_TCK")

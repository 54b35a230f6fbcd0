"""Benchmark (not a test): the dial-string reader on 100,000 strings and the audit of a
10,000-entry address book, on one core. Prints the figures recorded in bench/RESULTS.md.

    PYTHONPATH=. .venv/bin/python bench/bench_directory.py [--quick]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import resource
import time

from directory.audit import AuditItem, audit
from directory.dialplan import read_dial_string
from directory.profile import PbxProfile

PROFILE = PbxProfile(outside_line="0", area_code="03")
AS_OF = dt.date(2026, 11, 23)


def dial_strings(count: int, rng: random.Random) -> list[str]:
    """A realistic mix: correct speed dials, the No. 371 mistake, mobiles, freedial, services, junk."""
    shapes = [
        lambda: f"0-03-{rng.randint(1000, 9999)}-{rng.randint(0, 9999):04d}",
        lambda: f"03-{rng.randint(1000, 9999)}-{rng.randint(0, 9999):04d}",
        lambda: f"0-0{rng.choice('6789')}-{rng.randint(1000, 9999)}-{rng.randint(0, 9999):04d}",
        lambda: f"0-090-{rng.randint(1000, 9999)}-{rng.randint(0, 9999):04d}",
        lambda: f"0-0120-{rng.randint(100, 999)}-{rng.randint(100, 999)}",
        lambda: f"0-0466-{rng.randint(20, 89)}-{rng.randint(0, 9999):04d}",
        lambda: f"0{rng.choice(['110', '117', '119'])}{rng.randint(0, 9999999)}",
        lambda: f"0-186-06-{rng.randint(1000, 9999)}-{rng.randint(0, 9999):04d}",
        lambda: f"0-010-1-{rng.randint(200, 999)}{rng.randint(200, 999)}{rng.randint(0, 9999):04d}",
        lambda: "".join(rng.choice("0123456789") for _ in range(rng.randint(3, 14))),
    ]
    return [rng.choice(shapes)() for _ in range(count)]


def book(count: int, rng: random.Random) -> list[AuditItem]:
    items = []
    strings = dial_strings(count, rng)
    for slot, dial in enumerate(strings, start=1):
        last_used = None if rng.random() < 0.2 else AS_OF - dt.timedelta(days=rng.randint(0, 900))
        verified = None if rng.random() < 0.5 else AS_OF - dt.timedelta(days=rng.randint(0, 400))
        items.append(AuditItem(slot=slot, name=f"宛先{slot}", dial=dial, last_used=last_used, verified_on=verified))
    return items


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a few seconds: 5,000 strings, a 1,000-entry book once")
    args = parser.parse_args()
    strings_count, entries, runs = (5_000, 1_000, 1) if args.quick else (100_000, 10_000, 3)
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core
    rng = random.Random(371)
    strings = dial_strings(strings_count, rng)
    # CPU time beside wall time: on a shared machine the wall clock also counts others' work.
    started, cpu = time.perf_counter(), time.process_time()
    for dial in strings:
        read_dial_string(dial, PROFILE)
    explain_seconds, explain_cpu = time.perf_counter() - started, time.process_time() - cpu
    print(f"dial explain logic: {strings_count:,} strings in {explain_seconds:.2f} s "
          f"({strings_count / explain_seconds:,.0f} strings/s, {explain_seconds / strings_count * 1e6:.1f} µs each; "
          f"CPU {explain_cpu:.2f} s)")

    items = book(entries, rng)
    timings, cpu_times = [], []
    for _ in range(runs):
        started, cpu = time.perf_counter(), time.process_time()
        findings = audit(items, PROFILE, AS_OF, 180)
        timings.append(time.perf_counter() - started)
        cpu_times.append(time.process_time() - cpu)
    print(f"audit of {entries:,} entries: best {min(timings):.2f} s, worst {max(timings):.2f} s "
          f"of {runs} run(s) (CPU best {min(cpu_times):.2f} s); {len(findings):,} findings")
    print(f"peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()

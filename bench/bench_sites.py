"""Benchmark (not a test): a whole city, 50 sites, 500 devices each with its own book, 20,000
destinations (30,000 speed dials): the audit of every book, each with its site's reading, and
across books; and the directory part of screening, read whole per job vs. cached per directory
version. On one core. Prints the figures recorded in bench/RESULTS.md.

    PYTHONPATH=. .venv/bin/python bench/bench_sites.py [--quick]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import resource
import tempfile
import time
from pathlib import Path

from directory.dialplan import is_reachable
from directory.profile import PbxProfile
from directory.sites import Site
from gateway.bootstrap import App
from gateway.config import Config, DatabaseConfig
from gateway.entrypoints.worker import Worker
from gateway.services.books import audit_every_book
from gateway.services.sites import add_site
from gateway.storage.directory_tables import DirectoryEntry

AREAS = ["03", "042", "044", "045", "0466", "048", "04"]
AS_OF = dt.date(2026, 12, 2)


def build(app: App, sites: int, devices: int, destinations: int, slots: int, rng: random.Random) -> int:
    numbers = []
    while len(numbers) < destinations:
        prefix = rng.choice(["35", "36", "66", "45", "90"])
        number = f"+81{prefix}{rng.randint(10 ** (6 + (prefix == '90')), 10 ** (7 + (prefix == '90')) - 1)}"
        if is_reachable(number):
            numbers.append(number)
    with app.unit_of_work() as uow:
        for n in range(sites):
            add_site(uow, Site(f"site-{n:02d}", PbxProfile(outside_line=rng.choice(["0", "9", ""]),
                                                           area_code=AREAS[n % len(AREAS)]),
                               tie_prefix="8", site_code=f"{n + 10}"), app.profile, "bench")
        entries = 0
        for d in range(devices):
            name = f"mfd-{d:03d}"
            uow.users.add_device(name=name, addresses=[f"10.{d // 250}.{d % 250}.1/32"], site=f"site-{d % sites:02d}",
                                 book=name)
            for slot in range(1, slots + 1):
                # Every destination in some book; the rest shared between books (as in a city).
                e164 = numbers[entries] if entries < destinations else rng.choice(numbers)
                uow.session.add(DirectoryEntry(
                    book=name, slot=slot, name=f"宛先{entries % destinations}", e164=e164, status="active",
                    last_used=AS_OF - dt.timedelta(days=rng.randint(0, 400)), verified_on=AS_OF, review_reasons=[]))
                entries += 1
    return entries


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a few seconds: 5 sites, 20 devices, 600 destinations")
    args = parser.parse_args()
    sites, devices, destinations, slots, jobs = (5, 20, 600, 40, 20) if args.quick else (50, 500, 20_000, 60, 200)
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core
    with tempfile.TemporaryDirectory() as tmp:
        app = App(Config(database=DatabaseConfig(url=f"sqlite:///{Path(tmp) / 'city.db'}")))
        entries = build(app, sites, devices, destinations, slots, random.Random(15))
        started, cpu = time.perf_counter(), time.process_time()
        with app.unit_of_work(read_only=True) as uow:
            reports, across = audit_every_book(uow, app.profile, AS_OF, 180)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        print(f"audit of every book: {len(reports)} books, {sum(n for _, n, _ in reports):,} speed dials of "
              f"{destinations:,} destinations at {sites} sites in {seconds:.2f} s (CPU {cpu:.2f} s); "
              f"{sum(len(f) for _, _, f in reports):,} findings in books, {len(across):,} across books")

        worker = Worker(app)
        started = time.perf_counter()
        worker._settings()
        cold = time.perf_counter() - started
        started = time.perf_counter()
        for _ in range(jobs):
            worker._settings()
        cached = (time.perf_counter() - started) / jobs
        print(f"screening's directory part per job: read whole {cold * 1000:.1f} ms; cached per directory version "
              f"{cached * 1000:.2f} ms (mean of {jobs} jobs, {entries:,} entries)")
    print(f"peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()

"""Benchmark (not a test): time from the device's `250 … queued as` to the job's
`awaiting_confirmation` under an open-loop load of clean faxes (default 10 jobs/s for 60 s).

    PYTHONPATH=. python bench/bench_latency.py [--rate 10] [--seconds 60] [--postgres] [--quick]

The gateway is one real `python -m gateway serve` process (SMTP intake, web/API and worker, the
embedded default) on SQLite, or with --postgres on a throwaway PostgreSQL cluster, with the
seeded staff and directory and a real mail sink for the notices. A scheduler submits job i at
t0 + i/rate, each on its own SMTP connection from a thread pool, whether or not earlier jobs
are done (open loop: a slow gateway is not spared the load). A poller reads the jobs' states
from the database every `--poll` seconds (default 20 ms); a job's latency runs from its 250 to
the first poll that sees it screened, so it overstates by at most one poll period plus the
query. "Behind" counts the accepted jobs not yet screened when the last 250 came back.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from gateway_run import (CpuMeter, ServeProcess, clean_fax, job_id_of, job_states, percentile, prepare_database,
                         reader_engine, send, tree_cpu, write_config)
from tests.support.harness import SmtpSink, free_port
from tests.support.pgserver import PostgresServer

SCREENED = ("awaiting_confirmation", "blocked")


@dataclass
class Timing:
    accepted: float  # monotonic time the client read the 250
    screened: float | None = None
    state: str = ""


class Probe:
    """The jobs the devices got a 250 for, and when the poller first saw each one screened."""

    def __init__(self, engine, poll: float):
        self.engine, self.poll = engine, poll
        self.jobs: dict[str, Timing] = {}
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.polls = 0
        self.thread = threading.Thread(target=self._run, daemon=True)

    def accepted(self, job_id: str, at: float) -> None:
        with self.lock:
            self.jobs[job_id] = Timing(at)

    def pending(self) -> list[str]:
        with self.lock:
            return [job_id for job_id, timing in self.jobs.items() if timing.screened is None]

    def _run(self) -> None:
        while not self.stop.is_set():
            started = time.monotonic()
            states = job_states(self.engine, self.pending())
            seen = time.monotonic()
            with self.lock:
                for job_id, state in states.items():
                    if state in SCREENED:
                        self.jobs[job_id].screened, self.jobs[job_id].state = seen, state
            self.polls += 1
            self.stop.wait(max(0.0, self.poll - (time.monotonic() - started)))


def offer(port: int, payload: bytes, rate: float, count: int, probe: Probe | None) -> tuple[list[str], float]:
    """Open loop: job i leaves at t0 + i/rate on its own connection. Returns the refusals and the
    worst lateness of a departure behind its schedule (the generator's own health)."""
    refused: list[str] = []
    lateness = [0.0]

    def device(due: float) -> None:
        lateness[0] = max(lateness[0], time.monotonic() - due)
        code, reply = send(port, payload)
        if code == 250 and probe is not None:
            probe.accepted(job_id_of(reply), time.monotonic())
        elif code != 250:
            refused.append(f"{code} {reply}")

    with ThreadPoolExecutor(max_workers=64) as pool:
        start = time.monotonic() + 0.1
        for i in range(count):
            due = start + i / rate
            time.sleep(max(0.0, due - time.monotonic()))
            pool.submit(device, due)
    return refused, lateness[0]


def wait_screened(probe: Probe, timeout: float) -> float:
    """Seconds until every accepted job was screened (or the timeout)."""
    started = time.monotonic()
    while probe.pending() and time.monotonic() - started < timeout:
        time.sleep(probe.poll)
    return time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=10.0, help="jobs offered per second")
    parser.add_argument("--seconds", type=float, default=60.0, help="how long the load lasts")
    parser.add_argument("--poll", type=float, default=0.02, help="state poll period in seconds")
    parser.add_argument("--pages", type=int, default=1, help="pages per fax")
    parser.add_argument("--postgres", action="store_true", help="a throwaway PostgreSQL cluster instead of SQLite")
    parser.add_argument("--drain", type=float, default=300.0, help="longest wait for the backlog after the load")
    parser.add_argument("--quick", action="store_true", help="a few seconds: 5 jobs/s for 2 s (smoke test)")
    args = parser.parse_args()
    if args.quick:
        args.rate, args.seconds, args.drain = 5.0, 2.0, 60.0
    count = round(args.rate * args.seconds)
    payload = clean_fax(args.pages)

    with tempfile.TemporaryDirectory(prefix="faxgate-bench-") as tmp, ExitStack() as stack:
        trees = {}
        if args.postgres:
            postgres = stack.enter_context(PostgresServer())
            database_url, trees["PostgreSQL"] = postgres.create_database("latency"), [postgres.process.pid]
        else:
            database_url = f"sqlite:///{tmp}/faxgate.db"
        mail = SmtpSink(free_port()).start()
        stack.callback(mail.stop)
        config = write_config(Path(tmp), database_url, free_port(), free_port(), mail.port, "gateway")
        prepare_database(config)
        server = ServeProcess(config, "smtp,http,worker", Path(tmp) / "serve.log").start()
        stack.callback(server.stop)
        engine = reader_engine(database_url)
        stack.callback(engine.dispose)

        # Warm-up, not counted: the worker's first screening loads phonenumbers' metadata.
        warm = Probe(engine, args.poll)
        warm.thread.start()
        offer(server.port, payload, 2.0, 3, warm)
        wait_screened(warm, 60)
        warm.stop.set()
        warm.thread.join()

        probe = Probe(engine, args.poll)
        probe.thread.start()
        parts = tree_cpu(server.process.pid)
        with CpuMeter({"gateway": [server.process.pid], **trees}) as cpu:
            refused, lateness = offer(server.port, payload, args.rate, count, probe)
            behind = len(probe.pending())
            drained = wait_screened(probe, args.drain)
        parts = {name: seconds - parts[name] for name, seconds in tree_cpu(server.process.pid).items()}
        probe.stop.set()
        probe.thread.join()
        poll_period = cpu.wall / max(1, probe.polls)
        errors = len(server.log_events("worker_error"))

    timings = sorted(probe.jobs.values(), key=lambda t: t.accepted)
    done = [t for t in timings if t.screened is not None]
    latencies = [t.screened - t.accepted for t in done]
    fifth = max(1, len(done) // 5)
    database = "PostgreSQL" if args.postgres else "SQLite (WAL, synchronous=FULL)"
    print(f"gateway: one `faxgate serve` process (smtp, http, worker) on {database}; {os.cpu_count()} CPUs")
    print(f"offered: {count} jobs at {args.rate:g}/s for {args.seconds:g} s ({args.pages}-page clean text PDF, "
          f"{len(payload):,}-byte message), one connection each; worst departure lateness {lateness * 1000:.0f} ms")
    print(f"accepted (250): {len(timings)}; refused: {len(refused)}" + (f" (first: {refused[0][:120]})" if refused else ""))
    print(f"poll period: {args.poll * 1000:.0f} ms asked, {poll_period * 1000:.1f} ms measured ({probe.polls} polls)")
    if latencies:
        ms = [x * 1000 for x in latencies]
        print(f"250 → screened: count {len(ms)}, p50 {percentile(ms, 0.5):.0f} ms, p95 {percentile(ms, 0.95):.0f} ms, "
              f"max {max(ms):.0f} ms; first fifth p50 {percentile(ms[:fifth], 0.5):.0f} ms, "
              f"last fifth p50 {percentile(ms[-fifth:], 0.5):.0f} ms")
    states = {state: sum(t.state == state for t in done) for state in SCREENED}
    print(f"outcomes: {states['awaiting_confirmation']} awaiting_confirmation, {states['blocked']} blocked, "
          f"{len(timings) - len(done)} not screened after {drained:.1f} s of draining; worker errors logged: {errors}")
    sustained = behind <= max(1, round(args.rate)) and not refused and len(done) == len(timings)
    print(f"behind at the end of the load: {behind} jobs (drained in {drained:.1f} s); "
          f"rate {'sustained' if sustained else 'NOT sustained'} (criterion: every job accepted and screened, "
          f"at most one second's worth of jobs behind)")
    per_job = 1000 / max(1, len(timings))
    print(f"gateway CPU per job: {cpu.seconds['gateway'] * per_job:.0f} ms (serve process {parts['own'] * per_job:.0f}, "
          f"document parser processes {(parts['finished children'] + parts['fork server']) * per_job:.0f}, "
          f"intake writer {parts['living descendants'] * per_job:.0f}); {cpu.summary()}")


if __name__ == "__main__":
    main()

"""Benchmark (not a test): screening capacity of one `faxgate serve` process against two sharing
one PostgreSQL database, and a check that every job was handled exactly once.

    PYTHONPATH=. python bench/bench_scaleout.py [--jobs 400] [--rate 40] [--pin] [--quick]

A throwaway PostgreSQL cluster (initdb in a temporary directory, as the test fixture does)
holds a fresh database per configuration. Each gateway process runs SMTP intake and the worker
(`--only smtp,worker`) on its own port; workers claim jobs from the shared queue. The same
offered load goes to both configurations: `--jobs` clean faxes at `--rate` jobs/s, spread round
robin over the processes' ports, each on its own connection, more than one process can screen,
so the queue never empties and the figure is capacity. Unpinned, the processes share all the
machine's cores (one process already runs a screening thread per core); with --pin, gateway
process n and its children run on core n only, as if each had a machine of one core to itself
(the load generator and PostgreSQL stay unpinned).

The path measured is received → awaiting_confirmation (intake, queue, the whole screening chain
with the document parsed in its own process, the staff notice by mail): the worker's work,
which is what more processes are for. The relay after two people's confirmations is one SMTP
hand-off per job and is not measured here. Throughput is taken from the audit trail's own
timestamps: (jobs - 1) / (last `job.awaiting_confirmation` - first).

Exactly once: every 250 names a distinct job; the database holds exactly those jobs; each has
one `job.screening` claim and one outcome event, all `awaiting_confirmation`; the processes'
`screened` log lines cover every job once between them; the audit chain verifies.
"""

from __future__ import annotations

import argparse
import collections
import os
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from sqlalchemy import text

from gateway_run import (CpuMeter, ServeProcess, clean_fax, job_id_of, prepare_database, reader_engine, send,
                         write_config)
from gateway.bootstrap import App
from gateway.config import load_config
from tests.support import pgserver
from tests.support.harness import SmtpSink, free_port


def offer(ports: list[int], payload: bytes, jobs: int, rate: float) -> tuple[list[str], list[str]]:
    """Open loop, round robin over the ports; returns the job ids of the 250s and the refusals."""
    accepted: list[str] = []
    refused: list[str] = []

    def device(port: int) -> None:
        code, reply = send(port, payload)
        (accepted if code == 250 else refused).append(job_id_of(reply) if code == 250 else f"{code} {reply}")

    with ThreadPoolExecutor(max_workers=64) as pool:
        start = time.monotonic()
        for i in range(jobs):
            time.sleep(max(0.0, start + i / rate - time.monotonic()))
            pool.submit(device, ports[i % len(ports)])
    return accepted, refused


def run(server: pgserver.PostgresServer, tmp: Path, processes: int, payload: bytes, jobs: int, rate: float,
        drain: float, pin: bool) -> dict:
    database_url = server.create_database(f"scale{processes}")
    mail = SmtpSink(free_port()).start()
    engine = reader_engine(database_url)
    gateways = []
    try:
        configs = [write_config(tmp, database_url, free_port(), free_port(), mail.port, f"p{processes}-{n}")
                   for n in range(processes)]
        prepare_database(configs[0])
        cores = sorted(os.sched_getaffinity(0))
        gateways = [ServeProcess(config, "smtp,worker", tmp / f"{config.stem}.log",
                                 cpu=cores[n % len(cores)] if pin else None).start() for n, config in enumerate(configs)]
        with CpuMeter({"gateways": [g.process.pid for g in gateways], "PostgreSQL": [server.process.pid]}) as cpu:
            accepted, refused = offer([g.port for g in gateways], payload, jobs, rate)
            deadline = time.monotonic() + drain
            with engine.connect() as connection:
                while time.monotonic() < deadline and connection.execute(
                        text("SELECT count(*) FROM jobs WHERE state IN ('received', 'screening')")).scalar():
                    connection.rollback()
                    time.sleep(0.2)
        for gateway in gateways:
            gateway.stop()
        screened_by = [[entry["job"] for entry in g.log_events("screened")] for g in gateways]
        with engine.connect() as connection:
            states = dict(connection.execute(text("SELECT id, state FROM jobs")).all())
            events = connection.execute(text(
                "SELECT subject, action, at FROM audit_events WHERE action IN "
                "('job.screening', 'job.awaiting_confirmation', 'job.blocked') ORDER BY id")).all()
        app = App(load_config(configs[0]))
        with app.unit_of_work(read_only=True) as uow:
            chain = uow.audit.verify()
        app.engine.dispose()
    finally:
        for gateway in gateways:
            gateway.stop()
        engine.dispose()
        mail.stop()

    per_job = collections.Counter((subject, action) for subject, action, _ in events)
    done = sorted(at for _, action, at in events if action == "job.awaiting_confirmation")
    handled = collections.Counter(job for ids in screened_by for job in ids)
    problems = []
    if len(set(accepted)) != len(accepted):
        problems.append("a job id was acknowledged twice")
    if set(states) != set(accepted):
        problems.append(f"{len(set(states) ^ set(accepted))} jobs differ between the 250s and the database")
    if refused:
        problems.append(f"{len(refused)} refused (first: {refused[0][:120]})")
    for job in accepted:
        if per_job[(job, "job.screening")] != 1 or per_job[(job, "job.awaiting_confirmation")] != 1:
            problems.append(f"{job}: {per_job[(job, 'job.screening')]} claims, "
                            f"{per_job[(job, 'job.awaiting_confirmation')]} outcomes, state {states.get(job)}")
        if handled[job] != 1:
            problems.append(f"{job}: screened {handled[job]} times by the processes")
    if not chain.ok:
        problems.append(f"audit chain: {chain.problem}")
    seconds = (done[-1] - done[0]).total_seconds() if len(done) > 1 else float("nan")
    return {"processes": processes, "accepted": len(accepted), "screened": len(done),
            "rate": (len(done) - 1) / seconds if len(done) > 1 else 0.0, "seconds": seconds,
            "per_process": [len(ids) for ids in screened_by], "cpu": cpu, "problems": problems}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=400, help="jobs offered to each configuration")
    parser.add_argument("--rate", type=float, default=40.0, help="jobs offered per second (above one process's capacity)")
    parser.add_argument("--drain", type=float, default=600.0, help="longest wait for the queue to empty")
    parser.add_argument("--pin", action="store_true", help="each gateway process on a core of its own")
    parser.add_argument("--quick", action="store_true", help="a few seconds: 10 jobs at 20/s (smoke test)")
    args = parser.parse_args()
    if args.quick:
        args.jobs, args.rate, args.drain = 10, 20.0, 60.0
    payload = clean_fax(1)
    print(f"offered to each configuration: {args.jobs} jobs at {args.rate:g}/s, round robin over the processes' "
          f"SMTP ports (1-page clean text PDF, {len(payload):,}-byte message); {os.cpu_count()} CPUs; "
          + ("each process pinned to a core of its own" if args.pin else "processes unpinned"))
    results = []
    with pgserver.PostgresServer() as server, tempfile.TemporaryDirectory(prefix="faxgate-bench-") as tmp:
        for processes in (1, 2):
            result = run(server, Path(tmp), processes, payload, args.jobs, args.rate, args.drain, args.pin)
            results.append(result)
            print(f"{processes} process(es): {result['rate']:.2f} jobs/s received → awaiting_confirmation "
                  f"({result['screened']} of {result['accepted']} accepted in {result['seconds']:.1f} s; "
                  f"screened per process {result['per_process']})")
            cpu, accepted = result["cpu"], max(1, result["accepted"])
            print(f"  CPU per job: gateways {cpu.seconds['gateways'] / accepted * 1000:.0f} ms, "
                  f"PostgreSQL {cpu.seconds['PostgreSQL'] / accepted * 1000:.0f} ms; {cpu.summary()}")
            print("  exactly once: " + ("yes (250s = jobs in the database, one claim and one outcome each, "
                                        "each screened by one process, audit chain intact)"
                                        if not result["problems"] else "NO: " + "; ".join(result["problems"][:5])))
    one, two = results
    print(f"ratio 2 processes / 1: {two['rate'] / one['rate']:.2f}")
    if any(r["problems"] for r in results):
        raise SystemExit(1)


if __name__ == "__main__":
    main()

"""Processes that start, restart and die beside each other (issue 17, point 5; reliability rows
1, 10 and 17): `faxgate serve` as installed, in processes of their own (each its own process
group, killed whole with SIGKILL), on a real PostgreSQL server, relaying to a real SMTP fax
server that holds each fax it takes until the test lets it answer, so the senders stay mid-send."""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import os
import random
import signal
import smtplib
import subprocess
import threading
import time
from pathlib import Path

import pytest

from gateway.bootstrap import App
from gateway.config import load_config
from gateway.storage import db
from gateway.storage.tables import AuditEvent, Job
from tests.e2e.test_serve import FAXGATE, wait_port
from tests.support import docgen
from tests.support.harness import (DOMAIN, Received, SinkHandler, SmtpSink, db_session, fax_message, free_port, seed,
                                   signing_keys, submit)
from tests.support.jobs import approve, stored_job

LEASE_SECONDS = 3


@dataclasses.dataclass
class HoldingHandler(SinkHandler):
    """Takes each fax (it is then the fax server's: received) and answers only once released."""

    release: threading.Event = dataclasses.field(default_factory=threading.Event)

    async def handle_DATA(self, server, session, envelope):
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
        while not self.release.is_set():
            await asyncio.sleep(0.05)
        return "250 2.0.0 Ok: queued"


@pytest.fixture
def holding_fax():
    sink = SmtpSink()
    sink.handler = HoldingHandler()
    sink.start()
    yield sink
    sink.handler.release.set()
    sink.stop()


class Serve:
    """One `faxgate serve` in its own process group (its intake writer and parsers with it)."""

    def __init__(self, config: Path, http_port: int, log: Path):
        self.config, self.http_port, self.log = config, http_port, log
        self.process = subprocess.Popen([str(FAXGATE), "serve", "--config", str(config)], stdout=subprocess.DEVNULL,
                                        stderr=log.open("ab"), start_new_session=True)

    def kill_group(self) -> None:
        os.killpg(self.process.pid, signal.SIGKILL)  # no clean-up of any kind, in any of its processes
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.kill_group()


@pytest.fixture
def site(postgres_url, tmp_path, holding_fax, mail):
    """A configuration per process (each its own web port; the SMTP port they share), one database."""
    keys = signing_keys()
    smtp_port = free_port()

    def config(n: int) -> tuple[Path, int]:
        http_port = free_port()
        path = tmp_path / f"faxgate-{n}.toml"
        path.write_text(
            f'[database]\nurl = "{postgres_url}"\n'
            f'[smtp]\nport = {smtp_port}\ndomain = "{DOMAIN}"\n'
            f'[http]\nport = {http_port}\n'
            f'[relay]\nurl = "smtp://127.0.0.1:{holding_fax.port}"\ndomain = "faxserver.example.jp"\n'
            f'[mail]\nurl = "smtp://127.0.0.1:{mail.port}"\n'
            f'[records]\nkey_file = "{keys.key_file}"\ncert_file = "{keys.cert_file}"\n'
            f'chain_file = "{keys.chain_file}"\ntrust_root = "{keys.trust_root}"\n'
            f'[worker]\nlease_seconds = {LEASE_SECONDS}\n'
            '[logging]\nformat = "json"\n',
            encoding="utf-8")
        return path, http_port

    db.upgrade(db.make_engine(postgres_url))
    app = App(load_config(config(0)[0]))
    seed(app)
    processes: list[Serve] = []

    def start(n: int) -> Serve:
        path, http_port = config(n)
        serve = Serve(path, http_port, tmp_path / f"serve-{n}.log")
        processes.append(serve)
        return serve

    yield app, start, holding_fax
    for serve in processes:
        serve.stop()


def _holders(app: App, job_ids: list[str]) -> dict[str, tuple[str, str | None]]:
    with db_session(app) as session:
        return {job_id: (job.state, job.lease_owner) for job_id in job_ids for job in [session.get(Job, job_id)]}


def _wait(condition, what: str, timeout: float = 60):
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        assert time.monotonic() < deadline, what
        time.sleep(0.1)
    return value


def _pid(owner: str) -> int:
    return int(owner.split(":")[-2])


def _held_by(app: App, job_id: str, pid: int) -> bool:
    state, owner = _holders(app, [job_id])[job_id]
    return state == "sending" and owner is not None and _pid(owner) == pid


@pytest.mark.parametrize("processes", [2, 3])
def test_restart_mid_send_leaves_others_jobs(site, processes):
    """Every process mid-send; one is killed (its whole group) and started again: the others'
    jobs are never touched and each is sent once; the killed one's job becomes delivery_unknown
    only after its lease ran out, and is never sent again."""
    app, start, fax = site
    job_ids = [stored_job(app) for _ in range(processes + 1)]
    for job_id in job_ids:
        approve(app, job_id)
    held, extra = job_ids[:processes], job_ids[processes]
    running = [start(n) for n in range(1, processes + 1)]
    for serve in running:
        wait_port(serve.http_port, serve.process)
    def each_holds_one():
        holders = _holders(app, held)
        busy = all(state == "sending" for state, _ in holders.values())
        return holders if busy and len({owner for _, owner in holders.values()}) == processes else None

    holders = _wait(each_holds_one, f"each of {processes} processes holds one job mid-send")
    by_pid = {serve.process.pid: serve for serve in running}
    victim_job = held[0]
    victim = by_pid[_pid(holders[victim_job][1])]
    survivors = {job_id: owner for job_id, (_, owner) in holders.items() if job_id != victim_job}

    victim.kill_group()
    with db_session(app) as session:
        lease_ran_out_at = session.get(Job, victim_job).lease_until
    replacement = start(processes + 1)
    wait_port(replacement.http_port, replacement.process)
    # The replacement recovered at its start and runs: it took the one job nobody held.
    _wait(lambda: _held_by(app, extra, replacement.process.pid), "the new process sends")
    assert {job_id: holder for job_id, holder in _holders(app, list(survivors)).items()} == {
        job_id: ("sending", owner) for job_id, owner in survivors.items()}, "a live process's job was touched"

    _wait(lambda: _holders(app, [victim_job])[victim_job][0] == "delivery_unknown",
          "the killed process's job is taken over once its lease ran out", timeout=30)
    with db_session(app) as session:
        taken_over = session.query(AuditEvent).filter_by(subject=victim_job, action="job.delivery_unknown").one()
    assert taken_over.at >= lease_ran_out_at, "taken over before the lease ran out"

    fax.handler.release.set()
    _wait(lambda: all(s == "sent" for s, _ in _holders(app, [*survivors, extra]).values()),
          "the live processes' jobs are sent")
    with db_session(app) as session:
        for job_id in survivors:
            actions = [e.action for e in session.query(AuditEvent).filter_by(subject=job_id)]
            assert "job.delivery_unknown" not in actions and actions.count("job.sending") == 1, (job_id, actions)
    time.sleep(LEASE_SECONDS)  # a resend of the killed process's job would come within this
    sent = sorted(m.message["Message-ID"] for m in fax.received)
    assert sent == sorted(f"<{job_id}@{DOMAIN}>" for job_id in job_ids), "each fax went to the fax server once"
    assert _holders(app, [victim_job])[victim_job][0] == "delivery_unknown"


def _living_in_group(pgid: int) -> list[int]:
    """The processes of group `pgid` still alive (not zombies)."""
    alive = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) == pgid and fields[0] != "Z":
                alive.append(int(entry))
    return alive


def test_kill_9_of_the_whole_gateway_loses_no_acknowledged_job(tmp_path, monkeypatch, fax, mail):
    """Rows 1 and 21: the whole gateway (main process, intake writer, parsers: its process group)
    killed with SIGKILL at random points while two devices send, half the rounds the instant a
    250 reaches a device. Every job a device got its 250 for is stored intact (same SHA-256) and
    screened after the restart."""
    monkeypatch.chdir(tmp_path)  # the embedded default keeps its signing key in ./faxgate-keys
    smtp_port, http_port = free_port(), free_port()
    config = tmp_path / "faxgate.toml"
    config.write_text(
        f'[database]\nurl = "sqlite:///{tmp_path}/faxgate.db"\n'
        f'[smtp]\nport = {smtp_port}\ndomain = "{DOMAIN}"\n[http]\nport = {http_port}\n'
        f'[relay]\nurl = "smtp://127.0.0.1:{fax.port}"\n[mail]\nurl = "smtp://127.0.0.1:{mail.port}"\n'
        '[logging]\nformat = "json"\n', encoding="utf-8")
    app = App(load_config(config))
    seed(app)
    acknowledged: dict[str, str] = {}
    lock = threading.Lock()
    rng = random.Random(371)
    log = tmp_path / "serve.log"
    rounds, sent = 6, [0]

    for round_ in range(rounds):
        serve = Serve(config, http_port, log)
        wait_port(smtp_port, serve.process)
        wanted, on_reply = len(acknowledged) + rng.randint(2, 5), round_ % 2 == 0
        stopped, killed = threading.Event(), threading.Event()

        def kill_once():
            with lock:
                if not killed.is_set():
                    killed.set()
                    serve.kill_group()

        def device():
            while not stopped.is_set():
                with lock:
                    sent[0] += 1
                    document = docgen.text_pdf([[(20, 20, f"送付 {sent[0]}", 12)]])
                try:
                    code, text = submit(smtp_port, fax_message(document))
                except (OSError, smtplib.SMTPException):
                    time.sleep(0.05)  # the gateway is down: a device retries later
                    continue
                if code == 250:
                    with lock:
                        acknowledged[text.rsplit(" ", 1)[1]] = hashlib.sha256(document).hexdigest()
                        due = len(acknowledged) >= wanted
                    if due and on_reply:
                        kill_once()  # the instant the device has its 250: whatever comes after it dies

        devices = [threading.Thread(target=device) for _ in range(2)]
        for thread in devices:
            thread.start()
        deadline = time.monotonic() + 60
        while len(acknowledged) < wanted and time.monotonic() < deadline and not killed.is_set():
            time.sleep(0.01)
        time.sleep(rng.uniform(0.0, 0.3))  # else a random moment while the devices are mid-message
        kill_once()
        assert _living_in_group(serve.process.pid) == [], "a process of the gateway survived the kill"
        stopped.set()
        for thread in devices:
            thread.join(30)

    print(f"{len(acknowledged)} jobs acknowledged across {rounds} kill -9 rounds of the whole process group")
    assert len(acknowledged) >= 2 * rounds, "the load reached the gateway"
    serve = Serve(config, http_port, log)
    try:
        wait_port(smtp_port, serve.process)
        _wait(lambda: not _count(app, ("received", "screening")), "every stored job screened after the restart",
              timeout=180)
        with app.unit_of_work() as uow:
            for job_id, digest in acknowledged.items():
                job = uow.session.get(Job, job_id)
                assert job is not None, f"job {job_id} got a 250 but is not stored"
                assert job.content_sha256 == digest == hashlib.sha256(uow.jobs.document_of(job_id)).hexdigest()
                assert job.state == "awaiting_confirmation", (job_id, job.state, job.reasons)
            stored = uow.session.query(Job).count()
        print(f"{stored - len(acknowledged)} jobs stored whose 250 never reached the device")
    finally:
        serve.stop()


def _count(app: App, states: tuple[str, ...]) -> int:
    with db_session(app) as session:
        return session.query(Job).filter(Job.state.in_(states)).count()

"""`faxgate serve` as an operator runs it: the installed console script in its own process.
Includes reliability row 1: kill -9 at random moments while devices send; every job that got a
250 is stored intact and processed after restart."""

from __future__ import annotations

import hashlib
import random
import signal
import smtplib
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from gateway.app import App
from gateway.config import load_config
from gateway.jobs import document_of
from gateway.models import Job
from tests import docgen
from tests.harness import DOMAIN, SmtpSink, confirm_by_api, fax_message, free_port, seed, submit, wait_state

FAXGATE = Path(sys.executable).with_name("faxgate")


@pytest.fixture
def site(tmp_path):
    fax, mail = SmtpSink().start(), SmtpSink().start()
    smtp_port, http_port = free_port(), free_port()
    config = tmp_path / "faxgate.toml"
    config.write_text(
        f'[database]\nurl = "sqlite:///{tmp_path}/faxgate.db"\n'
        f'[smtp]\nport = {smtp_port}\ndomain = "{DOMAIN}"\n'
        f'[http]\nport = {http_port}\n'
        f'[relay]\nurl = "smtp://127.0.0.1:{fax.port}"\n'
        f'[mail]\nurl = "smtp://127.0.0.1:{mail.port}"\n'
        '[logging]\nformat = "json"\n',
        encoding="utf-8",
    )
    app = App(load_config(config))
    tokens = seed(app)
    yield app, config, tokens, fax, smtp_port, http_port
    fax.stop()
    mail.stop()


def start_serve(config: Path, log: Path) -> subprocess.Popen:
    return subprocess.Popen([str(FAXGATE), "serve", "--config", str(config)], stdout=subprocess.DEVNULL,
                            stderr=log.open("ab"))


def wait_port(port: int, process: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while True:
        assert process.poll() is None, "faxgate serve exited while starting"
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            assert time.monotonic() < deadline, f"port {port} not listening after {timeout}s"
            time.sleep(0.05)


def stop(process: subprocess.Popen, sig=signal.SIGTERM) -> int:
    process.send_signal(sig)
    return process.wait(timeout=30)


def test_serve_runs_smtp_api_and_worker_in_one_process(site, tmp_path):
    app, config, tokens, fax, smtp_port, http_port = site
    process = start_serve(config, tmp_path / "serve.log")
    try:
        wait_port(smtp_port, process)
        wait_port(http_port, process)
        reply = submit(smtp_port, fax_message(docgen.text_pdf([[(20, 20, "送付のご案内", 16)]])))
        job_id = reply[1].rsplit(" ", 1)[1]
        assert wait_state(app, job_id, {"awaiting_confirmation", "blocked"}) == "awaiting_confirmation"
        client = httpx.Client(base_url=f"http://127.0.0.1:{http_port}", timeout=10)
        for user in ("sato", "suzuki"):
            client.headers["Authorization"] = f"Bearer {tokens[user]}"
            answer = confirm_by_api(client, job_id, "03-5432-1111")
            assert answer.status_code == 200, answer.text
        assert wait_state(app, job_id, {"sent"}) == "sent"
        assert client.get("/openapi.json").status_code == 200
    finally:
        assert stop(process) == 0
    log = (tmp_path / "serve.log").read_text(encoding="utf-8")
    assert '"event": "smtp_listening"' in log and '"event": "stopping"' in log


def test_serve_parts_run_alone(site, tmp_path):
    app, config, tokens, fax, smtp_port, http_port = site
    intake = subprocess.Popen([str(FAXGATE), "serve", "--only", "smtp", "--config", str(config)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_port(smtp_port, intake)
        job_id = submit(smtp_port, fax_message(docgen.text_pdf([[(20, 20, "案内", 16)]])))[1].rsplit(" ", 1)[1]
        time.sleep(1.0)
        with app.session() as session:
            assert session.get(Job, job_id).state == "received", "no worker runs in an smtp-only process"
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", http_port), timeout=1)
        worker = subprocess.Popen([str(FAXGATE), "serve", "--only", "worker", "--config", str(config)],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            assert wait_state(app, job_id, {"awaiting_confirmation"}) == "awaiting_confirmation"
        finally:
            stop(worker)
    finally:
        stop(intake)
    bad = subprocess.run([str(FAXGATE), "serve", "--only", "fax", "--config", str(config)], capture_output=True, text=True)
    assert bad.returncode == 2 and "unknown part" in bad.stderr


def test_kill_9_loses_no_acknowledged_job(site, tmp_path):
    app, config, tokens, fax, smtp_port, http_port = site
    acknowledged: dict[str, str] = {}
    lock = threading.Lock()
    rng = random.Random(371)

    def device(stop_at: float, serial: list[int]):
        while time.monotonic() < stop_at:
            serial[0] += 1
            document = docgen.text_pdf([[(20, 20, f"送付 {threading.get_ident()} {serial[0]}", 12)]])
            try:
                code, text = submit(smtp_port, fax_message(document))
            except (OSError, smtplib.SMTPException):
                time.sleep(0.05)  # the gateway is down: a device retries later
                continue
            if code == 250:
                with lock:
                    acknowledged[text.rsplit(" ", 1)[1]] = hashlib.sha256(document).hexdigest()

    log = tmp_path / "serve.log"
    for _round in range(3):
        process = start_serve(config, log)
        wait_port(smtp_port, process)
        stop_at = time.monotonic() + rng.uniform(1.2, 2.0)
        devices = [threading.Thread(target=device, args=(stop_at + 0.5, [0])) for _ in range(2)]
        for thread in devices:
            thread.start()
        time.sleep(max(0.0, stop_at - time.monotonic()))
        process.kill()  # SIGKILL: no clean-up of any kind
        process.wait(timeout=30)
        for thread in devices:
            thread.join(30)

    print(f"{len(acknowledged)} jobs acknowledged across 3 kill -9 rounds")
    assert len(acknowledged) >= 8, "the load reached the gateway"
    process = start_serve(config, log)
    try:
        wait_port(smtp_port, process)
        deadline = time.monotonic() + 120
        while True:
            with app.session() as session:
                pending = session.query(Job).filter(Job.state.in_(("received", "screening"))).count()
            if not pending:
                break
            assert time.monotonic() < deadline, f"{pending} jobs not processed after restart"
            time.sleep(0.2)
        with app.session() as session:
            for job_id, digest in acknowledged.items():
                job = session.get(Job, job_id)
                assert job is not None, f"job {job_id} got a 250 but is not stored"
                assert job.content_sha256 == digest == hashlib.sha256(document_of(session, job_id)).hexdigest()
                assert job.state == "awaiting_confirmation", (job_id, job.state, job.reasons)
    finally:
        stop(process)

"""`faxgate serve` as an operator runs it: the installed console script in its own process.
Reliability row 1 (kill -9 of the whole gateway): tests/e2e/test_hostile_processes.py."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from gateway.bootstrap import App
from gateway.config import load_config
from gateway.storage.tables import Job
from gateway.services.users import add_user, new_token
from tests.support import docgen
from tests.support.harness import db_session, DOMAIN, confirm_by_api, fax_message, free_port, seed, submit, wait_state

FAXGATE = Path(sys.executable).with_name("faxgate")


@pytest.fixture
def site(tmp_path, monkeypatch, fax, mail):
    monkeypatch.chdir(tmp_path)  # the embedded default keeps its signing key in ./faxgate-keys
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
    return app, config, tokens, fax, smtp_port, http_port


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


def test_first_start_makes_the_local_ca_and_every_ended_job_gets_a_signed_record(site, tmp_path):
    """No [records] configured (the embedded default): the first `faxgate serve` makes the local
    CA and signing key, as `faxgate records init-ca` would; a restart keeps them."""
    app, config, tokens, fax, smtp_port, http_port = site
    keys = tmp_path / "faxgate-keys"
    assert not keys.exists()
    process = start_serve(config, tmp_path / "serve.log")
    try:
        wait_port(http_port, process)
        assert sorted(p.name for p in keys.iterdir()) == ["ca-key.pem", "ca.pem", "data-kek.key",
                                                          "signing-cert.pem", "signing-key.pem"]  # the KEK beside them
        assert (keys / "signing-key.pem").stat().st_mode & 0o077 == 0
        client = httpx.Client(base_url=f"http://127.0.0.1:{http_port}", timeout=10)
        assert client.get("/readyz").json() == {"status": "ready"}
        job_id = submit(smtp_port, fax_message(docgen.text_pdf([[(20, 20, "案内", 16)]]), to=f"sd-2@{DOMAIN}"))[1].rsplit(" ", 1)[1]
        assert wait_state(app, job_id, {"blocked"}) == "blocked"
        sato = {"Authorization": f"Bearer {tokens['sato']}"}
        # The submitter withdraws it: ended, so its record (which names the number) is there for
        # those who keep the records.
        assert client.post(f"/api/jobs/{job_id}/reject", json={"reason": "取り下げ"}, headers=sato).status_code == 200
        with app.unit_of_work() as uow:
            auditor = {"Authorization": "Bearer " + new_token(
                uow, add_user(uow, "kimura", "auditor", "kimura@city.example.jp", "監査", None, "test"), "test")}
        deadline = time.monotonic() + 30
        while (record := client.get(f"/api/jobs/{job_id}/record.pdf", headers=auditor)).status_code != 200:
            assert time.monotonic() < deadline, record.text
            time.sleep(0.2)
    finally:
        assert stop(process) == 0
    (tmp_path / "record.pdf").write_bytes(record.content)
    verified = subprocess.run([str(FAXGATE), "records", "verify", "record.pdf", "--config", str(config)],
                              capture_output=True, text=True)
    assert verified.returncode == 0, verified.stderr
    trust_root = (keys / "ca.pem").read_bytes()
    process = start_serve(config, tmp_path / "serve.log")
    try:
        wait_port(http_port, process)
    finally:
        assert stop(process) == 0
    assert (keys / "ca.pem").read_bytes() == trust_root, "a restart must not replace the trust root"


def test_an_unusable_key_is_reported_and_the_records_follow_once_it_is_fixed(tmp_path, monkeypatch, fax, mail):
    """A key configured but missing: intake and screening go on, /readyz answers 503 saying why,
    nothing is invented in its place, and once the key is there every ended job gets its record."""
    from gateway.bootstrap import App
    from gateway.config import RecordsConfig
    from gateway.storage.tables import Record
    from gateway.entrypoints.serve import BackgroundGateway
    from gateway.records.pki import init_ca
    from gateway.entrypoints.worker import Worker
    from tests.support.harness import make_config, queued_id

    keys = tmp_path / "keys"
    configured = RecordsConfig(key_file=str(keys / "signing-key.pem"), cert_file=str(keys / "signing-cert.pem"),
                               chain_file=str(keys / "ca.pem"), trust_root=str(keys / "ca.pem"))
    config = make_config(tmp_path, fax.port, mail.port)
    app = App(type(config)(**{**config.__dict__, "records": configured}))
    seed(app)
    monkeypatch.setattr(Worker, "RECORDS_RETRY_SECONDS", 0.5)
    monkeypatch.setattr(App, "SIGNING_RECHECK_SECONDS", 0)
    with BackgroundGateway(app, idle_seconds=0.1) as gateway:
        # (the directory may hold data-kek.key: encryption at rest's key, made beside the signing key)
        assert not (keys / "signing-key.pem").exists(), "a configured key is never replaced by one made up"
        client = httpx.Client(base_url=f"http://127.0.0.1:{gateway.http_port}", timeout=10)
        answer = client.get("/readyz")
        assert answer.status_code == 503 and answer.json()["status"] == "signing key unusable"
        assert answer.json()["code"] == "missing_file" and "signing-key.pem" in answer.json()["reason"]
        assert "見つかりません" in answer.json()["reason_ja"]
        job_id = queued_id(submit(gateway.smtp_port, fax_message(docgen.text_pdf([[(20, 20, "案内", 16)]]),
                                                                 to=f"sd-2@{DOMAIN}")))
        assert wait_state(app, job_id, {"blocked"}) == "blocked"
        time.sleep(1.0)
        with db_session(app) as session:
            assert session.query(Record).filter_by(job_id=job_id).count() == 0
        init_ca(keys)
        deadline = time.monotonic() + 30
        while True:
            with db_session(app) as session:
                if session.query(Record).filter_by(job_id=job_id, state="blocked").count():
                    break
            assert time.monotonic() < deadline, "the ended job never got its record"
            time.sleep(0.2)
        assert client.get("/readyz").json() == {"status": "ready"}


def test_serve_parts_run_alone(site, tmp_path):
    app, config, tokens, fax, smtp_port, http_port = site
    intake = subprocess.Popen([str(FAXGATE), "serve", "--only", "smtp", "--config", str(config)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_port(smtp_port, intake)
        job_id = submit(smtp_port, fax_message(docgen.text_pdf([[(20, 20, "案内", 16)]])))[1].rsplit(" ", 1)[1]
        time.sleep(1.0)
        with db_session(app) as session:
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

"""The key-encryption key against the running gateway (issue 16): a wrong or missing KEK fails
closed (/readyz 503 saying why, SMTP intake 451 4.3.0, the worker touches no job, no key is made
up in its place) and nothing is lost once the right key is back; `faxgate keys rotate` re-wraps
every data key under a new KEK while the gateway runs, leaves every document's ciphertext as it
was, is audited, and the old key opens nothing afterwards."""

from __future__ import annotations

import dataclasses
import hashlib
import time

import httpx
from click.testing import CliRunner
from sqlalchemy import select

from gateway.bootstrap import App
from gateway.config import KeysConfig
from gateway.entrypoints.cli.main import cli
from gateway.entrypoints.serve import BackgroundGateway
from gateway.storage import kek
from gateway.storage.tables import AuditEvent, DataKey, Job, JobBlob
from tests.support import docgen
from tests.support.harness import fax_message, make_config, queued_id, seed, submit, wait_state

PAGE = [[(20, 20, "送付のご案内", 16), (20, 40, "会議資料を送付します。担当: 保健福祉課 佐藤", 11)]]


def _app(tmp_path, fax, mail) -> App:
    config = make_config(tmp_path, fax.port, mail.port)
    return App(dataclasses.replace(config, keys=KeysConfig(kek_file=str(tmp_path / "keys" / "data-kek.key"))))


def _ready(gateway) -> httpx.Response:
    return httpx.get(f"http://127.0.0.1:{gateway.http_port}/readyz", timeout=10)


def _wait_ready(gateway, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while _ready(gateway).status_code != 200:
        assert time.monotonic() < deadline, _ready(gateway).json()
        time.sleep(0.2)


def _document_sha(app: App, job_id: str) -> str:
    with app.unit_of_work(read_only=True) as uow:
        return hashlib.sha256(uow.jobs.blob(job_id).document).hexdigest()


def test_a_wrong_or_missing_kek_fails_closed_and_nothing_is_lost(tmp_path, fax, mail, monkeypatch):
    monkeypatch.setattr(App, "KEK_CHECK_SECONDS", 0.2)
    app = _app(tmp_path, fax, mail)
    seed(app)
    document = docgen.text_pdf(PAGE)
    with BackgroundGateway(app, worker=False) as gateway:  # stored, not screened yet
        waiting = queued_id(submit(gateway.smtp_port, fax_message(document)))
    right = (tmp_path / "keys" / "data-kek.key").read_bytes()

    for problem in ("wrong_key", "missing_file"):
        if problem == "wrong_key":
            kek.write_file(str(tmp_path / "keys" / "data-kek.key"), (kek.new_key(),))
        else:
            (tmp_path / "keys" / "data-kek.key").unlink()
        app = _app(tmp_path, fax, mail)  # a fresh start of the gateway
        with app.unit_of_work(read_only=True) as uow:
            before = {job.id: job.state for job in uow.session.query(Job)}
        with BackgroundGateway(app, idle_seconds=0.1) as gateway:
            answer = _ready(gateway)
            assert answer.status_code == 503 and answer.json()["code"] == problem, answer.json()
            assert answer.json()["status"] == "key-encryption key unusable"
            assert ("このデータベースのものではありません" if problem == "wrong_key" else "ファイルがありません") \
                in answer.json()["reason_ja"]
            code, text = submit(gateway.smtp_port, fax_message(document))
            assert code == 451 and "4.3.0" in text, (code, text)
            time.sleep(1.0)  # the worker had time to take the waiting job: it must not
            with app.unit_of_work(read_only=True) as uow:  # nothing half-stored; no job screened, held or failed
                assert {job.id: job.state for job in uow.session.query(Job)} == before
            assert problem != "wrong_key" or before[waiting] == "received"
            if problem == "missing_file":
                assert not (tmp_path / "keys" / "data-kek.key").exists(), "no key made up in its place"
            (tmp_path / "keys" / "data-kek.key").write_bytes(right)
            _wait_ready(gateway)
            assert wait_state(app, waiting, {"awaiting_confirmation", "blocked"}) == "awaiting_confirmation"
            assert _document_sha(app, waiting) == hashlib.sha256(document).hexdigest()
            queued_id(submit(gateway.smtp_port, fax_message(document)))


def test_keys_rotate_rewraps_every_data_key_while_the_gateway_runs(tmp_path, fax, mail):
    app = _app(tmp_path, fax, mail)
    seed(app)
    config_file = tmp_path / "faxgate.toml"
    config_file.write_text(f'[database]\nurl = "{app.config.database.url}"\n'
                           f'[keys]\nkek_file = "{app.kek_file}"\n', encoding="utf-8")
    documents = [docgen.text_pdf([[(20, 20, f"送付のご案内 {n}", 16)]]) for n in range(3)]
    with BackgroundGateway(app, idle_seconds=0.1) as gateway:
        jobs = [queued_id(submit(gateway.smtp_port, fax_message(d))) for d in documents]
        for job_id in jobs:
            wait_state(app, job_id, {"awaiting_confirmation"})
        old = kek.read_file(app.kek_file)
        with app.unit_of_work(read_only=True) as uow:
            sealed_before = {b.job_id: b.stored_document for b in uow.session.scalars(select(JobBlob))}
            assert {k.kek_id for k in uow.session.scalars(select(DataKey))} == {old.current_id}

        result = CliRunner().invoke(cli, ["--config", str(config_file), "keys", "rotate", "--by", "cli:admin"],
                                    catch_exceptions=False)
        assert result.exit_code == 0, result.output

        new = kek.read_file(app.kek_file)
        assert len(new.keys) == 1 and new.current_id != old.current_id, "the old key is gone from the file"
        with app.unit_of_work(read_only=True) as uow:
            rows = list(uow.session.scalars(select(DataKey)))
            assert {k.kek_id for k in rows} == {new.current_id} and len(rows) == len(jobs)
            assert {b.job_id: b.stored_document for b in uow.session.scalars(select(JobBlob))} == sealed_before, \
                "the documents were not encrypted again"
            [event] = uow.session.scalars(select(AuditEvent).where(AuditEvent.action == "keys.rotated"))
            assert event.actor == "cli:admin" and event.data["rewrapped"] == len(jobs)
            assert event.data["previous"] == old.current_id and event.data["current"] == new.current_id
            row = rows[0]
        try:
            old.unwrap(row.wrapped, row.owner, row.kek_id)
            raise AssertionError("the old key still opens a data key")
        except kek.AtRestKeyError as exc:
            assert exc.code == "wrong_key"

        # The running gateway took the new key: a new job is stored under it and /readyz is content.
        after = queued_id(submit(gateway.smtp_port, fax_message(documents[0])))
        assert _ready(gateway).status_code == 200
        with app.unit_of_work(read_only=True) as uow:
            assert uow.session.get(DataKey, after).kek_id == new.current_id
    verified = CliRunner().invoke(cli, ["--config", str(config_file), "audit", "verify"], catch_exceptions=False)
    assert verified.exit_code == 0, verified.output

    restarted = _app(tmp_path, fax, mail)
    for job_id, document in zip(jobs, documents):
        assert _document_sha(restarted, job_id) == hashlib.sha256(document).hexdigest()

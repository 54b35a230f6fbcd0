"""The attachment's file name is sealed too (issue 16 follow-up): it can name a person
(山田花子_申請書.pdf). A fax sent through real SMTP with such a name is screened and gets its
signed record; the storage door gives the name back, the raw bytes of the SQLite file (with its
WAL) hold it in no form, and the sealed value is bound to its job and field."""

from __future__ import annotations

import dataclasses
import time
import urllib.parse

import pytest
from sqlalchemy import text

from gateway.bootstrap import App
from gateway.config import KeysConfig
from gateway.entrypoints.serve import BackgroundGateway
from gateway.services import at_rest_keys
from gateway.storage.kek import AtRestKeyError
from tests.e2e.test_at_rest_raw_bytes import PAGES, leaks
from tests.support import docgen
from tests.support.harness import fax_message, make_config, queued_id, seed, submit, wait_state
from tests.support.jobs import stored_job

NAME = "山田花子"
FILE_NAME = f"{NAME}_申請書.pdf"
CLEAN = [[(20, 20, "産後ケア事業 利用申請書", 14)]]  # nothing personal but the file name


def name_leaks(data: bytes) -> list[str]:
    found = [w for w in leaks(data) if w.startswith("name")]
    quoted = urllib.parse.quote(NAME).encode()  # RFC 2231, as in the message's header
    return found + (["name, percent-encoded"] if quoted in data or quoted.lower() in data.lower() else [])


def test_the_file_name_is_not_in_the_sqlite_file(tmp_path, fax, mail):
    config = dataclasses.replace(make_config(tmp_path, fax.port, mail.port),
                                 keys=KeysConfig(kek_file=str(tmp_path / "keys" / "data-kek.key")))
    app = App(config)
    seed(app)
    with BackgroundGateway(app, http=False, idle_seconds=0.1) as gateway:
        # Personal data on the page too: the job is blocked, so its signed record (which names
        # the file) is made at once.
        job_id = queued_id(submit(gateway.smtp_port, fax_message(docgen.text_pdf(PAGES), filename=FILE_NAME)))
        wait_state(app, job_id, {"blocked"}, timeout=120)
        wait_record(app, job_id)
    with app.unit_of_work(read_only=True) as uow:
        assert uow.jobs.get(job_id).filename == FILE_NAME, "read back through the storage door"
    with app.unit_of_work(read_only=True) as uow:
        stored = uow.session.execute(text("SELECT filename FROM jobs WHERE id = :i"), {"i": job_id}).scalar_one()
    assert stored.startswith("FGE1:")
    app.engine.dispose()
    raw = b"".join(p.read_bytes() for p in (tmp_path / "faxgate.db", tmp_path / "faxgate.db-wal") if p.exists())
    assert name_leaks(raw) == []


def test_a_sealed_file_name_moved_to_another_job_does_not_open(tmp_path, fax, mail):
    app = App(make_config(tmp_path, fax.port, mail.port))
    seed(app)
    first, second = stored_job(app), stored_job(app)
    with app.unit_of_work() as uow:
        uow.session.execute(text("UPDATE jobs SET filename = (SELECT filename FROM jobs WHERE id = :a) WHERE id = :b"),
                            {"a": first, "b": second})
    with app.unit_of_work(read_only=True) as uow:
        with pytest.raises(AtRestKeyError) as caught:
            uow.jobs.get(second).filename
    assert caught.value.code == "tampered" and caught.value.facts["field"] == "filename"


def test_the_check_finds_the_name_in_the_clear():
    """The scan can fail: the name as the message carries it and as UTF-8 is found."""
    message = fax_message(docgen.text_pdf(CLEAN), filename=FILE_NAME).as_bytes()
    assert name_leaks(message) and name_leaks(FILE_NAME.encode())


def wait_record(app: App, job_id: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while True:
        with app.unit_of_work(read_only=True) as uow:
            if uow.records.latest_for_job(job_id) is not None:
                return
        assert time.monotonic() < deadline, "the signed record was not made"
        time.sleep(0.2)


def test_a_file_name_stored_in_the_clear_before_is_read_then_sealed(tmp_path, fax, mail):
    app = App(make_config(tmp_path, fax.port, mail.port))
    seed(app)
    job_id = stored_job(app)
    with app.unit_of_work() as uow:  # as the release before stored it
        uow.session.execute(text("UPDATE jobs SET filename = :f WHERE id = :i"), {"f": FILE_NAME, "i": job_id})
    with app.unit_of_work(read_only=True) as uow:
        assert uow.jobs.get(job_id).filename == FILE_NAME
    assert at_rest_keys.encrypt_existing(app, "test") >= 1
    with app.unit_of_work(read_only=True) as uow:
        stored = uow.session.execute(text("SELECT filename FROM jobs WHERE id = :i"), {"i": job_id}).scalar_one()
        assert stored.startswith("FGE1:") and uow.jobs.get(job_id).filename == FILE_NAME
    assert at_rest_keys.encrypt_existing(app, "test") == 0

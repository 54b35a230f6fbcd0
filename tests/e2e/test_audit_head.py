"""The audit trail's tail (issue 17, point 9). Whoever owns the database can edit an event and
recompute every hash after it, or remove the last events, and delete the checkpoints stored beside
them: `audit verify` alone then says ok. The running gateway signs the head on time (not only every
1000 events) and appends it to a file outside the database; `faxgate audit export-head` writes one
on demand; `audit verify --head FILE` catches both rewrites."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
import time

from sqlalchemy import select, text, update

from gateway.bootstrap import App
from gateway.entrypoints.serve import BackgroundGateway
from gateway.storage.repositories.audit import event_hash
from gateway.storage.tables import AuditEvent, AuditHead
from tests.support import docgen
from tests.support.harness import db_session, fax_message, make_config, queued_id, seed, submit, wait_state
from tests.support.web_support import CLEAN_PAGES


def _app(tmp_path, fax, mail, **records) -> App:
    config = make_config(tmp_path, fax.port, mail.port)
    app = App(dataclasses.replace(config, records=dataclasses.replace(config.records, **records)))
    seed(app)
    return app


def _faxgate(app, tmp_path, *args) -> subprocess.CompletedProcess:
    keys = app.config.records
    path = tmp_path / "cli.toml"
    path.write_text(f'[database]\nurl = "{app.config.database.url}"\n[records]\nkey_file = "{keys.key_file}"\n'
                    f'cert_file = "{keys.cert_file}"\nchain_file = "{keys.chain_file}"\n'
                    f'trust_root = "{keys.trust_root}"\n', encoding="utf-8")
    return subprocess.run([sys.executable, "-m", "gateway", "--config", str(path), *args],
                          capture_output=True, text=True, timeout=120)


def _head_id(app) -> int:
    with db_session(app) as session:
        return session.get(AuditHead, 1).last_id


def _rewrite_from(app, event_id: int, **change) -> None:
    """What the database's owner can do: change one event, recompute every hash from it on so the
    chain is consistent again, and drop the checkpoints kept in the database."""
    with db_session(app) as session:
        session.execute(update(AuditEvent).where(AuditEvent.id == event_id).values(**change))
        session.flush()
        previous = session.scalar(select(AuditEvent.hash).where(AuditEvent.id == event_id - 1))
        for event in session.scalars(select(AuditEvent).where(AuditEvent.id >= event_id).order_by(AuditEvent.id)):
            event.prev_hash = previous
            event.hash = previous = event_hash(event.id, event.at, event.actor, event.action, event.subject,
                                               event.reason, event.data, previous)
        session.execute(update(AuditHead).values(last_hash=previous))
        session.execute(text("DELETE FROM audit_checkpoints"))


def _remove_last(app) -> None:
    """Remove the newest event and set the head back to its predecessor; drop the checkpoints."""
    with db_session(app) as session:
        last = session.get(AuditHead, 1).last_id
        previous = session.scalar(select(AuditEvent.hash).where(AuditEvent.id == last - 1))
        session.execute(text("DELETE FROM audit_events WHERE id = :id"), {"id": last})
        session.execute(update(AuditHead).values(last_id=last - 1, last_hash=previous))
        session.execute(text("DELETE FROM audit_checkpoints"))


def test_the_running_gateway_signs_the_head_on_time_and_exports_it_where_a_rewrite_is_caught(tmp_path, fax, mail):
    heads = tmp_path / "worm" / "heads.jsonl"
    heads.parent.mkdir()
    app = _app(tmp_path, fax, mail, checkpoint_seconds=2, head_file=str(heads))  # checkpoint_every stays 1000
    with BackgroundGateway(app) as gateway:
        job_id = queued_id(submit(gateway.smtp_port, fax_message(docgen.text_pdf(CLEAN_PAGES))))
        assert wait_state(app, job_id, {"awaiting_confirmation", "blocked"}) == "awaiting_confirmation"
        events = _head_id(app)
        assert events < 1000, "far fewer events than checkpoint_every: only the clock can sign them"
        deadline = time.monotonic() + 30
        while not (heads.exists() and json.loads(heads.read_text().splitlines()[-1])["last_id"] >= events):
            assert time.monotonic() < deadline, "no checkpoint on time: the tail stays unsigned"
            time.sleep(0.2)
    exported = [json.loads(line) for line in heads.read_text().splitlines()]
    assert exported[-1]["last_id"] == _head_id(app)
    ok = _faxgate(app, tmp_path, "audit", "verify", "--head", str(heads))
    assert ok.returncode == 0 and f"{len(exported)} exported head(s) valid" in ok.stdout, ok.stdout + ok.stderr

    # The job's last event (its screening), rewritten as if the fax had been approved.
    _rewrite_from(app, _head_id(app), reason="approved by suzuki")
    assert _faxgate(app, tmp_path, "audit", "verify").returncode == 0, "the chain alone cannot tell"
    caught = _faxgate(app, tmp_path, "audit", "verify", "--head", str(heads))
    assert caught.returncode == 1 and "exported head" in caught.stderr, caught.stdout + caught.stderr


def test_export_head_then_an_edited_or_removed_tail_event_is_detected(tmp_path, fax, mail):
    app = _app(tmp_path, fax, mail)
    with app.unit_of_work() as uow:  # the newest events, after any checkpoint
        for number in range(3):
            uow.audit.append("user:sato", "job.note", f"job-{number}", "a note")
    printed = _faxgate(app, tmp_path, "audit", "export-head")
    assert printed.returncode == 0, printed.stderr
    assert json.loads(printed.stdout)["last_id"] == _head_id(app)
    head_file = tmp_path / "head.jsonl"
    written = _faxgate(app, tmp_path, "audit", "export-head", "-o", str(head_file))
    assert written.returncode == 0 and head_file.read_text().count("\n") == 1, written.stderr
    assert _faxgate(app, tmp_path, "audit", "verify", "--head", str(head_file)).returncode == 0

    # Edited with the chain recomputed: the newest-but-one event, after every checkpoint.
    _rewrite_from(app, _head_id(app) - 1, reason="nothing happened")
    assert _faxgate(app, tmp_path, "audit", "verify").returncode == 0, "the chain alone cannot tell"
    edited = _faxgate(app, tmp_path, "audit", "verify", "--head", str(head_file))
    assert edited.returncode == 1 and "exported head" in edited.stderr and "書き換え" in edited.stderr, edited.stderr

    # Removed: a head exported now (of the chain as it stands), then the newest event is gone and
    # the head points at its predecessor.
    later = tmp_path / "later.jsonl"
    assert _faxgate(app, tmp_path, "audit", "export-head", "-o", str(later)).returncode == 0
    _remove_last(app)
    assert _faxgate(app, tmp_path, "audit", "verify").returncode == 0, "the chain alone cannot tell"
    removed = _faxgate(app, tmp_path, "audit", "verify", "--head", str(later))
    assert removed.returncode == 1 and "exported head" in removed.stderr and "ありません" in removed.stderr


def test_a_head_file_that_is_not_one_is_refused_clearly(tmp_path, fax, mail):
    app = _app(tmp_path, fax, mail)
    bogus = tmp_path / "bogus.jsonl"
    bogus.write_text("not a head\n", encoding="utf-8")
    answer = _faxgate(app, tmp_path, "audit", "verify", "--head", str(bogus))
    assert answer.returncode == 2 and "1 行目が書き出した先頭の形式ではありません" in answer.stderr

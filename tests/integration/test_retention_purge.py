"""Retention (issue 16, reliability #20): `faxgate retention purge` deletes exactly the content
whose period is over (the shipped policy: a sent document after 365 days, a blocked one after 7,
the message 7 days after the end), nothing of a job with an open incident until it is closed,
nothing of a job still under way; `--dry-run` lists the same and deletes nothing; every deletion
is an audit event; `faxgate audit verify` and `faxgate records verify` still pass afterwards."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

from click.testing import CliRunner
from sqlalchemy import select, text

from gateway.bootstrap import App
from gateway.config import KeysConfig
from gateway.entrypoints.cli.main import cli
from gateway.entrypoints.worker import Worker
from gateway.storage.tables import AuditEvent, Incident, JobBlob
from tests.support.harness import make_config, seed
from tests.support.jobs import stored_job

NOW = dt.datetime.now(dt.timezone.utc)
JOBS = {  # name: (state, days since it ended, what the shipped policy deletes now)
    "sent_long_ago": ("sent", 400, ["message", "document"]),
    "sent_last_month": ("sent", 30, ["message"]),
    "blocked_last_week": ("blocked", 8, ["message", "document"]),
    "blocked_yesterday": ("blocked", 1, []),
    "blocked_with_incident": ("blocked", 8, []),  # until the incident is closed
    "rejected_last_week": ("rejected", 8, ["message"]),
    "waiting": ("awaiting_confirmation", 400, []),  # not ended: nothing goes
}


def _setup(tmp_path, fax, mail):
    config = dataclasses.replace(make_config(tmp_path, fax.port, mail.port),
                                 keys=KeysConfig(kek_file=str(tmp_path / "data-kek.key")))
    app = App(config)
    seed(app)
    ids = {}
    for name, (state, days, _) in JOBS.items():
        ids[name] = job_id = stored_job(app)
        with app.unit_of_work() as uow:
            uow.session.execute(text("UPDATE jobs SET state = :s, updated_at = :t WHERE id = :i"),
                                {"s": state, "t": NOW - dt.timedelta(days=days), "i": job_id})
    worker = Worker(app)
    while worker.record_one():  # every ended job's signed record (thumbnails from its pages)
        pass
    with app.unit_of_work() as uow:
        uow.incidents.add(job_id=ids["blocked_with_incident"], state="open", source="staff_report", opened_by="test",
                          learned_at=NOW, categories=[], sensitive=[], narrative={}, recurrence={})
    records = tmp_path / "records.toml"
    r = config.records
    records.write_text(f'[database]\nurl = "{config.database.url}"\n[keys]\nkek_file = "{config.keys.kek_file}"\n'
                       f'[records]\nkey_file = "{r.key_file}"\ncert_file = "{r.cert_file}"\n'
                       f'chain_file = "{r.chain_file}"\ntrust_root = "{r.trust_root}"\n', encoding="utf-8")
    return app, ids, records


def _kept(app, ids) -> dict[str, tuple[bool, bool]]:
    with app.unit_of_work(read_only=True) as uow:
        blobs = {b.job_id: b for b in uow.session.scalars(select(JobBlob))}
        return {name: (blobs[i].stored_message is not None, blobs[i].stored_document is not None)
                for name, i in ids.items()}


def _purge(config_file, *options) -> dict:
    result = CliRunner().invoke(cli, ["--config", str(config_file), "retention", "purge", "--json", *options],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_the_purge_deletes_exactly_what_expired_and_everything_still_verifies(tmp_path, fax, mail):
    app, ids, config_file = _setup(tmp_path, fax, mail)
    expected = {ids[name]: deleted for name, (_, _, deleted) in JOBS.items() if deleted}
    everything = _kept(app, ids)
    assert all(message and document for message, document in everything.values())

    listed = _purge(config_file, "--dry-run")
    assert {p["job"]: p["deleted"] for p in listed["purged"]} == expected
    assert _kept(app, ids) == everything, "a dry run deletes nothing"

    done = _purge(config_file)
    assert {p["job"]: p["deleted"] for p in done["purged"]} == expected
    kept = _kept(app, ids)
    for name, (_, _, deleted) in JOBS.items():
        assert kept[name] == ("message" not in deleted, "document" not in deleted), name
    with app.unit_of_work(read_only=True) as uow:
        events = {e.subject: e.data for e in uow.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "retention.purged"))}
        assert {job: data["deleted"] for job, data in events.items()} == expected
        assert uow.jobs.document_of(ids["sent_long_ago"]) is None
        assert uow.jobs.document_of(ids["sent_last_month"]).startswith(b"%PDF")
        record = uow.records.latest_for_job(ids["sent_long_ago"])
        pdf = record.pdf
    assert _purge(config_file)["purged"] == [], "nothing left to purge"

    runner = CliRunner()
    audit = runner.invoke(cli, ["--config", str(config_file), "audit", "verify"], catch_exceptions=False)
    assert audit.exit_code == 0, audit.output
    (tmp_path / "record.pdf").write_bytes(pdf)
    verified = runner.invoke(cli, ["--config", str(config_file), "records", "verify", str(tmp_path / "record.pdf")],
                             catch_exceptions=False)
    assert verified.exit_code == 0, verified.output

    # The incident closed: its job's content goes at the next purge.
    with app.unit_of_work() as uow:
        uow.session.scalars(select(Incident)).one().state = "closed"
    after = _purge(config_file)
    assert [(p["job"], p["deleted"]) for p in after["purged"]] == [(ids["blocked_with_incident"], ["message", "document"])]

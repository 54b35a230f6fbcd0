"""Finding the jobs a batch of messages resends: two queries for the whole batch, each reading
the messages' own index entries, never every job of the device in the resend window (issue 18:
the intake writer looked both up per message, and for a new document or a new Message-ID it read
all of the device's recent jobs)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import event, insert
from sqlalchemy.orm import Session

from gateway.storage import db
from gateway.storage.repositories.jobs import JobRepository
from gateway.storage.tables import Job

SINCE = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.timezone.utc)
TO_A, TO_B = "0354321111@fax.city.example.jp", "0354329999@fax.city.example.jp"


def _job(job_id: str, device: str, recipient: str, message_id: str | None, sha: str, minutes: int) -> dict:
    return dict(id=job_id, state="awaiting_confirmation", submitter_email="sato@city.example.jp",
                identity_source="test", device=device, client_address="127.0.0.1", envelope_from="sato@city.example.jp",
                recipient=recipient, destination_kind="speed_dial", destination_input="12", content_sha256=sha,
                content_type="application/pdf", filename="x", size=1, message_id=message_id,
                created_at=SINCE + dt.timedelta(minutes=minutes), updated_at=SINCE)


def _migrated_with_jobs(url: str):
    engine = db.make_engine(url)
    db.upgrade(engine)  # the migrated schema, indexes included
    with engine.begin() as connection:
        connection.execute(insert(Job), [
            _job("old", "mfd-3f", TO_A, "<m1@mfd>", "a" * 64, -5),  # before the window
            _job("first", "mfd-3f", TO_A, "<m1@mfd>", "a" * 64, 1),
            _job("second", "mfd-3f", TO_A, "<m2@mfd>", "a" * 64, 2),
            _job("other-device", "mfd-2f", TO_A, "<m1@mfd>", "a" * 64, 0),
            _job("other-recipient", "mfd-3f", TO_B, "<m3@mfd>", "b" * 64, 0),
        ])
    return engine


@pytest.fixture
def engine(tmp_path):
    return _migrated_with_jobs(f"sqlite:///{tmp_path}/r.db")


def test_the_oldest_job_for_each_key_of_a_batch_on_postgresql(postgres_url):
    test_the_oldest_job_for_each_key_of_a_batch(_migrated_with_jobs(postgres_url))


def test_the_oldest_job_for_each_key_of_a_batch(engine):
    with Session(engine) as session:
        jobs = JobRepository(session)
        by_message = jobs.oldest_since("message_id", {("mfd-3f", TO_A, "<m1@mfd>"), ("mfd-3f", TO_A, "<m2@mfd>"),
                                                      ("mfd-3f", TO_A, "<m3@mfd>"), ("mfd-2f", TO_A, "<m1@mfd>")}, SINCE)
        assert {key[2] + " " + key[0]: job.id for key, job in by_message.items()} == {
            "<m1@mfd> mfd-3f": "first", "<m2@mfd> mfd-3f": "second", "<m1@mfd> mfd-2f": "other-device"}
        by_document = jobs.oldest_since("content_sha256", {("mfd-3f", TO_A, "a" * 64), ("mfd-3f", TO_B, "a" * 64)},
                                        SINCE)
        assert {key: job.id for key, job in by_document.items()} == {("mfd-3f", TO_A, "a" * 64): "first"}
        assert jobs.oldest_since("message_id", set(), SINCE) == {}


@pytest.mark.parametrize("column, index", [("message_id", "ix_jobs_resend_message"),
                                           ("content_sha256", "ix_jobs_resend_document")])
def test_each_lookup_searches_its_own_index(engine, column, index):
    seen: list[tuple[str, object]] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT"):  # not the connection's own PRAGMAs
            seen.append((statement, parameters))

    keys = {("mfd-3f", TO_A, "<m1@mfd>" if column == "message_id" else "a" * 64)}
    event.listen(engine, "before_cursor_execute", record)
    try:
        with Session(engine) as session:
            assert [job.id for job in JobRepository(session).oldest_since(column, keys, SINCE).values()] == ["first"]
    finally:
        event.remove(engine, "before_cursor_execute", record)
    with engine.connect() as connection:
        plans = [" | ".join(row[-1] for row in connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters))
                 for statement, parameters in seen]
    assert len(plans) == 2, plans  # the oldest per key, then those jobs by their primary key
    assert f"SEARCH jobs USING INDEX {index} (device=? AND recipient=? AND {column}=? AND created_at>?)" in plans[0]
    assert "SCAN jobs" not in plans[0] and "SCAN jobs" not in plans[1], plans


def _instructions(engine, column: str, keys: set) -> int:
    """SQLite's virtual-machine steps (in hundreds) that oldest_since takes: the work done, by count."""
    with Session(engine) as session:
        raw = session.connection().connection.driver_connection
        steps = [0]

        def step():
            steps[0] += 1
            return 0

        raw.set_progress_handler(step, 100)
        try:
            JobRepository(session).oldest_since(column, keys, SINCE)
        finally:
            raw.set_progress_handler(None, 100)
    return steps[0]


def test_a_document_faxed_a_thousand_times_costs_no_more_to_look_up(engine):
    """The first copy is found from the index's first entry for the key, not by reading them all."""
    keys = {("mfd-3f", TO_A, "a" * 64), ("mfd-2f", TO_A, "a" * 64)}
    few = _instructions(engine, "content_sha256", keys)
    with engine.begin() as connection:
        connection.execute(insert(Job), [_job(f"copy-{n}", "mfd-3f", TO_A, f"<c{n}@mfd>", "a" * 64, 3 + n % 5)
                                         for n in range(2000)])
    many = _instructions(engine, "content_sha256", keys)
    assert many <= few + 2, (few, many)

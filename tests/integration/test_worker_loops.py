"""The worker loops of one gateway process: several screening threads handle each job exactly
once, crash leftovers included, and the intake wakes an idle worker instead of letting the job
wait for the next look (bench/bench_latency.py measures what that is worth)."""

from __future__ import annotations

import collections
import time

import pytest
from sqlalchemy import select, text

from gateway.storage.repositories.audit import AuditRepository
from gateway.bootstrap import App
from gateway.storage.tables import AuditEvent, RuleResult
from gateway.entrypoints.serve import BackgroundGateway
from tests.support import docgen
from tests.support.harness import db_session, fax_message, make_config, queued_id, seed, submit, wait_state

SCREENED = {"awaiting_confirmation", "blocked"}


@pytest.fixture
def app(tmp_path, fax, mail):
    app = App(make_config(tmp_path, fax.port, mail.port))
    seed(app)
    return app


def clean(n: int) -> bytes:
    return docgen.text_pdf([[(20, 20, "送付のご案内", 16), (20, 40, f"会議資料 {n} を送付します。", 11)]])


def test_screening_threads_screen_every_job_exactly_once(app):
    with BackgroundGateway(app, http=False, worker=False) as gateway:
        job_ids = [queued_id(submit(gateway.smtp_port, fax_message(clean(n)))) for n in range(9)]
    with db_session(app) as session:  # a crash left one job mid-screening
        session.execute(text("UPDATE jobs SET state = 'screening' WHERE id = :id"), {"id": job_ids[0]})

    with BackgroundGateway(app, http=False, screening_threads=3) as gateway:
        loops = [thread.name for thread in gateway.worker_threads if thread.name != "lease-heartbeat"]
        assert loops == ["worker-0", "worker-1", "worker-2"]
        for job_id in job_ids:
            assert wait_state(app, job_id, SCREENED, timeout=60) == "awaiting_confirmation"

    with db_session(app) as session:
        claims = collections.Counter(session.scalars(select(AuditEvent.subject).where(AuditEvent.action == "job.screening")))
        runs = {job_id: set(session.scalars(select(RuleResult.run).where(RuleResult.job_id == job_id))) for job_id in job_ids}
        assert AuditRepository(session).verify().ok
    assert claims == {job_id: 1 for job_id in job_ids}, "one claim per job, the crash leftover's too"
    assert runs == {job_id: {1} for job_id in job_ids}, "one screening run per job"


def test_the_intake_wakes_an_idle_worker(app):
    """The worker would look again only after an hour: the job is screened because the intake
    of the same process wakes it."""
    with BackgroundGateway(app, http=False, idle_seconds=3600) as gateway:
        first = queued_id(submit(gateway.smtp_port, fax_message(clean(1))))
        assert wait_state(app, first, SCREENED) == "awaiting_confirmation"
        time.sleep(1)  # every loop has looked again, found nothing and gone idle
        second = queued_id(submit(gateway.smtp_port, fax_message(clean(2))))
        assert wait_state(app, second, SCREENED, timeout=30) == "awaiting_confirmation"

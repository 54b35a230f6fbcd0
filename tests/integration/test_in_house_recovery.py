"""An in-house delivery (庁内便) whose worker dies mid-delivery: nothing of it was delivered (the
delivery and the job's `sent` are one transaction), so once its lease runs out it is delivered
again, exactly once; a fax in the same place would be delivery_unknown (tests/integration/test_jobs.py)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select, text

from gateway.bootstrap import App
from gateway.entrypoints.worker import Worker
from gateway.services import inbox
from gateway.storage.inbox_tables import InboxDelivery
from gateway.storage.tables import Job
from tests.support.harness import DOMAIN, change_approved, db_session, make_config, race, seed
from tests.support.jobs import approve, stored_job

SECTION = "国保課"


class _Crash(Exception):
    pass


@pytest.fixture
def app(tmp_path, fax, mail):
    policy = f'version = "inbox-always"\n[in_house]\ninbox_always = ["{SECTION}"]\n'
    app = App(make_config(tmp_path, fax.port, mail.port, policy_text=policy))
    seed(app)
    with app.unit_of_work() as uow:
        change_approved(uow, app, 4, inbox=SECTION)
    return app


def test_a_delivery_cut_short_is_delivered_again_once(app, fax, monkeypatch):
    job_id = stored_job(app, recipient=f"sd-4@{DOMAIN}")
    approve(app, job_id, "1234")
    deliver = inbox.deliver

    def dies(*args, **kwargs):
        raise _Crash

    monkeypatch.setattr(inbox, "deliver", dies)
    worker = Worker(app)
    with pytest.raises(_Crash):
        worker.relay_one()
    monkeypatch.setattr(inbox, "deliver", deliver)
    with db_session(app) as session:
        assert (session.get(Job, job_id).state, session.get(InboxDelivery, job_id)) == ("sending", None)
        session.execute(text("UPDATE jobs SET lease_until = :t WHERE id = :i"), {"t": dt.datetime(2000, 1, 1), "i": job_id})
    worker.recover()
    with db_session(app) as session:
        assert session.get(Job, job_id).state == "approved", "not delivery_unknown: no phone line was touched"
    race([Worker(app), Worker(app), Worker(app)], "relay_one")
    with db_session(app) as session:
        assert session.get(Job, job_id).state == "sent"
        assert session.scalar(select(func.count()).select_from(InboxDelivery)) == 1
    assert fax.received == []

"""An in-house delivery (庁内便) whose worker fails mid-delivery: the claim, the delivery and the
job's `sent` are one transaction, so nothing of it happened and the job is still approved (a fax in
the same place would be delivery_unknown: tests/integration/test_jobs.py); it is then delivered
exactly once, however many workers race for it. A section with nobody in faxgate gets nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, update

from gateway.bootstrap import App
from gateway.entrypoints.worker import Worker
from gateway.services import inbox
from gateway.services.users import add_user
from gateway.storage.inbox_tables import InboxDelivery
from gateway.storage.tables import Job, User
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
        add_user(uow, "nakamura", "staff", "nakamura@city.example.jp", SECTION, None, "test")
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
        assert (session.get(Job, job_id).state, session.get(InboxDelivery, job_id)) == ("approved", None)
    race([Worker(app), Worker(app), Worker(app)], "relay_one")
    with db_session(app) as session:
        assert session.get(Job, job_id).state == "sent"
        assert session.scalar(select(func.count()).select_from(InboxDelivery)) == 1
    assert fax.received == []


def test_a_section_nobody_in_faxgate_belongs_to_gets_nothing(app, fax):
    job_id = stored_job(app, recipient=f"sd-4@{DOMAIN}")
    approve(app, job_id, "1234")
    with db_session(app) as session:  # the section's only member leaves after the confirmations
        session.execute(update(User).where(User.name == "nakamura").values(active=False))
    assert Worker(app).relay_one()
    with db_session(app) as session:
        job = session.get(Job, job_id)
        assert job.state == "failed" and job.reasons[0]["code"] == "inbox_unstaffed"
        assert session.get(InboxDelivery, job_id) is None
    assert fax.received == [], "not faxed either"

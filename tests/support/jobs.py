"""Jobs put in the database as the intake stores them, and approved through the real rules (the
worker screens, two people confirm after seeing every page), for tests that drive what follows."""

from __future__ import annotations

import hashlib

from sqlalchemy import text

from gateway.entrypoints.worker import Worker
from gateway.services import jobs
from gateway.storage.tables import User
from tests.support import docgen
from tests.support.harness import db_session, DOMAIN, confirm_after_viewing

CLEAN = [[(20, 20, "送付のご案内", 16)]]


def stored_job(app, state="received", recipient=f"FAX=+81354321111@{DOMAIN}") -> str:
    """A job as the intake stores it; a speed dial (sd-N@) carries no number of its own."""
    document = docgen.text_pdf(CLEAN)
    with app.unit_of_work() as uow:
        user = uow.session.query(User).filter_by(name="sato").one()
        [job_id] = jobs.create_jobs(uow, [dict(
            message=b"raw", document=document, actor="test", submitter_id=user.id,
            submitter_email=user.email, department=user.department, identity_source="test", device="test",
            client_address="127.0.0.1", envelope_from=user.email, recipient=recipient,
            destination_kind="speed_dial" if recipient.startswith("sd-") else "e164",
            destination_input=recipient.split("@")[0], e164=None if recipient.startswith("sd-") else "+81354321111",
            content_sha256=hashlib.sha256(document).hexdigest(),
            content_type="application/pdf", filename="a.pdf", size=len(document),
        )])
    if state != "received":
        with db_session(app) as session:
            session.execute(text("UPDATE jobs SET state = :s WHERE id = :i"), {"s": state, "i": job_id})
    return job_id


def approve(app, job_id, number="0354321111"):
    """Screen and confirm through the real rules, as the API would."""

    worker = Worker(app)
    assert worker.screen_one()
    with app.unit_of_work() as uow:
        job = uow.jobs.get(job_id)
        assert job.state == "awaiting_confirmation", job.reasons
        for name in ("sato", "suzuki"):
            assert confirm_after_viewing(uow, job, uow.users.by_name(name), number, app.policy).status == 200
        assert job.state == "approved"

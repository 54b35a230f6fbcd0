"""Approvers told: once the submitter has confirmed, every approver who may confirm the job gets
a mail (at the real mail sink) with a link to the confirmation and no form of the number; the web
app shows it in their count and list; a reminder goes once before the job expires; nobody else is
mailed, and nobody twice."""

from __future__ import annotations

import datetime as dt
import re
import time

import pytest
from sqlalchemy import update

from gateway.storage.tables import Job
from tests.support import docgen
from tests.support.harness import api, confirm_by_api, db_session, fax_message, queued_id, submit, wait_state
from tests.support.web_support import CLEAN_PAGES, signed_in

pytestmark = pytest.mark.world(people="web")
APPROVERS = {"suzuki@city.example.jp", "tanaka@city.example.jp", "ito@city.example.jp"}  # 保健福祉課's
NUMBER_FORMS = ("5432-1111", "54321111", "5432 1111", "81354321111", "+81-3-5432", "03-5432", "(03)5432")


def _to_approvers(mail, subject_part: str) -> dict[str, str]:
    """To → subject and text of the mails to anyone but the submitter whose subject has `subject_part`."""
    found = {}
    for received in mail.received:
        message = received.message
        if subject_part in message["Subject"] and message["To"] != "sato@city.example.jp":
            found[message["To"]] = message["Subject"] + "\n" + message.get_body().get_content()
    return found


def _wait_for(mail, subject_part: str, count: int, timeout: float = 20) -> dict[str, str]:
    deadline = time.monotonic() + timeout
    while len(found := _to_approvers(mail, subject_part)) < count:
        assert time.monotonic() < deadline, f"{len(found)} of {count} mails: {sorted(found)}"
        time.sleep(0.2)
    return found


def _no_number(text: str) -> None:
    digits = re.sub(r"\D", "", text)
    assert not any(form in text for form in NUMBER_FORMS), text
    assert "354321111" not in digits, "no form of the number, whatever its separators"


def test_approvers_are_mailed_with_a_link_and_without_the_number(world):
    app, gateway, tokens, _, mail = world
    job_id = queued_id(submit(gateway.smtp_port, fax_message(docgen.text_pdf(CLEAN_PAGES))))
    assert wait_state(app, job_id, {"awaiting_confirmation", "blocked"}) == "awaiting_confirmation"
    time.sleep(6)  # a sweep of the worker's: nobody may confirm before the submitter, so nobody is told yet
    assert _to_approvers(mail, "確認をお願いします") == {}

    sato = api(gateway, tokens["sato"])
    assert confirm_by_api(sato, job_id, "03-5432-1111").status_code == 200
    told = _wait_for(mail, "確認をお願いします", len(APPROVERS))
    assert set(told) == APPROVERS, "the department's approvers, not 区民課's kato nor the submitter"
    link = f"{app.public_url}/jobs/{job_id}/confirm/pages/1"
    for text in told.values():
        assert job_id in text and link in text
        _no_number(text)

    suzuki = signed_in(world.port, "suzuki")
    page = suzuki.get(link.removeprefix(app.public_url))
    assert page.status_code == 200, "the link opens the confirmation's first step"
    waiting = suzuki.get("/confirmations").text
    assert re.search(r'id="pending-count">1<', waiting) and job_id in waiting, "always in the web app too"

    time.sleep(6)
    assert len([r for r in mail.received if r.message["Subject"].startswith("【faxgate】確認をお願いします")]) \
        == len(APPROVERS), "each is told once"

    with db_session(app) as session:  # three quarters of its time to live gone: the reminder is due
        ttl = dt.timedelta(hours=app.policy.job_ttl_hours)
        session.execute(update(Job).where(Job.id == job_id).values(updated_at=dt.datetime.now(dt.timezone.utc) - ttl * 0.8))
    reminded = _wait_for(mail, "期限が近づいています", len(APPROVERS))
    assert set(reminded) == APPROVERS
    for text in reminded.values():
        assert link in text and "期限を過ぎると送信されません" in text
        _no_number(text)

    assert confirm_by_api(api(gateway, tokens["suzuki"]), job_id, "0354321111").status_code == 200
    assert wait_state(app, job_id, {"sent", "failed"}) == "sent"
    assert re.search(r'id="pending-count">0<', suzuki.get("/confirmations").text)
    time.sleep(6)
    assert len([r for r in mail.received if "期限" in r.message["Subject"]]) == len(APPROVERS), "no reminder twice"

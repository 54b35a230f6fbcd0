"""Incident alerts and approvers' notices that must not vanish (issue 17, point 8). Against the
running gateway, the office mail server (a real SMTP server on loopback) is down while a job
waits for its approvers and while its wrong send is reported: both mails wait in the database and
are tried again, and each goes exactly once, as composed, when the mail server is back; an
approver's mail for a fax confirmed meanwhile does not go."""

from __future__ import annotations

import dataclasses
import re
import time

from gateway.bootstrap import App
from gateway.entrypoints.serve import BackgroundGateway
from gateway.storage.notice_tables import Notice
from tests.support import docgen
from tests.support.harness import api, confirm_by_api, db_session, fax_message, make_config, queued_id, submit, wait_state
from tests.support.web_support import CLEAN_PAGES, populate, signed_in

PRIVACY_OFFICE = "privacy@city.example.jp"
APPROVERS = {"suzuki@city.example.jp", "tanaka@city.example.jp", "ito@city.example.jp"}  # 保健福祉課's
WAITING_SUBJECT = "【faxgate】確認をお願いします"
ALERT_SUBJECT = "【faxgate】誤送信の報告"


def _notices(app, job_id: str, kind: str) -> list[Notice]:
    with db_session(app) as session:
        return list(session.query(Notice).filter_by(job_id=job_id, kind=kind).order_by(Notice.id))


def _wait(condition, timeout: float = 30, what: str = ""):
    deadline = time.monotonic() + timeout
    while not (found := condition()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)
    return found


def _tried_while_down(app, job_id: str, kind: str, count: int) -> list[Notice]:
    """The job's notices of `kind`, each tried at least once (the mail server's refusal recorded)."""
    return _wait(lambda: (found := _notices(app, job_id, kind)) and len(found) == count
                 and all(n.tries >= 1 and n.last_error for n in found) and found,
                 what=f"{count} {kind} notice(s) tried while the mail server is down")


def _mails(mail, subject: str, job_id: str) -> list:
    return [m for m in mail.received if m.message["Subject"] == f"{subject} ({job_id})"]


def test_with_the_mail_server_down_alerts_and_approvers_notices_wait_and_go_once(tmp_path, fax, mail):
    mail.stop()
    config = make_config(tmp_path, fax.port, mail.port)
    config = dataclasses.replace(config, mail=dataclasses.replace(config.mail, notice_retry_seconds=1,
                                                                  privacy_office=PRIVACY_OFFICE))
    app = App(config)
    tokens = populate(app)
    with BackgroundGateway(app) as gateway:
        sato = api(gateway, tokens["sato"])
        # `waiting` still waits for its approvers when the mail server is back; `done` was
        # confirmed, sent and reported as a wrong send meanwhile.
        waiting, done = (queued_id(submit(gateway.smtp_port, fax_message(docgen.text_pdf(CLEAN_PAGES))))
                         for _ in range(2))
        for job_id in (waiting, done):
            assert wait_state(app, job_id, {"awaiting_confirmation", "blocked"}) == "awaiting_confirmation"
            assert confirm_by_api(sato, job_id, "0354321111").status_code == 200

        # The approvers' notices are queued when they are owed, and tried, not dropped.
        for job_id in (waiting, done):
            queued = _tried_while_down(app, job_id, "approver_waiting", len(APPROVERS))
            assert {address for n in queued for address in n.recipients} == APPROVERS
            assert all(n.state == "pending" for n in queued)

        assert confirm_by_api(api(gateway, tokens["suzuki"]), done, "0354321111").status_code == 200
        assert wait_state(app, done, {"sent", "failed"}) == "sent"
        answer = sato.post(f"/api/jobs/{done}/incident", json={"reached": "株式会社B", "detail": "B社から電話"})
        assert answer.status_code == 201, answer.text

        # The incident alert is saved with the incident and tried, not dropped.
        [alert] = _tried_while_down(app, done, "incident_alert", 1)
        assert alert.state == "pending"
        assert mail.received == []
        page = signed_in(gateway.http_port, "sato").get(f"/jobs/{done}")
        assert page.status_code == 200, "the fax's page shows with an alert and approvers' notices queued"
        listed = page.text.split('id="mail-notices"')[1].split("</section>")[0]
        assert listed.count('<li class="notice-') == 2, \
            "the fax's page lists the submitter's two notices (waiting, sent), not the alert nor the approvers'"

        mail.start()
        _wait(lambda: len(_mails(mail, WAITING_SUBJECT, waiting)) >= len(APPROVERS) and _mails(mail, ALERT_SUBJECT, done),
              what="the approvers' notices and the alert by mail")
        _wait(lambda: all(n.state == "sent" for job_id, kind in ((waiting, "approver_waiting"), (done, "incident_alert"))
                          for n in _notices(app, job_id, kind)), what="every notice marked sent")
        # A fax no longer waiting for them: its approvers' mails would send them to a finished job.
        _wait(lambda: all(n.state == "withdrawn" for n in _notices(app, done, "approver_waiting")),
              what="the approvers' mails of the sent fax withdrawn")
        time.sleep(3)  # several retry periods: a notice delivered must not go again

        told = _mails(mail, WAITING_SUBJECT, waiting)
        assert sorted(m.message["To"] for m in told) == sorted(APPROVERS), "each approver once"
        for received in told:
            text = received.message["Subject"] + received.message.get_body().get_content()
            assert waiting in text and f"{app.public_url}/jobs/{waiting}/confirm/pages/1" in text
            assert "354321111" not in re.sub(r"\D", "", text), "no form of the number"
        assert _mails(mail, WAITING_SUBJECT, done) == [], "nobody asked to confirm a fax already sent"
        [alerted] = _mails(mail, ALERT_SUBJECT, done)
        assert set(alerted.rcpt_tos) == {"sato@city.example.jp", "suzuki@city.example.jp", PRIVACY_OFFICE}
        assert done in alerted.message["Subject"] and "株式会社B" in alerted.message.get_content()

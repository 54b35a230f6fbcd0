"""Failure notices that must not vanish (issue 17, point 8). Against the running gateway: the fax
server and the office mail server (both real SMTP servers on loopback) are down, a job fails, and
its submitter must still learn it: on the fax's page at once, and by mail exactly once when the
mail server is back. A notice the mail server never takes is set aside with an alert."""

from __future__ import annotations

import dataclasses
import time

import httpx
import pytest

from gateway.bootstrap import App
from gateway.entrypoints.serve import BackgroundGateway
from gateway.storage.notice_tables import Notice
from gateway.storage.tables import AuditEvent
from tests.support import docgen
from tests.support.harness import api, confirm_by_api, db_session, fax_message, make_config, queued_id, submit, wait_state
from tests.support.web_support import CLEAN_PAGES, populate, signed_in

GIVE_UP_FAST = 'version = "test"\n[relay]\nmax_attempts = 2\nbackoff_seconds = [1]\n'
FAILED_SUBJECT = "送信できませんでした"
CONFIRM_SUBJECT = "確認をお願いします"


def _gateway(tmp_path, fax, mail, **mail_settings):
    config = make_config(tmp_path, fax.port, mail.port, policy_text=GIVE_UP_FAST)
    config = dataclasses.replace(config, mail=dataclasses.replace(config.mail, **mail_settings))
    app = App(config)
    return app, populate(app), BackgroundGateway(app)


def _notices(app, job_id: str) -> list[Notice]:
    with db_session(app) as session:
        return list(session.query(Notice).filter_by(job_id=job_id).order_by(Notice.id))


def _wait(condition, timeout: float = 30, what: str = ""):
    deadline = time.monotonic() + timeout
    while not (found := condition()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)
    return found


def _failed_job(app, gateway, tokens) -> str:
    """A clean fax both people confirm, which the (stopped) fax server never takes."""
    job_id = queued_id(submit(gateway.smtp_port, fax_message(docgen.text_pdf(CLEAN_PAGES))))
    assert wait_state(app, job_id, {"awaiting_confirmation", "blocked"}) == "awaiting_confirmation"
    assert confirm_by_api(api(gateway, tokens["sato"]), job_id, "0354321111").status_code == 200
    assert confirm_by_api(api(gateway, tokens["suzuki"]), job_id, "0354321111").status_code == 200
    assert wait_state(app, job_id, {"sent", "failed"}) == "failed"
    return job_id


def _subjects(mail, text: str) -> list[str]:
    return [m.message["Subject"] for m in mail.received if text in m.message["Subject"]]


def test_with_both_peers_down_the_failure_notice_waits_and_is_mailed_once_when_mail_is_back(tmp_path, fax, mail):
    fax.stop()
    mail.stop()
    app, tokens, background = _gateway(tmp_path, fax, mail, notice_retry_seconds=1)
    with background as gateway:
        job_id = _failed_job(app, gateway, tokens)
        # The failure notice is stored and tried while the mail server is down, not dropped.
        failed = _wait(lambda: [n for n in _notices(app, job_id) if n.kind == "failed" and n.tries >= 2],
                       what="the failure notice tried twice")
        assert failed[0].state == "pending" and failed[0].last_error
        assert mail.received == []

        # Meanwhile the web app tells the submitter: the fax is listed as not sent, and its page
        # says the mail has not gone yet.
        browser = signed_in(gateway.http_port, "sato")
        assert job_id in browser.get("/not-sent").text
        page = browser.get(f"/jobs/{job_id}").text
        assert "送信失敗" in page and "未送信: メールサーバーが受け付けませんでした" in page

        mail.start()
        _wait(lambda: _subjects(mail, FAILED_SUBJECT), what="the failure notice by mail")
        _wait(lambda: all(n.state == "sent" for n in _notices(app, job_id)), what="every notice marked sent")
        time.sleep(3)  # several retry periods: a notice delivered must not go again
        assert len(_subjects(mail, FAILED_SUBJECT)) == 1
        assert len(_subjects(mail, CONFIRM_SUBJECT)) == 1, "the earlier notice waited too, and went once"
        [notice] = [m for m in mail.received if FAILED_SUBJECT in m.message["Subject"]]
        assert notice.rcpt_tos == ["sato@city.example.jp"] and job_id in notice.message["Subject"]
        page = browser.get(f"/jobs/{job_id}").text
        assert "送信失敗" in page and "に送信しました" in page and "未送信" not in page.split('id="mail-notices"')[1]


def test_a_notice_the_mail_server_never_takes_is_set_aside_with_an_alert(tmp_path, fax, mail):
    fax.stop()
    mail.stop()
    app, tokens, background = _gateway(tmp_path, fax, mail, notice_retry_seconds=1, notice_tries=2)
    with background as gateway:
        job_id = _failed_job(app, gateway, tokens)
        _wait(lambda: [n for n in _notices(app, job_id) if n.kind == "failed" and n.state == "set_aside"],
              what="the failure notice set aside")
        with db_session(app) as session:
            alerts = session.query(AuditEvent).filter_by(action="notice.set_aside", subject=job_id).all()
        assert {alert.data["kind"] for alert in alerts} >= {"failed"}
        ready = httpx.get(f"http://127.0.0.1:{gateway.http_port}/readyz", timeout=10).json()
        assert any("notice(s) by mail could not be delivered" in w for w in ready.get("warnings", []))
        metrics = httpx.get(f"http://127.0.0.1:{gateway.http_port}/metrics", timeout=10).text
        assert "faxgate_notices_set_aside 2" in metrics
        page = signed_in(gateway.http_port, "sato").get(f"/jobs/{job_id}").text
        assert "2 回試しても送れませんでした" in page
        mail.start()
        time.sleep(3)
        assert mail.received == [], "a set-aside notice is not sent behind the administrator's back"

"""Privacy officers end to end: `faxgate users add --privacy-officer`, a policy that asks for one
when a fax carries masked personal data, and the confirmation through the real gateway (SMTP
intake, worker, HTTP API, relay to a real SMTP fax server)."""

from __future__ import annotations

import re

import pytest

from gateway.bootstrap import App
from gateway.config import load_config
from gateway.storage.tables import Job, User
from gateway.entrypoints.serve import BackgroundGateway
from gateway.entrypoints.worker import Worker
from tests.support import docgen
from tests.support.harness import db_session, api, confirm_after_viewing, confirm_by_api, fax_message, queued_id, submit, wait_state
from tests.support.web_support import page_csrf, signed_in, stored_job
from tests.support.world import make_app

OFFICER_POLICY = 'version = "po-test"\n[personal_data]\nprivacy_officer_for = ["masked"]\n'
OFFICER_WORLD = dict(policy=OFFICER_POLICY, privacy_officers=("ito",))
MASKED_NAME = [[(20, 20, "連絡票", 14), (20, 40, "氏名: ＊＊＊＊", 11), (20, 55, "会議資料を送付します。", 11)]]


def test_users_add_marks_privacy_officers_who_must_be_approvers(run_cli, config_file):
    added = run_cli("users", "add", "ito", "--role", "approver", "--email", "ito@city.example.jp",
                    "--department", "保健福祉課", "--privacy-officer")
    assert added.exit_code == 0, added.output
    refused = run_cli("users", "add", "sato", "--role", "staff", "--email", "sato@city.example.jp", "--privacy-officer")
    assert refused.exit_code == 1 and "承認者" in refused.output
    app = App(load_config(config_file))
    with db_session(app) as session:
        assert [(u.name, u.privacy_officer) for u in session.query(User)] == [("ito", True)]


@pytest.mark.world(**OFFICER_WORLD)
def test_masked_personal_data_is_sent_only_after_a_privacy_officer_confirmed(world):
    app, gateway, tokens, fax, _ = world
    job_id = queued_id(submit(gateway.smtp_port, fax_message(docgen.text_pdf(MASKED_NAME))))
    assert wait_state(app, job_id, {"awaiting_confirmation", "blocked"}) == "awaiting_confirmation"
    submitter = api(gateway, tokens["sato"])
    job = submitter.get(f"/api/jobs/{job_id}").json()
    assert job["needs_privacy_officer"] is True and job["extra_approvers"] == 0
    assert [(f["category"], f["masked"]) for f in job["findings"]] == [("name", True)]
    assert confirm_by_api(submitter, job_id, "0354321111").status_code == 200
    ordinary = confirm_by_api(api(gateway, tokens["suzuki"]), job_id, "0354321111")
    assert ordinary.status_code == 409 and "個人情報保護責任者" in ordinary.json()["detail"]
    officer = confirm_by_api(api(gateway, tokens["ito"]), job_id, "0354321111")
    assert officer.status_code == 200 and officer.json()["state"] in ("approved", "sending", "sent")
    assert [(c["user"], c["privacy_officer"]) for c in officer.json()["confirmations"]] == [("sato", False), ("ito", True)]
    assert wait_state(app, job_id, {"sent", "failed"}) == "sent"
    assert len(fax.wait_for(1)) == 1


def test_an_officer_who_lost_the_role_no_longer_counts_before_the_send(tmp_path, fax, mail):
    """The worker checks again before sending: an officer's confirmation counts only while they are one."""
    app, _ = make_app(tmp_path, fax, mail, **OFFICER_WORLD)
    job_id = stored_job(app, pages=MASKED_NAME)
    with app.unit_of_work() as uow:
        job = uow.jobs.get(job_id)
        for name in ("sato", "ito"):
            assert confirm_after_viewing(uow, job, uow.users.by_name(name), "03-5432-1111", app.policy).status == 200
        assert job.state == "approved"
        uow.users.by_name("ito").privacy_officer = False
    assert not Worker(app).relay_one()
    with db_session(app) as session:
        assert session.get(Job, job_id).state == "awaiting_confirmation"
    assert fax.received == []


def test_the_web_app_asks_only_the_privacy_officer_once_only_their_confirmation_is_missing(tmp_path, fax, mail):
    app, _ = make_app(tmp_path, fax, mail, **OFFICER_WORLD, people="web")
    job_id = stored_job(app, pages=MASKED_NAME)
    with app.unit_of_work() as uow:
        assert confirm_after_viewing(uow, uow.jobs.get(job_id), uow.users.by_name("sato"), "0354321111", app.policy).status == 200
    with BackgroundGateway(app, smtp=False, worker=False) as gateway:
        ordinary, officer = signed_in(gateway.http_port, "suzuki"), signed_in(gateway.http_port, "ito")
        assert re.search(r'id="pending-count">0<', ordinary.get("/jobs").text)
        assert job_id not in ordinary.get("/confirmations").text
        page = ordinary.get(f"/jobs/{job_id}").text
        assert "個人情報保護責任者の確認はまだです" in page and 'id="confirm-link"' not in page
        assert re.search(r'id="pending-count">1<', officer.get("/jobs").text)
        assert job_id in officer.get("/confirmations").text
        assert officer.get(f"/jobs/{job_id}/pages/1.png").status_code == 200  # every page seen
        done = officer.post(f"/jobs/{job_id}/confirm", data={"csrf_token": page_csrf(officer), "number": "03-5432-1111"})
        assert done.status_code == 303 and done.headers["location"].endswith("notice=approved")
        page = officer.get(f"/jobs/{job_id}").text
        assert "個人情報保護責任者が確認しました" in page and "ito (承認者, 個人情報保護責任者)" in page

"""Wrong sends in the web app over real HTTP: a staff member reports from the job page, the
privacy office (admin) reads the assessment and deadlines, edits the texts, and downloads the
drafts; who may do what is checked on the server."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from gateway.storage.tables import Incident, Job, User
from gateway.entrypoints.worker import Worker
from tests.support.harness import db_session, confirm_after_viewing
from tests.support.web_support import PERSONAL_PAGES, csrf_token, page_csrf, signed_in, stored_job

ALLOWING = 'version = "t"\n[personal_data.categories]\nbirth_date = "allow"\nhealth = "allow"\n'


pytestmark = pytest.mark.world(policy=ALLOWING, people="web", doors="web")  # the web app alone, for web_support's people


def sent_job(app) -> str:
    """A job with sensitive data that went through the real worker's relay to the fax server."""
    job_id = stored_job(app, pages=PERSONAL_PAGES)
    for name in ("sato", "suzuki"):  # confirmed through the same rules as the confirmation pages
        with app.unit_of_work() as uow:
            assert confirm_after_viewing(uow, uow.jobs.get(job_id), uow.users.by_name(name), "0354321111", app.policy).status == 200
    assert Worker(app).relay_one()
    with db_session(app) as session:
        assert session.get(Job, job_id).state == "sent"
    return job_id


def test_staff_report_from_the_job_page_and_the_office_works_the_incident(world):
    app, port = world.app, world.port
    job_id = sent_job(app)
    sato, yamada, mori, kato = (signed_in(port, name) for name in ("sato", "yamada", "mori", "kato"))

    page = sato.get(f"/jobs/{job_id}")
    assert "誤送信を報告する" in page.text
    refused = kato.post(f"/jobs/{job_id}/incident", data={"csrf_token": page_csrf(kato), "reached": "x"})
    assert refused.status_code == 403
    empty = sato.post(f"/jobs/{job_id}/incident", data={"csrf_token": csrf_token(page.text), "reached": " "})
    assert empty.status_code == 422 and "どこに届いたか" in empty.text
    answer = sato.post(f"/jobs/{job_id}/incident", data={"csrf_token": csrf_token(page.text), "reached": "株式会社B",
                                                         "detail": "B社から電話"})
    assert answer.status_code == 303 and answer.headers["location"] == f"/jobs/{job_id}?notice=incident"
    with db_session(app) as session:
        incident = session.scalars(select(Incident)).one()
    assert sato.get(f"/incidents/{incident.id}").status_code == 403, "staff report, the office handles"

    office = yamada.get(f"/incidents/{incident.id}")
    assert office.status_code == 200
    for words in ("報告が必要か", "第1号: 該当", "病歴・健康（要配慮）", "短縮ダイヤル 1 への送信は", "速報の期限"):
        assert words in office.text, words
    assert "株式会社B" in yamada.get("/incidents").text

    form = {"csrf_token": csrf_token(office.text), "persons": "120", "financial_risk": "", "malicious": "",
            "preliminary_due": "2026-12-01", "preliminary_filed_on": "", "final_filed_on": "",
            "item_secondary_damage": "B社が直ちに廃棄した。"}
    assert mori.post(f"/incidents/{incident.id}", data=form | {"csrf_token": page_csrf(mori)}).status_code == 403
    saved = yamada.post(f"/incidents/{incident.id}", data=form)
    assert saved.status_code == 303
    with db_session(app) as session:
        stored = session.get(Incident, incident.id)
        assert stored.persons == 120 and stored.preliminary_due == dt.date(2026, 12, 1)
        assert stored.narrative == {"secondary_damage": "B社が直ちに廃棄した。"}, "unchanged generated texts are not frozen"
    assert "第4号: 該当" in yamada.get(f"/incidents/{incident.id}").text
    bad = yamada.post(f"/incidents/{incident.id}", data=form | {"persons": "many"})
    assert bad.status_code == 422

    with db_session(app) as session:
        session.scalars(select(User).where(User.name == "tanaka")).one().privacy_officer = True
    officer, approver = signed_in(port, "tanaka"), signed_in(port, "ito")
    assert officer.get(f"/incidents/{incident.id}").status_code == 200, "privacy officers keep incidents"
    assert "/incidents" in officer.get("/jobs").text and "/incidents" not in approver.get("/jobs").text
    assert approver.get(f"/incidents/{incident.id}").status_code == 403

    draft = mori.get(f"/incidents/{incident.id}/drafts/final.txt")
    assert draft.status_code == 200 and "B社が直ちに廃棄した。" in draft.text and "120人" in draft.text
    assert mori.get(f"/incidents/{incident.id}/drafts/other.txt").status_code == 404
    token = csrf_token(yamada.get(f"/incidents/{incident.id}").text)
    no_reason = yamada.post(f"/incidents/{incident.id}/state", data={"csrf_token": token, "state": "closed", "reason": ""})
    assert no_reason.status_code == 422 and "理由を書いてください" in no_reason.text
    assert mori.post(f"/incidents/{incident.id}/state",
                     data={"csrf_token": page_csrf(mori), "state": "closed", "reason": "x"}).status_code == 403
    closed = yamada.post(f"/incidents/{incident.id}/state",
                         data={"csrf_token": token, "state": "closed", "reason": "確報済み、本人通知済み"})
    assert closed.status_code == 303
    with db_session(app) as session:
        assert (session.get(Incident, incident.id).state, session.get(Incident, incident.id).closed_reason) == \
            ("closed", "確報済み、本人通知済み")
    again = yamada.post(f"/incidents/{incident.id}/state", data={"csrf_token": token, "state": "open", "reason": ""})
    assert again.status_code == 409, "a closed incident stays closed"

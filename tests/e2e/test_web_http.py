"""The web app over real HTTP (a running gateway, httpx as the browser): sign-in, lockout,
session rotation and expiry, CSRF on every form, authorization of every page, and the
confirmation and proposal rules as people meet them (reliability rows 7 and 8)."""

from __future__ import annotations

import csv
import dataclasses
import html
import datetime as dt
import io
import re
import time

import pytest
from PIL import Image
from sqlalchemy import update

from directory.formats.reading import read_book
from directory.importer import plan_import
from gateway.storage.directory_tables import DirectoryEntry
from directory.entries import apply_import
from gateway.bootstrap import App
from gateway.config import MailConfig
from gateway.storage.tables import AuditEvent, Job
from gateway.entrypoints.serve import BackgroundGateway
from gateway.core import login_throttle as throttle
from gateway.entrypoints.web.core import office_today
from gateway.storage.web_tables import LoginThrottle, WebSession
from gateway.entrypoints.web.router import web_router
from gateway.entrypoints.web.sessions import COOKIE
from gateway.entrypoints.worker import Worker
from tests.support.web_support import (
    HIDDEN_NUMBER_FORMS,
    PERSONAL_PAGES,
    browser,
    csrf_token,
    job_state,
    page_csrf,
    populate,
    sign_in,
    signed_in,
    stored_job,
)
from tests.support import docgen
from tests.support.harness import db_session, DOMAIN, fax_message, make_config, queued_id, submit, wait_state


pytestmark = pytest.mark.world(people="web", doors="web")  # the web app alone, for web_support's people


def test_sign_in_is_japanese_by_default_and_english_on_request(world):
    port = world.port
    client = browser(port)
    page = client.get("/login")
    assert page.status_code == 200 and '<html lang="ja">' in page.text and "ログイン" in page.text
    switched = client.get("/lang/en", params={"next": "/login"})
    assert switched.status_code == 303 and switched.headers["location"] == "/login"
    assert "Sign in" in client.get("/login").text
    assert client.get("/lang/en", params={"next": "//evil.example/"}).headers["location"] == "/", "no open redirect"


def test_wrong_password_is_refused_and_the_right_one_opens_a_session(world):
    port = world.port
    client = browser(port)
    assert sign_in(client, "sato", "wrong password").status_code == 401
    assert COOKIE not in client.cookies
    answer = sign_in(client, "sato")
    assert answer.status_code == 303
    cookie = answer.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
    page = client.get("/jobs")
    assert page.status_code == 200 and "sato" in page.text
    assert page.headers["cache-control"] == "no-store" and "frame-ancestors 'none'" in page.headers["content-security-policy"]


def test_the_login_form_needs_its_own_token(world):
    port = world.port
    client = browser(port)
    client.get("/login")
    forged = client.post("/login", data={"account": "sato", "password": "correct horse battery staple"})
    assert forged.status_code == 403 and COOKIE not in client.cookies


def test_repeated_failures_lock_the_account_with_backoff_even_for_the_right_password(world):
    app, port = world.app, world.port
    client = browser(port)
    for _ in range(throttle.FREE_FAILURES - 1):
        assert sign_in(client, "suzuki", "guess").status_code == 401
    locked = sign_in(client, "suzuki", "guess")
    assert locked.status_code == 429 and "分後" in locked.text
    assert sign_in(client, "suzuki").status_code == 429, "the right password does not end a lockout"
    with db_session(app) as session:
        row = session.get(LoginThrottle, "suzuki")
        assert row.failures == throttle.FREE_FAILURES
        row.locked_until = dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=1)
    assert sign_in(client, "suzuki", "guess").status_code == 429, "the next failure locks for twice as long"
    with db_session(app) as session:
        row = session.get(LoginThrottle, "suzuki")
        lock = row.locked_until.replace(tzinfo=dt.timezone.utc) - row.last_failure_at.replace(tzinfo=dt.timezone.utc)
        assert lock == throttle.FIRST_LOCK * 2
        row.locked_until = dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=1)
    assert sign_in(client, "suzuki").status_code == 303
    with db_session(app) as session:
        assert session.get(LoginThrottle, "suzuki") is None, "a success starts the count again"


def test_unknown_names_are_throttled_like_real_ones(world):
    port = world.port
    client = browser(port)
    answers = [sign_in(client, "nobody", "guess").status_code for _ in range(throttle.FREE_FAILURES)]
    assert answers == [401] * (throttle.FREE_FAILURES - 1) + [429]


def test_session_id_rotates_at_login_so_a_planted_id_is_worthless(world):
    port = world.port
    client = browser(port)
    planted = "attacker-chosen-session-id"
    client.cookies.set(COOKIE, planted, domain="127.0.0.1")
    assert client.get("/jobs").status_code == 303, "an id the server never issued signs nobody in"
    assert sign_in(client, "sato").status_code == 303
    first = client.cookies[COOKIE]
    assert first != planted
    assert sign_in(client, "sato").status_code == 303
    second = client.cookies[COOKIE]
    assert second != first
    stale = browser(port)
    stale.cookies.set(COOKIE, first, domain="127.0.0.1")
    assert stale.get("/jobs").status_code == 303, "the session before the new login is gone"
    assert client.get("/jobs").status_code == 200


@pytest.mark.parametrize("column,age", [("last_seen_at", dt.timedelta(minutes=31)), ("created_at", dt.timedelta(hours=11))])
def test_sessions_expire_when_idle_and_after_a_working_day(world, column, age):
    app, port = world.app, world.port
    client = signed_in(port, "sato")
    with db_session(app) as session:
        session.execute(update(WebSession).values({column: dt.datetime.now(dt.timezone.utc) - age}))
    expired = client.get("/jobs")
    assert expired.status_code == 303 and expired.headers["location"].startswith("/login")


def test_logout_needs_the_token_and_ends_the_session(world):
    port = world.port
    client = signed_in(port, "sato")
    assert client.post("/logout", data={}).status_code == 403
    assert client.get("/jobs").status_code == 200
    assert client.post("/logout", data={"csrf_token": page_csrf(client)}).status_code == 303
    assert client.get("/jobs").status_code == 303


def _post_routes(app) -> list[str]:
    paths = [route.path for route in web_router(app).routes if "POST" in route.methods and route.path != "/login"]
    return [path.replace("{job_id}", "20260101-000000000000").replace("{proposal_id}", "1").replace("{user_id}", "1")
            .replace("{incident_id}", "1").replace("{name}", "main") for path in paths]


def test_every_form_post_is_refused_without_the_sessions_csrf_token(world):
    app, port = world.app, world.port
    client = signed_in(port, "yamada")
    other = signed_in(port, "kimura")
    routes = _post_routes(app)
    assert {"/logout", "/jobs/20260101-000000000000/confirm", "/jobs/20260101-000000000000/reject",
            "/jobs/20260101-000000000000/masked", "/directory/proposals", "/directory/proposals/1/approve",
            "/directory/proposals/1/refuse", "/users", "/users/1", "/users/1/password", "/sites",
            "/sites/main/change", "/sites/main/approve", "/sites/main/reject"} <= set(routes)
    for path in routes:
        for token in ("", page_csrf(other)):  # missing, or another session's
            answer = client.post(path, data={"csrf_token": token, "number": "0354321111", "reason": "x"})
            assert answer.status_code == 403, path
            assert "有効期限" in answer.text, path
    assert client.get("/jobs").status_code == 200


ALL_PAGES = ["/jobs", "/confirmations", "/blocked", "/not-sent", "/directory", "/directory/audit", "/directory/entries/1",
             "/directory/proposals", "/directory/proposals/new", "/users", "/users/new", "/users/1", "/audit", "/audit.csv",
             "/incidents", "/sites"]
ALLOWED = {
    "sato": {"/jobs", "/confirmations", "/blocked", "/not-sent"},
    "suzuki": {"/jobs", "/confirmations", "/blocked", "/not-sent"},
    "yamada": {"/jobs", "/confirmations", "/blocked", "/not-sent", "/directory", "/directory/audit", "/directory/entries/1",
               "/directory/proposals", "/directory/proposals/new", "/users", "/users/new", "/users/1", "/incidents",
               "/sites"},
    "mori": {"/jobs", "/confirmations", "/blocked", "/not-sent", "/audit", "/audit.csv", "/incidents"},
}


def test_each_page_is_open_to_its_roles_only(world):
    port = world.port
    anonymous = browser(port)
    for path in ALL_PAGES:
        answer = anonymous.get(path)
        assert answer.status_code == 303 and answer.headers["location"].startswith("/login"), path
    for name, allowed in ALLOWED.items():
        client = signed_in(port, name)
        for path in ALL_PAGES:
            assert client.get(path).status_code == (200 if path in allowed else 403), (name, path)


def test_other_departments_and_other_staff_cannot_see_or_confirm_a_job(world):
    app, port = world.app, world.port
    job_id = stored_job(app, sender="tanaka")
    for name in ("kato", "sato"):  # an approver of another department; staff who did not submit it
        client = signed_in(port, name)
        assert client.get(f"/jobs/{job_id}").status_code == 403
        assert client.get(f"/jobs/{job_id}/confirm").status_code == 403
        assert client.get(f"/jobs/{job_id}/pages/1.png").status_code == 403
        token = page_csrf(client)
        refused = client.post(f"/jobs/{job_id}/confirm", data={"csrf_token": token, "number": "0354321111"})
        assert refused.status_code == 403 and "権限がありません" in refused.text
        assert client.post(f"/jobs/{job_id}/reject", data={"csrf_token": token, "reason": "x"}).status_code == 403
        assert job_id not in client.get("/confirmations").text
    assert job_state(app, job_id) == "awaiting_confirmation"


def _view_all_pages(client, job_id: str, pages: int = 2) -> None:
    for number in range(1, pages + 1):
        image = client.get(f"/jobs/{job_id}/pages/{number}.png")
        assert image.status_code == 200 and image.content.startswith(b"\x89PNG")


def test_two_people_confirm_blind_after_seeing_every_page(world):
    app, port = world.app, world.port
    job_id = stored_job(app)
    submitter, approver = signed_in(port, "sato"), signed_in(port, "suzuki")

    assert re.search(r'id="pending-count">0<', approver.get("/jobs").text), "nothing asks before the submitter confirmed"
    _view_all_pages(approver, job_id)
    early = approver.post(f"/jobs/{job_id}/confirm", data={"csrf_token": page_csrf(approver), "number": "0354321111"})
    assert early.status_code == 409 and "先に依頼者本人が" in early.text

    assert re.search(r'id="pending-count">1<', submitter.get("/jobs").text)
    form = submitter.get(f"/jobs/{job_id}/confirm")
    assert "報告第371号" in form.text and "子ども家庭支援係" in form.text and "世田谷区" in form.text
    for page in (form.text, submitter.get(f"/jobs/{job_id}").text, submitter.get("/confirmations").text):
        assert not any(number in page for number in HIDDEN_NUMBER_FORMS), "the number is re-entered blind"
    token = csrf_token(form.text)
    unseen = submitter.post(f"/jobs/{job_id}/confirm", data={"csrf_token": token, "number": "0354321111"})
    assert unseen.status_code == 409 and "全ページ" in unseen.text
    _view_all_pages(submitter, job_id)
    wrong = submitter.post(f"/jobs/{job_id}/confirm", data={"csrf_token": token, "number": "03-5432-1112"})
    assert wrong.status_code == 422 and "一致しません" in wrong.text and "0354321112" not in wrong.text
    done = submitter.post(f"/jobs/{job_id}/confirm", data={"csrf_token": token, "number": "03-5432-1111"})
    assert done.status_code == 303 and done.headers["location"] == f"/jobs/{job_id}/confirm/done?notice=confirmed"
    assert "違う番号が 1 回" in submitter.get(f"/jobs/{job_id}").text

    assert re.search(r'id="pending-count">1<', approver.get("/jobs").text)
    _view_all_pages(approver, job_id)
    approved = approver.post(f"/jobs/{job_id}/confirm", data={"csrf_token": page_csrf(approver), "number": "+81 3 5432 1111"})
    assert approved.status_code == 303 and approved.headers["location"].endswith("notice=approved")
    assert job_state(app, job_id) == "approved"
    assert re.search(r'id="pending-count">0<', approver.get("/jobs").text)
    again = approver.post(f"/jobs/{job_id}/confirm", data={"csrf_token": page_csrf(approver), "number": "0354321111"})
    assert again.status_code == 409


def test_thumbnails_are_too_small_to_count_as_pages_seen(world):
    app, port = world.app, world.port
    job_id = stored_job(app)
    submitter = signed_in(port, "sato")
    detail = submitter.get(f"/jobs/{job_id}").text
    assert f"/jobs/{job_id}/thumbnails/1.png" in detail and f'src="/jobs/{job_id}/pages/1.png"' not in detail
    for number in (1, 2):
        small = submitter.get(f"/jobs/{job_id}/thumbnails/{number}.png")
        assert small.status_code == 200 and Image.open(io.BytesIO(small.content)).width <= 160
    token = page_csrf(submitter, f"/jobs/{job_id}/confirm")
    unseen = submitter.post(f"/jobs/{job_id}/confirm", data={"csrf_token": token, "number": "0354321111"})
    assert unseen.status_code == 409 and "全ページ" in unseen.text, "a thumbnail cannot be read"
    assert "まだ見ていないページ: 1, 2" in submitter.get(f"/jobs/{job_id}/confirm").text
    step = submitter.get(f"/jobs/{job_id}/confirm/pages/2").text
    assert f'src="/jobs/{job_id}/pages/2.png"' in step, "the confirmation's page step shows the page at full size"
    assert "/thumbnails/" not in step
    assert submitter.get(f"/jobs/{job_id}/confirm/pages/3").status_code == 404
    still = submitter.post(f"/jobs/{job_id}/confirm", data={"csrf_token": token, "number": "0354321111"})
    assert still.status_code == 409, "the step's page counts once its image is shown, not before"
    _view_all_pages(submitter, job_id)
    assert submitter.post(f"/jobs/{job_id}/confirm", data={"csrf_token": token, "number": "0354321111"}).status_code == 303


def test_the_number_is_shown_only_to_whoever_confirmed_it(world):
    app, port = world.app, world.port
    job_id = stored_job(app)
    submitter, approver = signed_in(port, "sato"), signed_in(port, "suzuki")
    _view_all_pages(submitter, job_id)
    submitter.post(f"/jobs/{job_id}/confirm", data={"csrf_token": page_csrf(submitter), "number": "0354321111"})
    assert "03-5432-1111" in submitter.get(f"/jobs/{job_id}").text, "the submitter typed it"
    for page in (approver.get(f"/jobs/{job_id}").text, approver.get(f"/jobs/{job_id}/confirm").text,
                 approver.get("/confirmations").text, approver.get("/jobs").text):
        assert not any(number in page for number in HIDDEN_NUMBER_FORMS), "the approver re-enters it blind"
    blocked = stored_job(app, to="+81354327777")  # stopped: not in the directory
    for page in (submitter.get(f"/jobs/{blocked}").text, submitter.get("/blocked").text):
        assert "5432-7777" not in page and "354327777" not in page, "a stopped fax may still be confirmed later"


def test_an_approver_who_submitted_cannot_approve_their_own_fax(world):
    app, port = world.app, world.port
    job_id = stored_job(app, sender="tanaka")
    own = signed_in(port, "tanaka")
    _view_all_pages(own, job_id)
    token = page_csrf(own)
    assert own.post(f"/jobs/{job_id}/confirm", data={"csrf_token": token, "number": "0354321111"}).status_code == 303
    second = own.post(f"/jobs/{job_id}/confirm", data={"csrf_token": token, "number": "0354321111"})
    assert second.status_code == 409 and job_state(app, job_id) == "awaiting_confirmation"


def test_a_blocked_job_says_why_and_what_to_do(world):
    app, port = world.app, world.port
    job_id = stored_job(app, pages=PERSONAL_PAGES)
    client = signed_in(port, "sato")
    listed = client.get("/blocked").text
    assert job_id in listed and "止めた理由" in listed and "対処方法" in listed and "黒塗り" in listed
    detail = client.get(f"/jobs/{job_id}").text
    assert "生年月日" in detail and "昭和60年4月1日" not in detail, "values are shown with the middle hidden"
    assert client.get(f"/jobs/{job_id}/confirm").status_code == 200
    assert "確認を待っていません" in client.get(f"/jobs/{job_id}/confirm").text
    [reason] = re.findall(r'<div class="reason">.*?</div>\s*</div>', detail, re.S)
    assert reason.count("ファクスで送らず") == 1, "the advice is given once, not in the reason and again below it"
    assert "この送信を取り消す" in detail and "依頼者に伝わります" not in detail, "the submitter withdraws their own fax"
    approver = signed_in(port, "suzuki").get(f"/jobs/{job_id}").text
    assert "この送信を却下する" in approver and "依頼者に伝わります" in approver
    english = client.get("/lang/en", params={"next": f"/jobs/{job_id}"})
    assert "What to do" in client.get(english.headers["location"]).text


def test_admins_see_every_departments_stopped_faxes(world):
    app, port = world.app, world.port
    other = stored_job(app, sender="kato", pages=PERSONAL_PAGES)  # 区民課; the admins are in 情報政策課
    listed = signed_in(port, "yamada").get("/blocked").text
    assert other in listed and "区民課" in listed and 'id="all-departments"' in listed
    assert other not in signed_in(port, "suzuki").get("/blocked").text, "an approver sees their own department's"


def not_sent_count(html: str) -> int:
    return int(re.search(r'id="not-sent-count">(\d+)<', html).group(1))


def test_a_stopped_fax_reaches_its_submitter_in_the_web_app_without_a_mail_server(tmp_path, peers):
    """The embedded default has no mail server: a fax stopped by screening still reaches its
    submitter, counted in the header of every page until they have seen why and what to do."""
    fax, mail = peers
    app = App(dataclasses.replace(make_config(tmp_path, fax.port, mail.port), mail=MailConfig()))
    populate(app)
    with BackgroundGateway(app) as gateway:
        job_id = queued_id(submit(gateway.smtp_port, fax_message(docgen.text_pdf([[(20, 20, "送付のご案内", 16)]]),
                                                                 to=f"sd-2@{DOMAIN}")))
        wait_state(app, job_id, {"blocked"})
        submitter, approver = signed_in(gateway.http_port, "sato"), signed_in(gateway.http_port, "suzuki")
        assert not_sent_count(submitter.get("/jobs").text) == 1
        assert not_sent_count(approver.get("/jobs").text) == 0, "told to its submitter, not to everyone"
        page = submitter.get("/not-sent").text
        assert job_id in page and "未読" in page and "送信前の点検で止めました。送信されていません。" in page
        assert "登録内容の確認が済んでいない" in page and "対処方法" in page, "why it was stopped and what to do"
        assert not_sent_count(page) == 0
        assert not_sent_count(submitter.get("/confirmations").text) == 0
        again = submitter.get("/not-sent").text
        assert job_id in again and "未読" not in again, "kept in the list, no longer new"
        with db_session(app) as session:
            [told] = session.query(AuditEvent).filter_by(action="job.notice_seen", subject=job_id).all()
            assert told.actor == "user:sato" and told.data == {"state": "blocked"}
    assert mail.received == []


def test_a_rejected_fax_is_counted_for_its_submitter_until_opened(world):
    app, port = world.app, world.port
    submitter, approver = signed_in(port, "sato"), signed_in(port, "suzuki")
    rejected = stored_job(app)
    answer = approver.post(f"/jobs/{rejected}/reject", data={"csrf_token": page_csrf(approver), "reason": "宛先が違います"})
    assert answer.status_code == 303 and job_state(app, rejected) == "rejected"
    assert not_sent_count(submitter.get("/jobs").text) == 1
    opened = submitter.get(f"/jobs/{rejected}").text
    assert not_sent_count(opened) == 0, "opening the fax is seeing it"
    listed = submitter.get("/not-sent").text
    assert "却下されました" in listed and "宛先が違います" in listed and "未読" not in listed
    own = stored_job(app)
    assert submitter.post(f"/jobs/{own}/reject", data={"csrf_token": page_csrf(submitter), "reason": "取り消し"}
                          ).status_code == 303
    assert not_sent_count(submitter.get("/jobs").text) == 0, "what they did themselves needs no telling"
    english = submitter.get("/lang/en", params={"next": "/not-sent"})
    assert "Rejected: it will not be sent." in submitter.get(english.headers["location"]).text


def mail_queued_notices(app) -> None:
    """What the worker's loop does (this module runs the web app alone): mail the queued notices."""
    worker = Worker(app)
    while worker.deliver_notice():
        pass


def test_a_fax_that_expires_unconfirmed_is_told_by_mail_and_in_the_web_app(world, peers):
    app, port = world.app, world.port
    fax, mail = peers
    waiting, stopped = stored_job(app), stored_job(app, pages=PERSONAL_PAGES)
    mail_queued_notices(app)
    assert [m.message["Subject"][:18] for m in mail.wait_for(2)]  # asked to confirm; told it was stopped
    with db_session(app) as session:
        session.execute(update(Job).where(Job.id.in_([waiting, stopped]))
                        .values(updated_at=dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=30)))
    Worker(app).expire()
    assert job_state(app, waiting) == job_state(app, stopped) == "expired"
    mail_queued_notices(app)
    *_, expired = mail.wait_for(3)
    assert "期限" in expired.message["Subject"] and waiting in expired.message["Subject"]
    assert "送信されていません" in expired.message.get_body().get_content()
    time.sleep(0.5)
    assert len(mail.received) == 3, "the stopped fax was told once, when it was stopped"
    submitter = signed_in(port, "sato")
    assert not_sent_count(submitter.get("/jobs").text) == 2
    assert "確認を待つ期限を過ぎたため、送信されません。" in submitter.get("/not-sent").text


def test_the_submitter_sends_the_auto_masked_version_of_a_stopped_fax(world):
    app, port = world.app, world.port
    job_id = stored_job(app, pages=PERSONAL_PAGES)
    approver, submitter = signed_in(port, "suzuki"), signed_in(port, "sato")
    assert 'id="send-masked"' not in approver.get(f"/jobs/{job_id}").text, "offered to the submitter only"
    assert approver.post(f"/jobs/{job_id}/masked", data={"csrf_token": page_csrf(approver)}).status_code == 403
    page = submitter.get(f"/jobs/{job_id}").text
    assert 'id="send-masked"' in page and "黒塗り版" in page and "新しい送信" in page
    assert submitter.post(f"/jobs/{job_id}/masked", data={"csrf_token": ""}).status_code == 403
    assert job_state(app, job_id) == "blocked"

    sent = submitter.post(f"/jobs/{job_id}/masked", data={"csrf_token": page_csrf(submitter)})
    assert sent.status_code == 303
    masked_id = re.fullmatch(r"/jobs/([\w-]+)\?notice=masked", sent.headers["location"]).group(1)
    assert masked_id != job_id and job_state(app, job_id) == "rejected"
    unscreened = submitter.get(sent.headers["location"]).text
    assert "もう一度点検" in unscreened and 'id="screening"' in unscreened, "not checked yet, and says so"
    assert not any(text in unscreened for text in ("宛先表にありません", "個人情報は見つかりませんでした", "プレビューはありません")), \
        "nothing is said about what has not been checked"
    assert f'<a href="/jobs/{job_id}">' in unscreened, "the masked version links to the stopped fax"
    assert f'<a href="/jobs/{masked_id}">' in submitter.get(f"/jobs/{job_id}").text, "and the stopped fax to it"
    assert Worker(app).screen_one()
    assert 'id="screening"' not in submitter.get(f"/jobs/{masked_id}").text
    assert job_state(app, masked_id) == "awaiting_confirmation"
    with db_session(app) as session:
        assert [f for f in session.get(Job, masked_id).findings if not f["masked"]] == [], "nothing readable is left"
    assert 'id="send-masked"' not in submitter.get(f"/jobs/{job_id}").text
    again = submitter.post(f"/jobs/{job_id}/masked", data={"csrf_token": page_csrf(submitter)})
    assert again.status_code == 409 and "個人情報のために止めた送信だけ" in again.text


def test_no_masked_version_is_offered_for_other_stops(world):
    app, port = world.app, world.port
    not_in_directory = stored_job(app, to="+81354327777")
    submitter = signed_in(port, "sato")
    assert job_state(app, not_in_directory) == "blocked"
    assert 'id="send-masked"' not in submitter.get(f"/jobs/{not_in_directory}").text
    refused = submitter.post(f"/jobs/{not_in_directory}/masked", data={"csrf_token": page_csrf(submitter)})
    assert refused.status_code == 409 and job_state(app, not_in_directory) == "blocked"


def test_a_directory_change_needs_a_second_admin(world):
    app, port = world.app, world.port
    maker, checker, staff = signed_in(port, "yamada"), signed_in(port, "kimura"), signed_in(port, "sato")
    draft = {"action": "change_number", "slot": "2", "dial": "0-03-5432-2222", "verified_on": dt.date.today().isoformat(),
             "note": "先方に電話で確認"}
    assert staff.post("/directory/proposals", data={**draft, "csrf_token": page_csrf(staff)}).status_code == 403
    incomplete = maker.post("/directory/proposals", data={**draft, "note": "", "csrf_token": page_csrf(maker)})
    assert incomplete.status_code == 422 and "理由" in incomplete.text
    blocked_number = maker.post("/directory/proposals", data={**draft, "dial": "03-5432-2222", "csrf_token": page_csrf(maker)})
    assert blocked_number.status_code == 422 and "外線発信番号" in blocked_number.text
    proposed = maker.post("/directory/proposals", data={**draft, "csrf_token": page_csrf(maker)})
    assert proposed.status_code == 303
    [proposal_id] = re.findall(r'id="proposal-(\d+)"', maker.get("/directory/proposals").text)

    self_approval = maker.post(f"/directory/proposals/{proposal_id}/approve", data={"csrf_token": page_csrf(maker)})
    assert self_approval.status_code == 403 and "別の管理者" in self_approval.text
    with db_session(app) as session:
        entry = session.query(DirectoryEntry).filter_by(slot=2).one()
        assert entry.pending_change_id == int(proposal_id), "held until another admin approves"
    waiting = stored_job(app, to="+81354322222")
    with db_session(app) as session:
        assert [r["code"] for r in session.get(Job, waiting).reasons] == ["entry_pending_approval"]
    approved = checker.post(f"/directory/proposals/{proposal_id}/approve", data={"csrf_token": page_csrf(checker)})
    assert approved.status_code == 303
    with db_session(app) as session:
        entry = session.query(DirectoryEntry).filter_by(slot=2).one()
        assert (entry.status, entry.e164, entry.verified_by, entry.pending_change_id) == (
            "active", "+81354322222", "yamada", None)
        assert entry.changes[-1].actor == "user:kimura" and "user:yamada" in entry.changes[-1].note
    assert job_state(app, stored_job(app, to="+81354322222")) == "awaiting_confirmation"
    history = checker.get("/directory/entries/2").text
    assert "user:kimura" in history and "承認・反映済み" in history
    twice = checker.post(f"/directory/proposals/{proposal_id}/approve", data={"csrf_token": page_csrf(checker)})
    assert twice.status_code == 409


def test_a_proposal_against_an_entry_that_changed_since_cannot_be_approved(world):
    app, port = world.app, world.port
    maker, checker = signed_in(port, "yamada"), signed_in(port, "kimura")
    draft = {"action": "change_number", "slot": "1", "dial": "0-03-5432-1119", "verified_on": dt.date.today().isoformat(),
             "note": "移転", "csrf_token": page_csrf(maker)}
    assert maker.post("/directory/proposals", data=draft).status_code == 303
    with db_session(app) as session:
        session.query(DirectoryEntry).filter_by(slot=1).one().organization = "世田谷区役所"
    [proposal_id] = re.findall(r'id="proposal-(\d+)"', checker.get("/directory/proposals").text)
    stale = checker.post(f"/directory/proposals/{proposal_id}/approve", data={"csrf_token": page_csrf(checker)})
    assert stale.status_code == 409 and "提案の後に" in stale.text
    refused = checker.post(f"/directory/proposals/{proposal_id}/refuse", data={"csrf_token": page_csrf(checker), "note": "再提案を"})
    assert refused.status_code == 303


def _propose_and_approve(maker, checker, draft: dict) -> None:
    assert maker.post("/directory/proposals", data={**draft, "csrf_token": page_csrf(maker)}).status_code == 303
    [proposal_id] = re.findall(r'id="proposal-(\d+)"', checker.get("/directory/proposals").text)
    assert checker.post(f"/directory/proposals/{proposal_id}/approve", data={"csrf_token": page_csrf(checker)}).status_code == 303


def test_an_approved_addition_lets_a_stopped_destination_be_used(world):
    app, port = world.app, world.port
    blocked = stored_job(app, to="+81354327777")
    assert job_state(app, blocked) == "blocked"
    maker, checker = signed_in(port, "yamada"), signed_in(port, "kimura")
    _propose_and_approve(maker, checker, {
        "action": "add", "slot": "7", "name": "地域包括支援センター", "organization": "社会福祉法人 みどり会",
        "kind": "external", "dial": "0-03-5432-7777", "verified_on": dt.date.today().isoformat(), "note": "新しい委託先",
    })
    with db_session(app) as session:
        entry = session.query(DirectoryEntry).filter_by(slot=7).one()
        assert (entry.status, entry.e164, entry.verified_by) == ("active", "+81354327777", "yamada")
    assert job_state(app, stored_job(app, to="+81354327777")) == "awaiting_confirmation"


def test_an_approved_reactivation_brings_a_retired_entry_back(world):
    app, port = world.app, world.port
    with db_session(app) as session:
        session.query(DirectoryEntry).filter_by(slot=3).one().status = "retired"
    maker, checker = signed_in(port, "yamada"), signed_in(port, "kimura")
    _propose_and_approve(maker, checker, {"action": "reactivate", "slot": "3", "verified_on": dt.date.today().isoformat(),
                                          "note": "先方に確認、番号は変わらず"})
    with db_session(app) as session:
        entry = session.query(DirectoryEntry).filter_by(slot=3).one()
        assert (entry.status, entry.verified_on) == ("active", dt.date.today())


def test_directory_search_finds_numbers_as_people_write_them(world):
    port = world.port
    admin = signed_in(port, "yamada")
    found = admin.get("/directory", params={"q": "03-5432-1111"}).text
    assert "子ども家庭支援係" in found and "古い登録" not in found
    assert "古い登録" in admin.get("/directory/audit").text


def _cells(page: str, column: str) -> list[str]:
    """The texts of one column of a stacked table (each cell says its column)."""
    return [html.unescape(cell) for cell in re.findall(rf'<td data-label="{column}">(.*?)</td>', page, re.S)]


def test_auditors_search_the_trail_and_export_it_as_csv(world):
    app, port = world.app, world.port
    job_id = stored_job(app)
    submitter = signed_in(port, "sato")
    formula = '=HYPERLINK("http://evil.example","x")'
    assert submitter.post(f"/jobs/{job_id}/reject", data={"csrf_token": page_csrf(submitter), "reason": formula}).status_code == 303
    stopped = stored_job(app, pages=PERSONAL_PAGES)
    auditor = signed_in(port, "mori")
    found = _cells(auditor.get("/audit", params={"job": job_id}).text, "操作")
    assert "送信依頼を受付" in found and "状態が「却下」に" in found and "ログイン" not in found
    assert "ログイン" in _cells(auditor.get("/audit", params={"person": "sato"}).text, "操作")
    trail = auditor.get("/audit").text
    assert not [code for code in _cells(trail, "操作") if re.search(r"[a-z]\.[a-z]", code)], "actions in words, not codes"
    assert not [why for why in _cells(trail, "理由") if re.fullmatch(r"[a-z_; ]+", why)], "reasons in words, not codes"
    assert "個人情報" in _cells(auditor.get("/audit", params={"job": stopped}).text, "理由")
    today = office_today().isoformat()  # the search is by days on the office's calendar
    export = auditor.get("/audit.csv", params={"since": today, "until": today})
    assert export.status_code == 200 and export.headers["content-type"].startswith("text/csv")
    text = export.content.decode("utf-8")
    assert text.startswith("\ufeff"), "spreadsheet programs read it as UTF-8"
    rows = list(csv.DictReader(io.StringIO(text[1:])))
    assert job_id in {row["subject"] for row in rows}
    [rejected] = [row for row in rows if row["action"] == "job.rejected"]
    assert rejected["reason"] == "'" + formula, "a typed reason is never run as a formula"
    earlier = auditor.get("/audit.csv", params={"since": "2001-01-01", "until": "2001-01-02"}).content.decode()
    assert list(csv.DictReader(io.StringIO(earlier[1:]))) == []
    assert "監査記録をCSVで出力" in _cells(auditor.get("/audit", params={"person": "mori"}).text, "操作")


def test_admins_see_the_users(world):
    port = world.port
    page = signed_in(port, "yamada").get("/users").text
    assert all(name in page for name in ("sato", "suzuki", "kato", "mori", "kimura"))


def test_an_import_from_the_command_line_waits_in_the_web_app_for_another_admin(world):
    app, port = world.app, world.port
    with app.unit_of_work() as uow:
        book = read_book("slot,name,fax,last_used\n8,委託先,0-03-5432-8888,\n".encode(), "generic")
        change = apply_import(uow, plan_import(book, app.profile), "user:yamada", "mfd-3f_addr.csv").change
    maker, checker = signed_in(port, "yamada"), signed_in(port, "kimura")
    own = maker.get("/directory/proposals").text
    assert f'id="proposal-{change.id}"' in own and "アドレス帳の取り込み" in own
    assert f'action="/directory/proposals/{change.id}/approve"' not in own, "the maker gets no approve button"
    assert job_state(app, stored_job(app, to="+81354328888")) == "blocked"
    refused = checker.post(f"/directory/proposals/{change.id}/refuse", data={"csrf_token": page_csrf(checker)})
    assert refused.status_code == 422 and "却下の理由" in refused.text
    approved = checker.post(f"/directory/proposals/{change.id}/approve", data={"csrf_token": page_csrf(checker)})
    assert approved.status_code == 303
    with db_session(app) as session:
        assert session.query(DirectoryEntry).filter_by(slot=8).one().pending_change_id is None

"""The privacy office's view (`GET /api/stats`, the page 統計 and its CSV): the counts are those
of the jobs this test makes through the real doors (SMTP, upload, API confirmations), the SVG
chart is drawn on the server with Japanese labels, and only privacy officers and auditors see it."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import smtplib

import pytest

from gateway.entrypoints.web.core import office_today
from gateway.services.users import new_token
from gateway.storage.tables import User
from tests.support import docgen
from tests.support.harness import DOMAIN, api, confirm_by_api, db_session, fax_message, queued_id, submit, wait_state
from tests.support.web_support import CLEAN_PAGES, PERSONAL_PAGES, signed_in

pytestmark = pytest.mark.world(people="web", privacy_officers=("tanaka",))
DEPARTMENT, OTHER = "保健福祉課", "区民課"


def _rcpt(port: int, sender: str, recipient: str) -> int:
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
        client.ehlo()
        client.mail(sender)
        return client.rcpt(recipient)[0]


def _mailed(world, pages, to=f"FAX=+81354321111@{DOMAIN}", sender="sato@city.example.jp") -> str:
    job_id = queued_id(submit(world.gateway.smtp_port, fax_message(docgen.text_pdf(pages), to=to, sender=sender)))
    wait_state(world.app, job_id, {"awaiting_confirmation", "blocked"})
    return job_id


def _token(app, name: str) -> str:
    with app.unit_of_work() as uow:
        return new_token(uow, uow.session.query(User).filter_by(name=name).one(), "test")


def test_the_counts_are_those_of_the_jobs_made(world):
    app, gateway, tokens, fax, _ = world
    sato, suzuki = api(gateway, tokens["sato"]), api(gateway, tokens["suzuki"])

    sent = _mailed(world, CLEAN_PAGES)  # sent, after one wrong number at confirmation
    assert confirm_by_api(sato, sent, "03-5432-1112").status_code == 422
    assert confirm_by_api(sato, sent, "03-5432-1111").status_code == 200
    assert confirm_by_api(suzuki, sent, "03-5432-1111").status_code == 200
    assert wait_state(app, sent, {"sent", "failed"}) == "sent"

    rejected = _mailed(world, CLEAN_PAGES)  # refused by the approver
    assert suzuki.post(f"/api/jobs/{rejected}/reject", json={"reason": "宛先違い"}).status_code == 200

    personal = _mailed(world, PERSONAL_PAGES)  # stopped for personal data, resent masked
    assert wait_state(app, personal, {"blocked"}) == "blocked"
    masked = sato.post(f"/api/jobs/{personal}/masked")
    assert masked.status_code == 200, masked.text
    wait_state(app, masked.json()["masked_job"], {"awaiting_confirmation", "blocked"})

    # Wrong numbers caught at the directory: a slot with no entry, at RCPT (another department) and
    # as an upload; a number in no entry, stopped by screening.
    assert _rcpt(gateway.smtp_port, "kato@city.example.jp", f"sd-99@{DOMAIN}") == 550
    upload = sato.post("/api/jobs", files={"document": ("a.pdf", docgen.text_pdf(CLEAN_PAGES), "application/pdf")},
                       data={"slot": "99"})
    assert upload.status_code == 422
    unknown_at_rcpt = _rcpt(gateway.smtp_port, "sato@city.example.jp", f"FAX=+81354329999@{DOMAIN}") == 550
    if not unknown_at_rcpt:
        assert wait_state(app, _mailed(world, CLEAN_PAGES, to=f"FAX=+81354329999@{DOMAIN}"), {"blocked"}) == "blocked"

    today = office_today().isoformat()  # the office's calendar (Japan), as the statistics count
    officer = api(gateway, tokens["tanaka"])
    answer = officer.get("/api/stats", params={"from": today, "to": today})
    assert answer.status_code == 200, answer.text
    stats = answer.json()
    jobs_made = 4 + (not unknown_at_rcpt)  # sent, rejected, personal, its masked version (+ the unknown number)
    assert stats["received"] == jobs_made
    assert stats["sent"] == 1
    assert stats["blocked"]["personal_data"] >= 1
    assert stats["confirmations_refused"] == 1, "the masked resend's original is replaced, not refused"
    assert stats["wrong_number_entries"] == 1
    assert stats["masked_resends"] == 1
    assert stats["refused_at_directory"] == 2 + unknown_at_rcpt
    assert stats["near_misses"] == 3
    assert stats["cover_mismatches"] == 0 and stats["incidents"] == 0
    mine, theirs = stats["by_department"][DEPARTMENT], stats["by_department"][OTHER]
    assert (theirs["refused_at_directory"], theirs["received"]) == (1, 0)
    assert mine["sent"] == 1 and mine["received"] == jobs_made

    auditor = api(gateway, _token(app, "mori"))
    assert auditor.get("/api/stats", params={"from": today, "to": today}).json()["sent"] == 1
    assert sato.get("/api/stats").status_code == 403, "staff do not see the office's statistics"
    assert suzuki.get("/api/stats").status_code == 403, "nor do approvers who are not privacy officers"
    assert officer.get("/api/stats", params={"from": "2026-13-01"}).status_code == 400
    assert officer.get("/api/stats", params={"from": today, "to": "2020-01-01"}).status_code == 400
    yesterday = (office_today() - dt.timedelta(days=1)).isoformat()
    assert officer.get("/api/stats", params={"from": yesterday, "to": yesterday}).json()["received"] == 0

    # The page: the same figures, a chart drawn on the server with Japanese labels, and CSV.
    page = signed_in(world.port, "mori").get("/stats", params={"from": today, "to": today})
    assert page.status_code == 200
    svg = re.search(r"<svg[^>]*id=\"stats-chart\".*?</svg>", page.text, re.S).group(0)
    assert "<title id=\"chart-title\">月別の送信済み・送信停止・ヒヤリハット</title>" in svg
    month = office_today()
    assert f">{month.month}月<" in svg and "ヒヤリハット" in svg and 'class="bar-sent"' in svg
    assert re.search(r'<dd id="total-sent">1</dd>', page.text)
    assert re.search(r'<dd id="total-near_misses">3</dd>', page.text)
    assert "<script" not in page.text
    download = signed_in(world.port, "tanaka").get("/stats.csv", params={"from": today, "to": today})
    assert download.status_code == 200 and download.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(download.content.decode("utf-8-sig"))))
    header, lines = rows[0], {row[1]: dict(zip(rows[0], row)) for row in rows[1:]}
    assert header[:4] == ["月", "所属", "受付済み", "送信済み"]
    assert lines[DEPARTMENT]["送信済み"] == "1" and lines[OTHER]["ヒヤリハット"] == "1"
    assert signed_in(world.port, "sato").get("/stats").status_code == 403
    assert signed_in(world.port, "sato").get("/stats.csv").status_code == 403


def test_the_page_reads_on_a_panel_and_a_desktop_without_scripts(chromium, world):
    from tests.e2e.test_web_panel import SCREENS, measure
    from tests.support.browser import person

    _mailed(world, CLEAN_PAGES)
    _mailed(world, PERSONAL_PAGES)
    assert _rcpt(world.gateway.smtp_port, "kato@city.example.jp", f"sd-99@{DOMAIN}") == 550
    figures, broken = {}, []
    for screen in ("1280x800", "800x480"):
        officer = person(chromium, world.gateway, "mori", SCREENS[screen], scripts=False)
        officer.goto("/")
        officer.locator("#menu summary").click()
        officer.locator("#menu-stats").click()
        officer.wait_for_load_state("load")
        box = officer.locator("#stats-chart").bounding_box()
        assert box and box["width"] > 300, "the chart is drawn (no script needed)"
        assert officer.locator("#total-received").inner_text() == "2"
        broken += measure(officer, f"stats-{screen}", screen, figures)
    assert not broken, broken

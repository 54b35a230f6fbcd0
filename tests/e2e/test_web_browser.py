"""The web app in a real browser (Debian's Chromium, headless, driven by Playwright): a fax sent
by two people in the Japanese UI, a stopped fax explained and replaced by its auto-masked
version, and a directory change approved by a second administrator. Screenshots go to tests/artifacts/ for people to look at."""

from __future__ import annotations

import datetime as dt
import hashlib
import re

import pytest

from tests.support import docgen
from tests.support.harness import fax_message, queued_id, submit, wait_state
from tests.support.web_support import CLEAN_PAGES, HIDDEN_NUMBER_FORMS, PERSONAL_PAGES
from tests.support.browser import person, shot

pytestmark = pytest.mark.world(people="web")  # the whole gateway, for web_support's people
MFD_PANEL = {"width": 800, "height": 480}  # a typical multifunction device's touch panel


def read_every_page(page) -> None:
    """The confirmation's first steps: each page on its own (loading its image counts it as seen)."""
    while True:
        page.wait_for_load_state("load")
        if page.locator("#next-page").count() == 0:
            return
        page.locator("#next-page").click()


def test_two_people_send_a_fax_in_the_japanese_ui(chromium, world):
    app, gateway, _, fax, _ = world
    document = docgen.text_pdf(CLEAN_PAGES)
    job_id = queued_id(submit(gateway.smtp_port, fax_message(document)))
    assert wait_state(app, job_id, {"awaiting_confirmation", "blocked"}) == "awaiting_confirmation"

    submitter = person(chromium, gateway, "sato")
    assert submitter.locator("#pending-count").inner_text() == "1"
    submitter.get_by_role("link", name="内容を見て確認する").click()
    read_every_page(submitter)
    assert "報告第371号" in submitter.locator("#warning-371").inner_text()
    assert submitter.locator("#destination-name").inner_text() == "子ども家庭支援係"
    assert not any(number in submitter.content() for number in HIDDEN_NUMBER_FORMS), "re-entered blind"
    submitter.fill("#number", "03-5432-1112")
    submitter.click("#confirm-button")
    assert "一致しません" in submitter.locator(".error").inner_text()
    submitter.fill("#number", "03-5432-1111")
    shot(submitter, "send-1-submitter-confirms")
    submitter.click("#confirm-button")
    assert "確認を記録しました" in submitter.locator(".notice").first.inner_text()

    approver = person(chromium, gateway, "suzuki", viewport=MFD_PANEL)
    assert approver.locator("#pending-count").inner_text() == "1"
    approver.goto("/confirmations")
    shot(approver, "send-2-approver-waiting-mfd-panel")
    approver.get_by_role("link", name="内容を見て確認する").click()
    read_every_page(approver)
    assert not any(number in approver.content() for number in HIDDEN_NUMBER_FORMS), "the approver re-enters it blind"
    assert fax.received == [], "nothing reaches the fax server on one confirmation"
    approver.fill("#number", "0354321111")
    shot(approver, "send-3-approver-confirms-mfd-panel")
    approver.click("#confirm-button")
    assert "確認がそろいました" in approver.locator(".notice").inner_text()
    assert approver.locator("#pending-count").inner_text() == "0"

    assert wait_state(app, job_id, {"sent", "failed"}) == "sent"
    [relayed] = fax.wait_for(1)
    assert hashlib.sha256(relayed.attachment()).digest() == hashlib.sha256(document).digest()
    submitter.goto(f"/jobs/{job_id}")
    assert submitter.locator("#job-state").inner_text() == "送信済み"
    assert "03-5432-1111" in submitter.content(), "once sent, the number dialled is shown"
    shot(submitter, "send-4-sent")


def test_a_stopped_fax_is_explained(chromium, world):
    app, gateway, _, fax, _ = world
    job_id = queued_id(submit(gateway.smtp_port, fax_message(docgen.text_pdf(PERSONAL_PAGES))))
    assert wait_state(app, job_id, {"blocked", "awaiting_confirmation"}) == "blocked"
    submitter = person(chromium, gateway, "sato")
    submitter.get_by_role("link", name="止めた送信").click()
    card = submitter.locator(".cards li", has_text=job_id)
    assert "止めた理由" in card.inner_text() and "黒塗り" in card.inner_text()
    shot(submitter, "blocked-1-list")
    card.get_by_role("link", name=job_id).click()
    submitter.wait_for_load_state("load")
    assert "生年月日" in submitter.locator("#findings").inner_text()
    shot(submitter, "blocked-2-detail")
    submitter.locator("#menu summary").click()
    submitter.get_by_role("link", name="English").click()
    assert "What to do" in submitter.locator(".reason").first.inner_text()
    shot(submitter, "blocked-3-detail-english")
    submitter.locator("#menu summary").click()
    submitter.get_by_role("link", name="日本語").click()
    offer = submitter.locator("#send-masked")
    assert "黒塗り" in offer.inner_text() and "新しい送信" in offer.inner_text()
    offer.get_by_role("button", name="黒塗り版で送る").click()
    assert "黒塗り版を新しい送信として受け付けました" in submitter.locator(".notice").first.inner_text()
    masked_id = re.search(r"/jobs/([\w-]+)", submitter.url).group(1)
    assert masked_id != job_id and job_id in submitter.locator("#masked-from").inner_text()
    shot(submitter, "blocked-4-masked-version-being-checked")
    assert wait_state(app, masked_id, {"awaiting_confirmation", "blocked"}) == "awaiting_confirmation"
    assert wait_state(app, job_id, {"rejected"}) == "rejected"
    submitter.reload()
    submitter.wait_for_load_state("load")
    assert submitter.locator("#job-state").inner_text() == "確認待ち"
    shot(submitter, "blocked-5-masked-version-waiting")
    assert fax.received == []


def test_the_submitter_sees_at_once_that_a_fax_was_not_sent(chromium, world):
    """On the MFD panel's small browser: the header counts the stopped fax until it is seen."""
    app, gateway, _, fax, _ = world
    job_id = queued_id(submit(gateway.smtp_port, fax_message(docgen.text_pdf(CLEAN_PAGES), to="sd-2@fax.example.jp")))
    assert wait_state(app, job_id, {"blocked", "awaiting_confirmation"}) == "blocked"
    submitter = person(chromium, gateway, "sato", viewport=MFD_PANEL)
    assert submitter.locator("#not-sent-count").inner_text() == "1"
    shot(submitter, "not-sent-1-header")
    submitter.locator("#nav-not-sent").click()
    card = submitter.locator("#not-sent li", has_text=job_id)
    assert "未読" in card.inner_text() and "送信前の点検で止めました" in card.inner_text()
    assert "登録内容の確認が済んでいない" in card.inner_text() and "対処方法" in card.inner_text()
    assert submitter.locator("#not-sent-count").inner_text() == "0"
    shot(submitter, "not-sent-2-list")
    assert fax.received == []


def test_a_directory_change_is_approved_by_a_second_admin(chromium, world):
    app, gateway, _, fax, _ = world
    maker = person(chromium, gateway, "yamada")
    maker.goto("/directory/audit")
    shot(maker, "directory-1-audit")
    maker.locator(".cards li", has_text="要確認の登録").get_by_role("link", name="新しい番号を提案する").click()
    maker.fill("#dial", "0-03-5432-2222")
    maker.fill("#verified_on", dt.date.today().isoformat())
    maker.fill("#note", "先方（株式会社あおぞら）に電話で番号を確認しました")
    maker.click("#propose-button")
    assert "別の管理者が承認すると反映されます" in maker.locator(".notice").inner_text()
    own = maker.locator("#pending-proposals li").first
    assert own.get_by_role("button", name="承認して反映する").count() == 0, "no approve button for one's own proposal"

    checker = person(chromium, gateway, "kimura")
    checker.goto("/directory/proposals")
    shot(checker, "directory-2-proposal-waiting")
    checker.locator("#pending-proposals li").first.get_by_role("button", name="承認して反映する").click()
    assert "宛先表に反映しました" in checker.locator(".notice").inner_text()
    checker.goto("/directory/entries/2")
    assert checker.locator("#entry-status").inner_text() == "有効"
    assert checker.locator("#entry-number").inner_text() == "03-5432-2222"
    assert "user:kimura" in checker.locator("#history").inner_text()
    shot(checker, "directory-3-entry-after-approval")

"""The page "ファクスを送る" in a real browser (Debian's Chromium) with scripts switched off: a
member of staff finds the destination in the directory (by name or by number, never typing it as
the destination), uploads a PDF, and the job is screened, confirmed by two people and relayed to
the real SMTP fax sink with the same bytes. The page fits an MFD panel and a phone (tap targets,
one-row header, no sideways scrolling); screenshots go to tests/artifacts/."""

from __future__ import annotations

import hashlib
import re

import pytest

from tests.e2e.test_web_browser import read_every_page
from tests.e2e.test_web_panel import SCREENS, measure
from tests.support import docgen
from tests.support.browser import person, shot
from tests.support.harness import wait_state
from tests.support.web_support import CLEAN_PAGES, HIDDEN_NUMBER_FORMS

pytestmark = pytest.mark.world(people="web")


def _confirm(page, job_id: str, number: str) -> None:
    page.goto("/confirmations")
    page.locator(".cards li", has_text=job_id).get_by_role("link", name="内容を見て確認する").click()
    read_every_page(page)
    assert not any(form in page.content() for form in HIDDEN_NUMBER_FORMS), "re-entered blind"
    page.fill("#number", number)
    page.click("#confirm-button")
    page.wait_for_load_state("load")


def test_an_upload_from_the_web_is_screened_confirmed_and_relayed(chromium, world, tmp_path):
    app, gateway, _, fax, _ = world
    document = docgen.text_pdf(CLEAN_PAGES)
    path = tmp_path / "会議資料.pdf"
    path.write_bytes(document)

    sato = person(chromium, gateway, "sato", SCREENS["800x480"], scripts=False)
    sato.get_by_role("link", name="ファクスを送る").click()
    sato.wait_for_url(re.compile(r"/send$"))
    assert sato.locator("input[name=number], input[name=fax], input[type=tel]").count() == 0, "no free number entry"
    sato.fill("#q", "03-5432-1111")  # by the number on the request in front of her
    sato.click("#search-button")
    choices = sato.locator(".choice")
    assert choices.count() == 1 and "子ども家庭支援係" in choices.inner_text()
    listed = sato.locator("fieldset.choices").inner_html()
    assert not any(form in listed for form in HIDDEN_NUMBER_FORMS), "the entry's number is never shown"
    sato.fill("#q", "世田谷区")  # by organisation: the in-house section too
    sato.click("#search-button")
    assert {"子ども家庭支援係", "国保課"} <= set(sato.locator(".choice-name").all_inner_texts())
    sato.locator(".choice", has_text="子ども家庭支援係").locator("input").check()
    sato.set_input_files("#document", str(path))
    figures = {}
    broken = measure(sato, "upload-800x480", "800x480", figures)
    sato.click("#send-button")
    sato.wait_for_url(re.compile(r"/jobs/\d{8}-[0-9a-f]{12}\?notice=uploaded"))
    job_id = re.search(r"/jobs/([^?]+)", sato.url).group(1)
    assert "送信を受け付けました" in sato.locator(".notice").inner_text()
    assert wait_state(app, job_id, {"awaiting_confirmation", "blocked"}) == "awaiting_confirmation"

    _confirm(sato, job_id, "03-5432-1111")
    assert "確認を記録しました" in sato.locator(".notice").first.inner_text()
    suzuki = person(chromium, gateway, "suzuki", SCREENS["800x480"], scripts=False)
    _confirm(suzuki, job_id, "0354321111")
    assert "確認がそろいました" in suzuki.locator(".notice").inner_text()

    assert wait_state(app, job_id, {"sent", "failed"}) == "sent"
    [relayed] = fax.wait_for(1)
    assert hashlib.sha256(relayed.attachment()).hexdigest() == hashlib.sha256(document).hexdigest()

    for screen in ("1280x800", "phone-390x844"):
        other = person(chromium, gateway, "sato", SCREENS[screen], scripts=False)
        other.goto("/send?q=世田谷区")
        broken += measure(other, f"upload-{screen}", screen, figures)
    assert not broken, broken


def test_a_refused_upload_says_why_and_keeps_the_search(chromium, world, tmp_path):
    app, gateway, _, fax, _ = world
    path = tmp_path / "scan.tif"
    path.write_bytes(docgen.eps_renamed())
    sato = person(chromium, gateway, "sato", SCREENS["1280x800"], scripts=False)
    sato.goto("/send?q=子ども")
    sato.set_input_files("#document", str(path))
    sato.click("#send-button")
    sato.wait_for_load_state("load")
    error = sato.locator(".error").inner_text()
    assert "受け付けられませんでした" in error and "PDF か TIFF にしてください" in error
    assert sato.locator("#q").input_value() == "子ども"
    shot(sato, "upload-refused-1280x800")
    assert fax.received == []

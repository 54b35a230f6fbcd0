"""Issue 12, the blind re-entry through every door, end to end: a real SMTP client submits to the
gateway (intake, worker, HTTP API in one process, as `faxgate serve` runs them), people work
through the API, and a real SMTP server plays the fax server. No job reaches it before both
people have looked at every page and re-entered the number without ever being shown it; a
number changed between the two confirmations voids the first cleanly."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json

import pytest
from PIL import Image

from gateway.core.confirmation import PAGES_NOT_VIEWED
from gateway.services.cover_sheet import NUMBER_AREA_MM, CoverSheet, render_cover_sheet
from gateway.services.previews import render_pages
from policies.documents.load import load_document
from tests.support import docgen
from tests.support.harness import DOMAIN, add_extension_only_entry, api, change_approved, confirm_by_api, fax_message, queued_id, submit, view_every_page, wait_state

TWO_PAGES = [[(20, 20, "会議資料 1ページ", 16), (20, 40, "会議資料を送付します。", 11)],
             [(20, 20, "会議資料 2ページ", 16), (20, 40, "日程は別紙のとおりです。", 11)]]
WHEN_MISSING = 'version = "blind-test"\n[coversheet]\nprepend = "when_missing"\n'
# Every way the destination +81 3-5432-1111 (dialled 0-03-5432-1111) could be given away.
NUMBER_FORMS = ("5432-1111", "54321111", "5432 1111")


def shows_number(answer) -> bool:
    text = json.dumps(answer.json(), ensure_ascii=False) if hasattr(answer, "json") else answer
    return any(form in text for form in NUMBER_FORMS)


def test_no_fax_goes_out_without_two_blind_confirmations_after_every_page_was_seen(world):
    app, gateway, tokens, fax, mail = world
    document = docgen.text_pdf(TWO_PAGES)
    job_id = queued_id(submit(gateway.smtp_port, fax_message(document, to=f"sd-1@{DOMAIN}")))
    assert wait_state(app, job_id, {"awaiting_confirmation", "blocked"}) == "awaiting_confirmation"
    submitter, approver, colleague = api(gateway, tokens["sato"]), api(gateway, tokens["suzuki"]), api(gateway, tokens["ito"])

    seen = submitter.get(f"/api/jobs/{job_id}")
    assert seen.json()["pages"] == 2 and seen.json()["destination"]["entry"]["name"] == "子ども家庭支援係"
    assert not shows_number(seen), "nothing in the answer gives the number away"
    [please_confirm] = [m for m in mail.wait_for(1) if "確認をお願いします" in m.message["Subject"]]
    assert not shows_number(please_confirm.message.get_body(("plain",)).get_content()), "nor does the mail"

    unseen = submitter.post(f"/api/jobs/{job_id}/confirm", json={"number": "03-5432-1111"})
    assert unseen.status_code == 409 and unseen.json()["code"] == PAGES_NOT_VIEWED and unseen.json()["detail"]
    assert submitter.get(f"/api/jobs/{job_id}/pages/1.png").headers["content-type"] == "image/png"
    half = submitter.post(f"/api/jobs/{job_id}/confirm", json={"number": "03-5432-1111"})
    assert half.status_code == 409 and half.json()["code"] == PAGES_NOT_VIEWED, "page 2 not seen yet"
    assert colleague.get(f"/api/jobs/{job_id}/pages/2.png").status_code == 200, "another person's view is theirs"
    assert submitter.post(f"/api/jobs/{job_id}/confirm", json={"number": "03-5432-1111"}).status_code == 409
    page_2 = submitter.get(f"/api/jobs/{job_id}/pages/2.png")
    with Image.open(io.BytesIO(page_2.content)) as image:
        assert image.mode == "1" and image.width >= 1680, "the page at fax resolution, black and white, as it will arrive"
    confirmed = submitter.post(f"/api/jobs/{job_id}/confirm", json={"number": "03-5432-1111"})
    assert confirmed.status_code == 200 and confirmed.json()["destination"]["e164"] == "+81354321111", "they typed it"

    assert not shows_number(approver.get(f"/api/jobs/{job_id}")), "the approver still re-enters it blind"
    early = approver.post(f"/api/jobs/{job_id}/confirm", json={"number": "0354321111"})
    assert early.status_code == 409 and early.json()["code"] == PAGES_NOT_VIEWED
    assert fax.received == [], "one confirmation sends nothing"
    assert confirm_by_api(approver, job_id, "0354321112").status_code == 422
    assert confirm_by_api(approver, job_id, "+81 3 5432 1111").status_code == 200

    assert wait_state(app, job_id, {"sent", "failed"}) == "sent"
    [relayed] = fax.wait_for(1)
    assert relayed.rcpt_tos == ["FAX=+81354321111@faxserver.example.jp"]
    assert hashlib.sha256(relayed.attachment()).digest() == hashlib.sha256(document).digest()
    assert shows_number(submitter.get(f"/api/jobs/{job_id}")), "once it ended, who typed it sees it"
    assert not shows_number(colleague.get(f"/api/jobs/{job_id}")), \
        "an approver who never typed it does not learn it from an ended job (the next fax to this entry)"


@pytest.mark.parametrize("world", [WHEN_MISSING], indirect=True, ids=["cover_sheet"])
def test_a_number_changed_between_the_confirmations_is_confirmed_again_by_both(world):
    app, gateway, tokens, fax, mail = world
    job_id = queued_id(submit(gateway.smtp_port, fax_message(docgen.text_pdf(TWO_PAGES), to=f"sd-1@{DOMAIN}")))
    assert wait_state(app, job_id, {"awaiting_confirmation", "blocked"}) == "awaiting_confirmation"
    submitter, approver = api(gateway, tokens["sato"]), api(gateway, tokens["suzuki"])
    assert confirm_by_api(submitter, job_id, "03-5432-1111").status_code == 200
    with app.unit_of_work() as uow:  # an administrator corrects the entry after the submitter confirmed
        change_approved(uow, app, 1, dial="0-03-5432-1119", verified_on=dt.date.today(),
                     verified_by="admin")

    assert confirm_by_api(approver, job_id, "0354321111").status_code == 422, "the old number is refused"
    assert wait_state(app, job_id, {"awaiting_confirmation", "blocked"}) == "awaiting_confirmation"
    again = submitter.get(f"/api/jobs/{job_id}").json()
    assert again["destination"]["e164"] is None, "the submitter confirmed the old number, not this one"
    assert not any(c["valid"] for c in again["confirmations"]), "the change voided the earlier confirmation"
    assert confirm_by_api(approver, job_id, "0354321119").status_code == 409, "the submitter confirms first again"
    assert confirm_by_api(submitter, job_id, "0354321111").status_code == 422
    assert confirm_by_api(submitter, job_id, "03-5432-1119").status_code == 200
    assert fax.received == []
    assert confirm_by_api(approver, job_id, "03-5432-1119").status_code == 200

    assert wait_state(app, job_id, {"sent", "failed"}) == "sent"
    [relayed] = fax.wait_for(1)
    assert relayed.rcpt_tos == ["FAX=+81354321119@faxserver.example.jp"]
    cover, *pages = load_document(relayed.attachment(), resolution="standard").pages
    assert "03-5432-1119" in cover.text and "03-5432-1111" not in cover.text, "the cover sheet names the new number"
    assert len(pages) == 2, "the old cover sheet came off: one sheet, then the submitted pages"


def test_an_extension_only_destination_is_confirmed_by_its_extension_and_sent_there(world):
    app, gateway, tokens, fax, mail = world
    add_extension_only_entry(app, slot=5, extension="5678")
    job_id = queued_id(submit(gateway.smtp_port, fax_message(docgen.text_pdf(TWO_PAGES), to=f"sd-5@{DOMAIN}")))
    assert wait_state(app, job_id, {"awaiting_confirmation", "blocked"}) == "awaiting_confirmation"
    submitter, approver = api(gateway, tokens["sato"]), api(gateway, tokens["suzuki"])
    assert "5678" not in json.dumps(submitter.get(f"/api/jobs/{job_id}").json())
    view_every_page(submitter, job_id)
    assert submitter.post(f"/api/jobs/{job_id}/confirm", json={"number": "5679"}).status_code == 422
    assert submitter.post(f"/api/jobs/{job_id}/confirm", json={"number": "5678"}).status_code == 200
    assert confirm_by_api(approver, job_id, "5678").status_code == 200
    assert wait_state(app, job_id, {"sent", "failed"}) == "sent"
    [relayed] = fax.wait_for(1)
    assert relayed.rcpt_tos == ["FAX=5678@faxserver.example.jp"]


def test_the_hidden_area_of_the_cover_sheet_holds_every_form_of_the_number():
    sheet = CoverSheet("20261202-000000000000", "+81354321111", "0-03-5432-1111", "子ども家庭支援係", "世田谷区",
                       "保健福祉課", "", "sato@city.example.jp", 2, "0" * 64, dt.date.today())
    page = load_document(render_cover_sheet(sheet)).pages[0]
    per_mm_x, per_mm_y = page.dpi[0] / 25.4, page.dpi[1] / 25.4
    left, top, right, bottom = NUMBER_AREA_MM
    for text in ("03-5432-1111", "+81 3-5432-1111", "0-03-5432-1111"):
        at = page.text.index(text)
        for char in page.chars[at:at + len(text)]:
            assert left * per_mm_x <= char.left and char.right <= right * per_mm_x, text
            assert top * per_mm_y <= char.top and char.bottom <= bottom * per_mm_y, text
    box = (int(left * per_mm_x), int(top * per_mm_y), int(right * per_mm_x), int(bottom * per_mm_y))
    [hidden] = render_pages(load_document(render_cover_sheet(sheet)), [], hide_cover_number=True)
    with Image.open(io.BytesIO(hidden)) as image:
        assert image.crop(box).getextrema() == (0, 0), "nothing of the number is left to read"
        outside = page.bilevel().copy()
        outside.paste(0, box)
        assert image.crop((0, 0, image.width, box[1] - 2)).tobytes() == outside.crop((0, 0, image.width, box[1] - 2)).tobytes(), \
            "the rest of the sheet is as sent"


@pytest.mark.parametrize("world", [WHEN_MISSING], indirect=True, ids=["cover_sheet"])
def test_faxgates_cover_sheet_shows_the_number_only_to_who_confirmed_it(world):
    app, gateway, tokens, fax, mail = world
    job_id = queued_id(submit(gateway.smtp_port, fax_message(docgen.text_pdf(TWO_PAGES), to=f"sd-1@{DOMAIN}")))
    assert wait_state(app, job_id, {"awaiting_confirmation", "blocked"}) == "awaiting_confirmation"
    submitter, approver = api(gateway, tokens["sato"]), api(gateway, tokens["suzuki"])
    assert submitter.get(f"/api/jobs/{job_id}").json()["document"]["cover_sheet_generated"] is True
    blind = submitter.get(f"/api/jobs/{job_id}/pages/1.png").content
    assert confirm_by_api(submitter, job_id, "03-5432-1111").status_code == 200
    typed = submitter.get(f"/api/jobs/{job_id}/pages/1.png").content
    assert approver.get(f"/api/jobs/{job_id}/pages/1.png").content == blind, "the approver must still type it"
    assert confirm_by_api(approver, job_id, "0354321111").status_code == 200
    assert wait_state(app, job_id, {"sent", "failed"}) == "sent"
    [relayed] = fax.wait_for(1)
    sheet = load_document(relayed.attachment()).pages[0].bilevel()
    with Image.open(io.BytesIO(typed)) as shown, Image.open(io.BytesIO(blind)) as hidden:
        assert shown.tobytes() == sheet.tobytes(), "once confirmed: the sheet as the recipient gets it"
        assert hidden.tobytes() != sheet.tobytes()
        left, top, right, bottom = NUMBER_AREA_MM
        dpi = 204 / 25.4, 196 / 25.4
        box = (int(left * dpi[0]) + 2, int(top * dpi[1]) + 2, int(right * dpi[0]) - 2, int(bottom * dpi[1]) - 2)
        assert hidden.crop(box).getextrema() == (0, 0), "the number's area is black"


def test_the_number_cannot_be_guessed_by_trying(world):
    """Five wrong numbers on one job and that person may not confirm it any more, not even with
    the right number (a known prefix could otherwise be tried at 50 a second)."""
    app, gateway, tokens, fax, mail = world
    job_id = queued_id(submit(gateway.smtp_port, fax_message(docgen.text_pdf(TWO_PAGES), to=f"sd-1@{DOMAIN}")))
    assert wait_state(app, job_id, {"awaiting_confirmation", "blocked"}) == "awaiting_confirmation"
    submitter = api(gateway, tokens["sato"])
    view_every_page(submitter, job_id)
    for guess in ("03-5432-1110", "03-5432-1112", "03-5432-1113", "03-5432-1114", "03-5432-1115"):
        wrong = submitter.post(f"/api/jobs/{job_id}/confirm", json={"number": guess})
        assert wrong.status_code == 422 and not shows_number(wrong)
    locked = submitter.post(f"/api/jobs/{job_id}/confirm", json={"number": "03-5432-1111"})
    assert locked.status_code == 403 and locked.json()["code"] == "too_many_wrong_numbers", locked.text
    assert fax.received == []

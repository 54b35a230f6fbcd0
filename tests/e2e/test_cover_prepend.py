"""faxgate's own cover sheet in front of a fax, by policy (`[coversheet] prepend`): a job goes in
over real SMTP, the worker screens it, two people confirm through the API and the fax server
(an aiosmtpd sink) receives the document; the relayed file is read back at fax resolution
(text layer and pixels for a PDF, Tesseract OCR for a fax TIFF). The bytes relayed are the
bytes the confirmations were bound to; the message as received is untouched."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import struct

import pytest
from PIL import Image
from sqlalchemy import select

from gateway.services.jobs import cover_generated
from gateway.services.cover_sheet import CoverSheet, render_cover_sheet
from gateway.core.coversheet import verification_code
from gateway.storage.tables import Confirmation, JobBlob, Record, User
from gateway.records.verify import embedded_facts
from policies.ocr import OcrSettings, prepare, read_words
from policies.documents.load import load_document
from policies.documents.model import DocumentUnreadable
from policies.documents.prepend import prepend_pdf_page, prepend_tiff_page
from tests.support import docgen
from tests.support.harness import db_session, api, confirm_by_api, fax_message, queued_id, submit, wait_state
from tests.support.cover_reading import NUMBER_PT, NUMBER_STROKE_PX, read_digits, text_box
from tests.support.records import text_of
from tests.support.web_support import _password_hash, signed_in

WHEN_MISSING = 'version = "cover-test"\n[coversheet]\nprepend = "when_missing"\n'
ALWAYS = 'version = "cover-test"\n[coversheet]\nprepend = "always"\n'
NEVER = 'version = "cover-test"\n[coversheet]\nprepend = "never"\n'
PAGES = [[(20, 20, "会議資料 1ページ", 16), (20, 40, "会議資料を送付します。", 11)],
         [(20, 20, "会議資料 2ページ", 16), (20, 40, "日程は別紙のとおりです。", 11)]]
OWN_COVER = [(20, 20, "FAX送信票", 20), (20, 40, "宛先: 子ども家庭支援係 御中", 12), (20, 55, "FAX: 03-5432-1111", 14),
             (20, 75, "発信元: 保健福祉課", 11)]


def cover_sheet_like(job_id: str) -> CoverSheet:
    return CoverSheet(job_id, "+81354321111", "0-03-5432-1111", "子ども家庭支援係", "世田谷区", "保健福祉課", "",
                      "sato@city.example.jp", 2, "0" * 64, dt.date.today())


def staff_browser(app, gateway):
    """The submitter signed in to the web app (the world's staff get passwords first)."""
    with db_session(app) as session:
        for user in session.scalars(select(User)):
            user.password_hash = _password_hash()
    return signed_in(gateway.http_port, "sato")


def confirm_and_relay(world, job_id: str) -> bytes:
    app, gateway, tokens, fax, _ = world
    assert confirm_by_api(api(gateway, tokens["sato"]), job_id, "03-5432-1111").status_code == 200
    assert confirm_by_api(api(gateway, tokens["suzuki"]), job_id, "0354321111").status_code == 200
    assert wait_state(app, job_id, {"sent"}) == "sent"
    [relayed] = fax.wait_for(1)
    return relayed.attachment()


def bound_hashes(app, job_id: str) -> set[str]:
    with db_session(app) as session:
        return set(session.scalars(select(Confirmation.content_sha256).where(Confirmation.job_id == job_id)))


def original_attachment(app, job_id: str) -> bytes:
    with db_session(app) as session:
        message = session.get(JobBlob, job_id).message
    import email
    import email.policy

    [part] = email.message_from_bytes(message, policy=email.policy.default).iter_attachments()
    return part.get_content()


@pytest.mark.parametrize("world", [WHEN_MISSING], indirect=True, ids=["when_missing"])
def test_pdf_job_is_sent_with_the_cover_sheet_as_page_one_and_exactly_the_bound_bytes(world):
    app, gateway, tokens, fax, _ = world
    submitted = docgen.text_pdf(PAGES)
    job_id = queued_id(submit(gateway.smtp_port, fax_message(submitted)))
    assert wait_state(app, job_id, {"awaiting_confirmation", "blocked"}) == "awaiting_confirmation"
    job = api(gateway, tokens["sato"]).get(f"/api/jobs/{job_id}").json()
    document = job["document"]
    assert document["pages"] == 3 and document["cover_sheet_generated"] is True
    assert document["received_sha256"] == hashlib.sha256(submitted).hexdigest() != document["sha256"]
    assert ("cover_sheet_prepend", "pass", "cover_sheet_generated") in {(r["rule"], r["outcome"], r["code"]) for r in job["rules"]}
    previews = staff_browser(app, gateway)
    first_preview = previews.get(f"/jobs/{job_id}/pages/1.png")
    assert first_preview.status_code == 200 and previews.get(f"/jobs/{job_id}/pages/4.png").status_code == 404

    relayed = confirm_and_relay(world, job_id)
    digest = hashlib.sha256(relayed).hexdigest()
    assert digest == document["sha256"] and bound_hashes(app, job_id) == {digest}, "relayed = confirmed bytes"
    assert original_attachment(app, job_id) == submitted, "the message as received is untouched"

    sent_preview = previews.get(f"/jobs/{job_id}/pages/1.png")  # the number was hidden until confirmed
    with Image.open(io.BytesIO(sent_preview.content)) as preview:
        preview_pixels = preview.convert("1").tobytes()
    assert preview_pixels == load_document(relayed).pages[0].bilevel().tobytes(), "the first preview is the sheet relayed"

    pages = load_document(relayed, resolution="standard").pages
    assert len(pages) == 3
    cover = pages[0]
    for expected in ("FAX送付票", "子ども家庭支援係", "03-5432-1111", "3枚（本票を含む）", job_id, "保健福祉課",
                     "sato@city.example.jp", verification_code(job_id, "+81354321111", document["received_sha256"])):
        assert expected in cover.text, expected
    digits, _ = read_digits(cover, text_box(cover, "03-5432-1111"), NUMBER_PT, NUMBER_STROKE_PX)
    assert digits == "03-5432-1111", "the number as the receiving fax prints it"
    assert [p.text.splitlines()[0] for p in pages[1:]] == ["会議資料 1ページ", "会議資料 2ページ"]

    record = signed_record(app, job_id)
    facts = embedded_facts(record)
    assert facts["content_sha256"] == digest and facts["received_sha256"] == document["received_sha256"]
    assert facts["pages"] == 3
    shown = text_of(record)
    assert verification_code(job_id, "+81354321111", document["received_sha256"]) in shown, "the code on the sheet"
    assert document["received_sha256"] in shown


def signed_record(app, job_id: str, timeout: float = 30) -> bytes:
    import time

    deadline = time.monotonic() + timeout
    while True:
        with db_session(app) as session:
            record = session.scalars(select(Record).where(Record.job_id == job_id, Record.state == "sent")).first()
            pdf = record.pdf if record else None  # opened (sealed at rest)
        if pdf:
            return pdf
        assert time.monotonic() < deadline, "no signed record"
        time.sleep(0.1)


@pytest.mark.parametrize("world", [WHEN_MISSING], indirect=True, ids=["when_missing"])
def test_fax_tiff_gets_a_fax_resolution_cover_page_read_back_by_ocr(world):
    app, gateway, tokens, fax, _ = world
    submitted = docgen.fax_tiff([docgen.render_text_image(items) for items in PAGES])
    job_id = queued_id(submit(gateway.smtp_port, fax_message(submitted, filename="fax.tif", maintype="image",
                                                             subtype="tiff")))
    assert wait_state(app, job_id, {"awaiting_confirmation", "blocked"}, timeout=90) == "awaiting_confirmation"
    job = api(gateway, tokens["sato"]).get(f"/api/jobs/{job_id}").json()
    assert job["document"]["pages"] == 3 and job["document"]["cover_sheet_generated"] is True

    relayed = confirm_and_relay(world, job_id)
    assert hashlib.sha256(relayed).hexdigest() == job["document"]["sha256"]
    assert bound_hashes(app, job_id) == {job["document"]["sha256"]}
    assert relayed[8:len(submitted)] == submitted[8:], "the submitted pages' bytes are kept as they were"
    with Image.open(io.BytesIO(relayed)) as tiff:
        assert tiff.n_frames == 3 and tiff.info["dpi"] == (204, 196)
        assert tiff.tag_v2[259] == 4, "CCITT G4, as fax servers expect"

    pages = load_document(relayed, resolution="fine").pages
    assert len(pages) == 3 and pages[0].text is None, "an image page, like the rest of a fax TIFF"
    read = "".join(w.text for w in read_words(prepare(pages[0].image), pages[0].dpi, OcrSettings(), 60))
    # The job number is random hex: letters no hex id holds (S, O, l, I) are Tesseract's readings
    # of 8, 0 and 1, so they are read back as those before the number is looked for.
    read_as_hex = read.translate(str.maketrans("SOlI", "8011"))
    assert job_id in read_as_hex, (job_id, read)
    for expected in ("3枚", "発信ダイヤル0-03-5432-1111", "保健福祉課", "sato@city.example"):
        assert expected in read, (expected, read)
    # Tesseract misreads the 44 pt outlined number; the pixels are compared with the font's
    # digits where the sheet prints it (the same layout rendered from PDF gives the place).
    layout = load_document(render_cover_sheet(cover_sheet_like(job_id))).pages[0]
    digits, _ = read_digits(pages[0], text_box(layout, "03-5432-1111"), NUMBER_PT, NUMBER_STROKE_PX)
    assert digits == "03-5432-1111"


@pytest.mark.parametrize("world", [NEVER], indirect=True, ids=["never"])
def test_policy_never_sends_the_submitted_bytes_unchanged(world):
    app, gateway, tokens, fax, _ = world
    submitted = docgen.text_pdf(PAGES)
    job_id = queued_id(submit(gateway.smtp_port, fax_message(submitted)))
    assert wait_state(app, job_id, {"awaiting_confirmation", "blocked"}) == "awaiting_confirmation"
    job = api(gateway, tokens["sato"]).get(f"/api/jobs/{job_id}").json()
    assert job["document"]["pages"] == 2 and job["document"]["cover_sheet_generated"] is False
    assert confirm_and_relay(world, job_id) == submitted


@pytest.mark.parametrize("world", [WHEN_MISSING], indirect=True, ids=["when_missing"])
def test_a_submitted_cover_sheet_naming_the_number_is_left_alone(world):
    app, gateway, tokens, fax, _ = world
    submitted = docgen.text_pdf([OWN_COVER] + PAGES)
    job_id = queued_id(submit(gateway.smtp_port, fax_message(submitted)))
    assert wait_state(app, job_id, {"awaiting_confirmation", "blocked"}) == "awaiting_confirmation"
    job = api(gateway, tokens["sato"]).get(f"/api/jobs/{job_id}").json()
    assert job["document"]["pages"] == 3 and not job["document"]["cover_sheet_generated"]
    assert confirm_and_relay(world, job_id) == submitted


@pytest.mark.parametrize("world", [ALWAYS], indirect=True, ids=["always"])
def test_always_puts_the_sheet_even_before_the_submitters_own(world):
    app, gateway, tokens, fax, _ = world
    submitted = docgen.text_pdf([OWN_COVER] + PAGES)
    job_id = queued_id(submit(gateway.smtp_port, fax_message(submitted)))
    assert wait_state(app, job_id, {"awaiting_confirmation", "blocked"}) == "awaiting_confirmation"
    pages = load_document(confirm_and_relay(world, job_id)).pages
    assert len(pages) == 4 and "4枚（本票を含む）" in pages[0].text and "FAX送信票" in pages[1].text


@pytest.mark.parametrize("world", [WHEN_MISSING], indirect=True, ids=["when_missing"])
def test_personal_data_found_after_the_cover_and_the_masked_replacement_gets_a_cover_of_its_own(world):
    app, gateway, tokens, fax, _ = world
    pages = [[(20, 20, "産後ケア事業 利用申請書", 14), (20, 40, "生年月日 昭和60年4月1日", 11), (20, 55, "会議資料を送付します。", 11)]]
    job_id = queued_id(submit(gateway.smtp_port, fax_message(docgen.text_pdf(pages))))
    assert wait_state(app, job_id, {"blocked", "awaiting_confirmation"}) == "blocked"
    job = api(gateway, tokens["sato"]).get(f"/api/jobs/{job_id}").json()
    assert job["document"]["pages"] == 2 and job["document"]["cover_sheet_generated"]
    assert {f["page"] for f in job["findings"]} == {2}, "findings are numbered in the document as sent"
    assert [r["code"] for r in job["reasons"]] == ["personal_data"]

    answer = api(gateway, tokens["sato"]).post(f"/api/jobs/{job_id}/masked")
    assert answer.status_code == 200, answer.text
    masked_id = answer.json()["masked_job"]
    assert wait_state(app, masked_id, {"awaiting_confirmation", "blocked"}, timeout=60) == "awaiting_confirmation"
    masked = api(gateway, tokens["sato"]).get(f"/api/jobs/{masked_id}").json()
    assert masked["document"]["pages"] == 2, "the old job's sheet was left out; the new job has its own"
    with db_session(app) as session:
        document = session.get(JobBlob, masked_id).document
    assert masked_id in load_document(document).pages[0].text


# --- putting a page in front of a document ------------------------------------------------------


def big_endian_tiff(width: int = 64, height: int = 32) -> bytes:
    """A one-page, uncompressed bilevel TIFF in Motorola byte order (Pillow writes only 'II')."""
    row = (width + 7) // 8
    strip = bytes([0x00] * row * (height // 2) + [0xFF] * row * (height - height // 2))
    entries = [(256, 4, 1, width), (257, 4, 1, height), (258, 3, 1, 1), (259, 3, 1, 1), (262, 3, 1, 0),
               (273, 4, 1, 8), (277, 3, 1, 1), (278, 4, 1, height), (279, 4, 1, len(strip))]
    ifd = struct.pack(">H", len(entries)) + b"".join(
        struct.pack(">HHI", tag, kind, count) + (struct.pack(">H", value) + b"\0\0" if kind == 3 else struct.pack(">I", value))
        for tag, kind, count, value in entries) + struct.pack(">I", 0)
    return b"MM\x00\x2a" + struct.pack(">I", 8 + len(strip)) + strip + ifd


def test_tiff_page_goes_in_front_in_either_byte_order():
    cover = Image.new("1", (200, 100), 1)
    cover.paste(0, (10, 10, 190, 30))
    for document in (big_endian_tiff(), docgen.fax_tiff([docgen.render_text_image(PAGES[0])], compression="group3")):
        combined = prepend_tiff_page(document, cover, (204, 196))
        assert combined[:4] == document[:4] and combined[8:len(document)] == document[8:]
        with Image.open(io.BytesIO(combined)) as image:
            assert image.n_frames == 2 and image.size == (200, 100)
            assert image.convert("L").getpixel((100, 20)) == 0 and image.convert("L").getpixel((100, 60)) == 255
            image.seek(1)
            with Image.open(io.BytesIO(document)) as original:
                assert image.size == original.size
                assert image.convert("L").tobytes() == original.convert("L").tobytes()


def test_a_pdf_that_cannot_take_the_page_is_unreadable_not_passed():
    cover = docgen.text_pdf([[(20, 20, "送付票", 20)]])
    with pytest.raises(DocumentUnreadable) as error:
        prepend_pdf_page(docgen.corrupt_pdf(), cover)
    assert error.value.code == "broken"
    with pytest.raises(DocumentUnreadable):
        prepend_tiff_page(b"%PDF-1.7 not a tiff", Image.new("1", (8, 8), 1), (204, 196))


def test_generated_reads_the_latest_screening_only():
    first = {"run": 1, "rule": "cover_sheet_prepend", "outcome": "pass", "code": "cover_sheet_generated"}
    assert cover_generated([first])
    assert not cover_generated([first, {"run": 2, "rule": "destination_dialable", "outcome": "hit", "code": "stale"}])
    assert not cover_generated([])

"""policies.screen fails closed: a document that cannot be read with confidence is held
(verdict 'hold', with a code and plain messages), never passed."""

from __future__ import annotations

import random
import stat
import time

import pytest
from PIL import Image, ImageDraw

from policies.ocr import OcrSettings
from policies.documents.model import PageLimits
from policies.screen import ScreenSettings, screen_document
from tests.support import docgen
from tests.support.corpus import require_ocr_and_fonts, sample
from tests.support.processes import live_children

require_ocr_and_fonts()

LINES = [(20, 30, "氏名 ＊＊ ＊＊", 12), (20, 45, "会議資料を送付します。", 12)]


def scanned() -> bytes:
    return docgen.scanned_pdf([docgen.render_text_image(LINES)])


@pytest.mark.parametrize("data, code", [
    (docgen.encrypted_pdf(), "encrypted"),
    (docgen.corrupt_pdf(), "broken"),
    (docgen.truncated_tiff(), "broken"),
    ("氏名 山田太郎".encode(), "not_pdf_or_tiff"),
])
def test_unreadable_documents_are_held(data, code):
    result = screen_document(data)
    assert result.verdict == "hold" and result.hold.code == code
    assert result.hold.message_ja and result.hold.message_en and result.findings == []


def test_too_many_pages_is_held_with_the_count():
    result = screen_document(docgen.many_pages_pdf(5), ScreenSettings(limits=PageLimits(max_pages=3)))
    assert result.verdict == "hold" and result.hold.code == "too_many_pages" and result.pages == 5


def test_ocr_that_cannot_run_holds():
    result = screen_document(scanned(), ScreenSettings(ocr=OcrSettings(command="/nonexistent/tesseract")))
    assert result.verdict == "hold" and result.hold.code == "ocr_unavailable"


def test_ocr_that_does_not_finish_is_stopped_and_holds(tmp_path):
    slow = tmp_path / "slow-tesseract"
    slow.write_text("#!/bin/sh\nexec sleep 30\n")
    slow.chmod(slow.stat().st_mode | stat.S_IEXEC)
    started = time.monotonic()
    result = screen_document(scanned(), ScreenSettings(ocr=OcrSettings(command=str(slow), timeout_seconds=0.5)))
    assert result.verdict == "hold" and result.hold.code == "ocr_timeout" and result.hold.page == 1
    assert time.monotonic() - started < 10


def test_ocr_that_fails_holds(tmp_path):
    broken = tmp_path / "broken-tesseract"
    broken.write_text("#!/bin/sh\necho 'Error opening data file' >&2\nexit 1\n")
    broken.chmod(broken.stat().st_mode | stat.S_IEXEC)
    result = screen_document(scanned(), ScreenSettings(ocr=OcrSettings(command=str(broken))))
    assert result.verdict == "hold" and result.hold.code == "ocr_failed"


def test_handwriting_ocr_cannot_read_holds():
    rng = random.Random(4)
    image = Image.new("L", docgen.page_pixels(), 255)
    draw = ImageDraw.Draw(image)
    for line in range(12):
        x, y = 200, 300 + line * 90
        while x < 1400:
            draw.line([(x + rng.randint(0, 40), y + rng.randint(-25, 25)) for _ in range(6)], fill=0, width=3)
            x += rng.randint(40, 70)
    result = screen_document(docgen.scanned_pdf([image]))
    assert result.verdict == "hold" and result.hold.code == "ocr_low_confidence"
    assert "1ページ目" in result.hold.message_ja


def test_a_photograph_with_no_text_read_holds():
    image = Image.effect_mandelbrot(docgen.page_pixels(), (-2.0, -1.5, 1.0, 1.5), 60)
    result = screen_document(docgen.scanned_pdf([image]))
    assert result.verdict == "hold" and result.hold.code == "ocr_low_confidence"


def test_a_blank_page_passes():
    result = screen_document(docgen.scanned_pdf([Image.new("L", docgen.page_pixels(), 255)]))
    assert result.verdict == "pass" and result.findings == [] and result.hold is None


def test_a_standard_mode_fax_is_never_passed_on_a_guess():
    """Standard mode halves the vertical resolution: kanji become unreadable, digits survive.
    A masked form is held for a person; a form with a readable phone number is blocked."""
    masked = screen_document(sample("form", "boxed", "tiff_standard", 0).data)
    assert masked.verdict == "hold" and masked.hold.code == "ocr_low_confidence"
    unmasked = screen_document(sample("form", "unmasked", "tiff_standard", 0).data)
    assert unmasked.verdict == "block" and {"phone", "my_number"} <= {f.category for f in unmasked.findings}


def test_running_out_of_time_holds():
    result = screen_document(scanned(), ScreenSettings(time_limit_seconds=0.5))
    assert result.verdict == "hold" and result.hold.code == "time_limit"


def test_a_blocked_document_still_reports_what_could_not_be_read():
    readable = docgen.text_pdf([[(20, 30, "電話 090-1234-5678", 12)]])
    with_noise = docgen.text_pdf_with_image([[(20, 30, "電話 090-1234-5678", 12)]],
                                           Image.effect_noise((400, 400), 120).point(lambda v: 0 if v < 100 else 255),
                                           (20, 60, 190, 250))
    assert screen_document(readable).verdict == "block"
    result = screen_document(with_noise)
    assert result.verdict == "block"
    assert result.hold is not None and result.hold.code == "ocr_low_confidence"


def test_no_tesseract_left_running():
    screen_document(scanned())
    assert live_children(b"tesseract") == []

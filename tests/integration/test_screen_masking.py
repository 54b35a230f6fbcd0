"""policies.screen: masking is judged on the rendered page, the way the recipient sees it.

Real documents from tests/support/docgen.py: text PDFs with black or white boxes drawn over values
(the text layer still holds them), placeholders, partial masking, a text layer that does not
cover what is drawn, and image-only pages read by OCR."""

from __future__ import annotations

import time

import pytest

from policies.ink import bilevel, looks_like_placeholders
from policies.layout import Glyph, lay_out
from policies.documents.model import DPI, Page, TextChar
from policies.screen import ScreenSettings, screen_document, screen_page
from policies.text_layer import garbled
from tests.support import docgen
from tests.support.corpus import require_ocr_and_fonts

require_ocr_and_fonts()

FORM = [
    (20, 25, "産後ケア事業 利用申請書", 16),
    (20, 45, "氏名 山田 太郎", 12),
    (20, 60, "生年月日 昭和60年1月2日", 12),
    (20, 75, "住所 東京都世田谷区池尻3-12-5", 12),
    (20, 90, "電話 090-1234-5678", 12),
    (20, 105, "既往歴 気管支喘息", 12),
]
IDENTIFIERS = {1, 2, 3, 4}


def value_rect(item: tuple, value: str, pad: float = 0.6) -> tuple[float, float, float, float]:
    """The mm box of `value` inside a text item, padded like a marker pen."""
    x, y, text, size = item
    prefix = text[: text.index(value)]
    left = docgen.text_extent_mm(x, y, prefix, size)[2] if prefix else x
    box = docgen.text_extent_mm(left, y, value, size)
    return (box[0] - pad, box[1] - pad, box[2] + pad, box[3] + pad)


def boxed(values: dict[int, str], fill=(0, 0, 0)) -> bytes:
    return docgen.text_pdf([FORM], rects=[[value_rect(FORM[i], v) for i, v in values.items()]], rect_fill=fill)


def unmasked(result) -> set[str]:
    return {f.category for f in result.findings if not f.masked}


def test_unmasked_form_is_blocked_with_each_value_located():
    result = screen_document(docgen.text_pdf([FORM]))
    assert result.verdict == "block"
    assert unmasked(result) == {"name", "birth_date", "address", "phone", "health"}
    phone = next(f for f in result.findings if f.category == "phone")
    expect = value_rect(FORM[4], "090-1234-5678", pad=0)
    assert phone.bbox[0] == pytest.approx(docgen.mm_to_px(expect[0], 204), abs=3)
    assert phone.bbox[2] == pytest.approx(docgen.mm_to_px(expect[2], 204), abs=3)
    assert phone.text == "090＊＊＊＊＊＊＊678" and phone.source == "text" and not phone.sensitive
    assert next(f for f in result.findings if f.category == "health").sensitive


def test_black_boxes_over_the_values_mask_them_though_the_text_layer_holds_them():
    values = {1: "山田 太郎", 2: "昭和60年1月2日", 3: "東京都世田谷区池尻3-12-5", 4: "090-1234-5678"}
    result = screen_document(boxed(values))
    assert result.verdict == "pass"
    masked = {f.category for f in result.findings if f.masked}
    assert masked == {"name", "birth_date", "address", "phone"}
    assert all(set(f.text) == {"＊"} for f in result.findings if f.masked), "masked values are not shown at all"
    # Sensitive data with every identifier masked identifies nobody: one more approver.
    assert unmasked(result) == {"health"} and result.extra_approvers == 1


def test_a_white_box_hides_as_well_as_a_black_one():
    values = {1: "山田 太郎", 2: "昭和60年1月2日", 3: "東京都世田谷区池尻3-12-5", 4: "090-1234-5678"}
    assert screen_document(boxed(values, fill=(255, 255, 255))).verdict == "pass"


def test_partial_masking_that_leaves_an_identifier_readable_blocks():
    result = screen_document(boxed({1: "山田 太郎", 2: "昭和60年1月2日"}))
    assert result.verdict == "block"
    assert unmasked(result) >= {"address", "phone"} and "name" not in unmasked(result)
    # Sensitive data next to a readable identifier blocks too.
    assert next(f for f in result.findings if f.category == "health").action == "block"


def test_a_box_over_the_given_name_only_leaves_the_surname_readable():
    result = screen_document(boxed({1: "太郎", 2: "昭和60年1月2日", 3: "東京都世田谷区池尻3-12-5", 4: "090-1234-5678"}))
    assert result.verdict == "block" and unmasked(result) == {"name", "health"}


def test_a_box_over_the_middle_digits_leaves_no_dialable_number():
    """090-■■■■-5678 reaches nobody; the rest of the form is masked."""
    values = {1: "山田 太郎", 2: "昭和60年1月2日", 3: "東京都世田谷区池尻3-12-5", 4: "1234-5678"}
    result = screen_document(boxed(values))
    assert result.verdict == "pass"


def test_placeholders_in_the_text_are_masked():
    starred = [FORM[0], (20, 45, "氏名 ＊＊ ＊＊", 12), (20, 60, "生年月日 ＊＊＊＊年＊＊月＊＊日", 12),
               (20, 75, "住所 東京都世田谷区●●●●●", 12), (20, 90, "電話 ×××-××××-××××", 12)]
    result = screen_document(docgen.text_pdf([starred]))
    assert result.verdict == "pass"
    assert {f.category for f in result.findings if f.masked} == {"name", "birth_date", "address"}


def test_a_page_without_a_text_layer_is_read_by_ocr():
    lines = [FORM[0], FORM[1], FORM[4]]
    result = screen_document(docgen.scanned_pdf([docgen.render_text_image(lines)]))
    assert result.verdict == "block"
    assert {(f.category, f.source) for f in result.findings} == {("name", "ocr"), ("phone", "ocr")}
    phone = next(f for f in result.findings if f.category == "phone")
    expect = value_rect(FORM[4], "090-1234-5678", pad=0)
    assert abs(phone.bbox[0] - docgen.mm_to_px(expect[0], 204)) < 15


def test_ocr_pages_with_black_bars_and_placeholders_pass():
    lines = [FORM[0], FORM[1], (20, 60, "生年月日 ＊＊＊＊年＊＊月＊＊日", 12), (20, 75, "住所 ○○○○○○○○", 12), FORM[4]]
    bars = [value_rect(FORM[1], "山田 太郎"), value_rect(FORM[4], "090-1234-5678")]
    data = docgen.fax_tiff([docgen.render_text_image(lines, boxes=bars)])
    result = screen_document(data)
    assert result.verdict == "pass", result.findings


def test_a_text_layer_that_does_not_cover_the_page_is_checked_by_ocr():
    """A form printed as text with the applicant's details pasted in as a picture."""
    form = [[(20, 20, "産後ケア事業 利用申請書", 16), (20, 40, "下記のとおり申請します。", 11)]]
    picture = docgen.render_text_image([(2, 10, "氏名 二階堂 紬", 12), (2, 22, "電話 090-2345-6789", 12)], page_mm=(120, 30))
    result = screen_document(docgen.text_pdf_with_image(form, picture, (20, 60, 140, 90)))
    assert result.verdict == "block"
    assert {(f.category, f.source) for f in result.findings} == {("name", "ocr"), ("phone", "ocr")}


def test_a_garbled_text_layer_is_not_trusted():
    """A font without a usable ToUnicode map: the text layer is private-use characters, the
    page shows a phone number. OCR reads the page instead."""
    image = docgen.render_text_image([FORM[4]])
    fake = "\ue000" * 16
    chars = [TextChar(c, 160 + 20 * i, 700, 180 + 20 * i, 730) for i, c in enumerate(fake)]
    assert garbled(fake) and not garbled("電話 090-1234-5678")
    page = Page(1, image, image.width, image.height, fake, chars, DPI["fine"])
    findings, hold = screen_page(page, ScreenSettings(), time.monotonic() + 60)
    assert hold is None and [(f.category, f.source) for f in findings] == [("phone", "ocr")]


def test_standard_mode_pages_are_judged_at_standard_resolution():
    data = docgen.text_pdf([FORM])
    result = screen_document(data, ScreenSettings(resolution="standard"))
    assert result.verdict == "block"
    phone = next(f for f in result.findings if f.category == "phone")
    assert phone.bbox[1] < docgen.page_pixels(dpi=(204, 98))[1] / 2  # in standard-resolution pixels


def test_layout_of_a_text_layer_reads_cells_and_lines():
    glyphs = [Glyph(c, (10 * i, 0, 10 * i + 10, 20)) for i, c in enumerate("氏名")]
    glyphs += [Glyph(c, (300 + 10 * i, 2, 310 + 10 * i, 22)) for i, c in enumerate("山田")]
    glyphs += [Glyph(c, (10 * i, 40, 10 * i + 10, 60)) for i, c in enumerate("住所")]
    assert lay_out(glyphs, 0.3).text == "氏名\t山田\n住所"


PLACEHOLDERS = ["＊＊ ＊＊", "●●● ●●", "○○ ○○", "×× ×××", "■■■■■", "ＸＸ ＸＸ", "※※※", "＊＊"]
NOT_PLACEHOLDERS = ["山田 太郎", "小川 川", "川口 川子", "090-1234-5678", "昭和60年1月2日", "佐々木 ミミ", "二階堂 紬"]


@pytest.mark.parametrize("dpi", [docgen.FINE_DPI, docgen.STANDARD_DPI])
def test_placeholders_are_recognised_from_the_image(dpi):
    """OCR reads ＊＊ as ネネ and ○○ as OO; the image shows one shape repeated."""
    lines = [(20, 20 + 12 * i, text, 11) for i, text in enumerate(PLACEHOLDERS + NOT_PLACEHOLDERS)]
    bw = bilevel(docgen.render_text_image(lines, dpi=dpi))
    judged = {}
    for x, y, text, size in lines:
        left, top, right, bottom = docgen.text_extent_mm(x, y, text, size)
        box = (docgen.mm_to_px(left, dpi[0]), docgen.mm_to_px(top, dpi[1]), docgen.mm_to_px(right, dpi[0]),
               docgen.mm_to_px(bottom, dpi[1]))
        judged[text] = looks_like_placeholders(bw, box)
    assert judged == {text: text in PLACEHOLDERS for text in judged}

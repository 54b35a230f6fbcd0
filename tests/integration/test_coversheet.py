"""Cover sheets (countermeasure 4 of report No. 371): the generated sheet read back the way the
recipient's machine gets it, at standard (204×98 dpi) and fine (204×196 dpi) resolution, and
the number printed on a submitted cover sheet compared with the number dialled.

Pages are rendered by faxgate's own fax-resolution loader (policies.documents.load.load_document) and
read two ways: the text layer, and the pixels. No OCR engine is installed here, so the large
fax number is read from the bilevel page image by matching each glyph against the digits of
the embedded font drawn at the same size and the same non-square resolution: the digits read
back are the digits a person at the receiving fax sees.
"""

from __future__ import annotations

import datetime as dt

import pypdfium2 as pdfium
import pytest

from gateway.services.cover_sheet import CoverSheet, render_cover_sheet
from gateway.core.coversheet import cover_number_matches, verification_code
from gateway.records.pdfdraw import Drawing
from gateway.records.config import CoverSheetConfig
from policies.documents.load import load_document
from tests.support import docgen
from tests.support.cover_reading import NUMBER_PT, NUMBER_STROKE_PX, read_digits, text_box

OFFICE = CoverSheetConfig(office_name="世田谷区 保健福祉政策部", address="東京都世田谷区世田谷4-21-27",
                          phone="03-5432-2222", fax="03-6000-1234", footer="受付時間 平日8時30分～17時15分")


def sheet(e164: str = "+81354321111", dial: str | None = "0-03-5432-1111", pages: int = 3) -> CoverSheet:
    return CoverSheet(job_id="J20250115-0007", destination_e164=e164, dial_string=dial,
                      destination_name="子ども家庭支援係", destination_organization="世田谷区",
                      sender_department="保健福祉課", sender_name="佐藤 花子", sender_contact="sato@city.example.jp",
                      document_pages=pages, content_sha256="9f" * 32, date=dt.date(2025, 1, 15))


# --- the generated sheet ------------------------------------------------------------------------


@pytest.mark.parametrize("resolution", ["standard", "fine"])
def test_cover_sheet_reads_back_at_fax_resolution(resolution):
    pdf = render_cover_sheet(sheet(), OFFICE)
    document = load_document(pdf, resolution=resolution)
    assert len(document.pages) == 1
    page = document.pages[0]
    assert page.dpi == {"standard": (204, 98), "fine": (204, 196)}[resolution]
    # A4 at fax resolution: 1728 dots across the printable width is the fax norm; A4 is 1687.
    assert page.width == 1687 and page.height == {"standard": 1146, "fine": 2292}[resolution]

    for expected in ("FAX送付票", "2025年1月15日", "世田谷区", "子ども家庭支援係　御中", "03-5432-1111",
                     "発信ダイヤル 0-03-5432-1111", "保健福祉課　佐藤 花子", "sato@city.example.jp",
                     "世田谷区 保健福祉政策部", "FAX 03-6000-1234", "4枚（本票を含む）", "J20250115-0007",
                     verification_code("J20250115-0007", "+81354321111", "9f" * 32), "受付時間"):
        assert expected in page.text, expected

    digits, heights = read_digits(page, text_box(page, "03-5432-1111"), NUMBER_PT, NUMBER_STROKE_PX)
    assert digits == "03-5432-1111"
    # Large type even at standard resolution: every digit is more than 40 scan lines tall.
    assert min(h for h, d in zip(heights, digits) if d != "-") >= {"standard": 40, "fine": 80}[resolution]


def test_every_digit_reads_back_from_pixels():
    """The other six digits, so the glyph reader is shown to tell all ten apart."""
    pdf = render_cover_sheet(sheet("+81398765432", None), OFFICE)
    page = load_document(pdf, resolution="standard").pages[0]
    assert read_digits(page, text_box(page, "03-9876-5432"), NUMBER_PT, NUMBER_STROKE_PX)[0] == "03-9876-5432"


def test_the_sheet_embeds_a_font_subset():
    pdf = render_cover_sheet(sheet(), OFFICE)
    assert b"/FontFile2" in pdf
    assert len(pdf) < 200_000  # the whole IPAex font is ~5 MB: only the glyphs used are embedded


def _jis_kanji(count: int) -> str:
    """The first `count` kanji of JIS X 0208 (all in IPAex Gothic)."""
    kanji = []
    for code in range(0x4E00, 0xA000):
        try:
            chr(code).encode("iso2022_jp")
        except UnicodeEncodeError:
            continue
        kanji.append(chr(code))
        if len(kanji) == count:
            return "".join(kanji)
    raise AssertionError("not enough JIS kanji")


def test_drawn_text_reads_back_exactly_as_written():
    """The text layer of faxgate's own PDFs, character for character: characters that share a
    glyph with others (- ~ 〜 and the spaces) and more distinct kanji than one font subset holds."""
    kanji = _jis_kanji(320)
    lines = ["FAX 03-5432-1111 ~ 〜 ～ − ‐ a b　全角", "（宛先）「子ども家庭支援係」御中、照合コード XQE6-S8JM。",
             *(kanji[at:at + 40] for at in range(0, len(kanji), 40))]
    drawing = Drawing()
    for n, line in enumerate(lines):
        drawing.text(15, 20 + 8 * n, line, 10, bold=n == 1)
    page = pdfium.PdfDocument(drawing.to_pdf())[0]
    assert page.get_textpage().get_text_range().split("\r\n") == lines

def test_verification_code():
    code = verification_code("J1", "+81354321111", "ab" * 32)
    assert len(code) == 9 and code[4] == "-"
    assert not set(code) & set("01IOL")
    assert code == verification_code("J1", "+81354321111", "ab" * 32)
    assert code != verification_code("J1", "+81354321111", "ac" * 32)
    assert code != verification_code("J1", "+81354321112", "ab" * 32)


# --- a submitted cover sheet ----------------------------------------------------------------------


def first_page(items) -> object:
    return load_document(docgen.text_pdf([items])).pages[0]


def test_our_own_sheet_submitted_matches_its_number():
    page = load_document(render_cover_sheet(sheet(), OFFICE)).pages[0]
    result = cover_number_matches(page.text, "+81354321111", dial_string="0-03-5432-1111",
                                  own_numbers=[OFFICE.fax])
    assert result.status == "match"


def test_submitted_cover_sheet_with_another_number_is_a_mismatch_naming_both():
    """The Minato City 2022 case: the form still carries an old number."""
    page = first_page([
        (20, 20, "FAX送信票", 20),
        (20, 35, "宛先：子ども家庭支援係 御中", 12),
        (20, 45, "FAX：03-5432-9999", 12),
        (20, 60, "発信元：保健福祉課 佐藤", 12),
        (20, 70, "TEL：03-5432-2222　FAX：03-6000-1234", 12),
    ])
    result = cover_number_matches(page.text, "+81354321111", dial_string="0-03-5432-1111",
                                  own_numbers=["03-6000-1234"])
    assert result.status == "mismatch"
    assert result.printed == ("03-5432-9999",)
    assert "03-5432-9999" in result.message_ja and "03-5432-1111" in result.message_ja
    assert "03-5432-9999" in result.message_en and "+81354321111" in result.message_en


def test_the_senders_own_fax_number_is_not_the_destination():
    page = first_page([
        (20, 20, "ファクス送付状", 20),
        (20, 35, "宛先：世田谷区 子ども家庭支援係 様", 12),
        (20, 50, "差出人：保健福祉課", 12),
        (20, 60, "FAX 03-5432-7777", 12),
    ])
    assert cover_number_matches(page.text, "+81354321111").status == "no_number"


def test_a_telephone_number_is_not_a_fax_number():
    page = first_page([
        (20, 20, "送付状", 20),
        (20, 35, "宛先 世田谷区 御中", 12),
        (20, 45, "TEL 03-5432-1111", 12),
        (20, 55, "FAX 03-5432-1112", 12),
    ])
    result = cover_number_matches(page.text, "+81354321111")
    assert result.status == "mismatch" and result.printed == ("03-5432-1112",)


@pytest.mark.parametrize("printed", ["ＦＡＸ：０３－５４３２－１１１１", "FAX番号 03(5432)1111", "Fax: +81 3 5432 1111",
                                     "FAX 03ー5432ー1111", "FAX 0-03-5432-1111"])
def test_common_ways_of_writing_the_number_match(printed):
    page = first_page([(20, 20, "FAX送付票", 20), (20, 35, "宛先 子ども家庭支援係 御中", 12), (20, 45, printed, 12)])
    result = cover_number_matches(page.text, "+81354321111", dial_string="0-03-5432-1111")
    assert result.status == "match", (printed, page.text, result)


def test_a_page_that_is_not_a_cover_sheet():
    page = first_page([(20, 20, "送付のご案内", 16), (20, 40, "FAX 03-5432-9999", 12)])
    assert cover_number_matches(page.text, "+81354321111").status == "not_cover"


def test_without_the_japanese_font_there_is_a_clear_error(monkeypatch):
    from gateway.records import pdfdraw

    monkeypatch.setattr(pdfdraw, "FONT_CANDIDATES", ("/nonexistent/ipaexg.ttf",))
    with pytest.raises(pdfdraw.FontMissing) as caught:
        render_cover_sheet(sheet(), OFFICE)
    assert "fonts-ipaexfont" in caught.value.message_ja and "/nonexistent/ipaexg.ttf" in str(caught.value)


def test_a_cover_sheet_read_without_confidence_is_unreadable_unless_it_shows_the_number_dialled():
    """OCR that was unsure of the page: a misread digit must neither block nor pass it."""
    read = "FAX送信票\n宛先 子ども家庭支援係 御中\nFAX 03-5432-1118"
    assert cover_number_matches(read, "+81354321111").status == "mismatch"
    unsure = cover_number_matches(read, "+81354321111", confident=False)
    assert unsure.status == "number_unreadable" and "03-5432-1111" in unsure.message_ja
    shown = cover_number_matches(read.replace("1118", "1111"), "+81354321111", confident=False)
    assert shown.status == "match"
    assert cover_number_matches("会議資料", "+81354321111", confident=False).status == "not_cover"

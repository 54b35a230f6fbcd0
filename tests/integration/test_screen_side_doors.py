"""The page as drawn, whatever the file claims and however it was scanned (issue 12, §6 and
§7): ink the text layer does not account for is read by OCR, OCR that fails quietly holds,
pages scanned upside down or sideways are turned upright before they are judged, a "none"
after a health label is no health finding, and a notice's venue is no one's address. Real
PDFs and fax TIFFs at fax resolution, real tesseract."""

from __future__ import annotations

import stat

import pytest
from PIL import Image

from policies.ocr import OcrSettings
from policies.screen import ScreenSettings, screen_document
from tests.support import docgen
from tests.support.corpus import SETTINGS, require_ocr_and_fonts

require_ocr_and_fonts()

INNOCUOUS = "会議資料を送付します。ご確認のほどよろしくお願いいたします。"
# What the picture shows, each line on a baseline of the text layer and no longer than its line.
PICTURE = [(20, 40, "患者氏名 山田 太郎", 11), (20, 52, "生年月日 昭和60年4月1日", 11),
           (20, 64, "既往歴 気管支喘息（2010年）", 11), (20, 76, "処方 吸入ステロイド 朝食後", 11)]


def test_a_full_page_picture_over_an_innocuous_text_layer_is_read_by_ocr():
    """Every stroke of the picture lies inside a box of the text layer under it: ink inside
    the boxes that the text objects did not draw is still read."""
    text_layer = [[(20, y, INNOCUOUS, 11) for _, y, _, _ in PICTURE]]
    for (x, y, shown, size) in PICTURE:
        shown_box, text_box = docgen.text_extent_mm(x, y, shown, size), docgen.text_extent_mm(x, y, INNOCUOUS, size)
        assert text_box[0] <= shown_box[0] and shown_box[2] <= text_box[2], "the attack keeps to the text boxes"
    picture = docgen.render_text_image(PICTURE)
    data = docgen.text_pdf_with_image(text_layer, picture, (0, 0, *docgen.A4_MM))
    assert screen_document(docgen.text_pdf(text_layer), SETTINGS).verdict == "pass"
    result = screen_document(data, SETTINGS)
    assert result.verdict == "block"
    assert {"name", "birth_date", "health"} <= {f.category for f in result.findings}
    assert {f.source for f in result.findings if f.category == "birth_date"} == {"ocr"}
    assert "昭和60年" in result.readings[0].text and result.readings[0].source == "text+ocr"


def test_a_text_layer_that_draws_every_stroke_needs_no_ocr():
    data = docgen.text_pdf([[(20, y, INNOCUOUS, 11) for _, y, _, _ in PICTURE]])
    result = screen_document(data, ScreenSettings(ocr=OcrSettings(command="/nonexistent/tesseract")))
    assert result.verdict == "pass" and result.readings[0].source == "text"


def _engine(tmp_path, name: str, script: str) -> str:
    engine = tmp_path / name
    engine.write_text("#!/bin/sh\ncat >/dev/null\n" + script)
    engine.chmod(engine.stat().st_mode | stat.S_IEXEC)
    return str(engine)


@pytest.mark.parametrize("name, script", [
    ("garbage", "printf 'Tesseract Open Source OCR Engine\\n\\x01\\x02 not a table\\n'\n"),
    ("nothing", "exit 0\n"),
    ("header-only", "printf 'level\\tpage_num\\tblock_num\\tpar_num\\tline_num\\tword_num\\tleft\\ttop\\twidth\\theight"
                    "\\tconf\\ttext\\n1\\t1\\t0\\t0\\t0\\t0\\t0\\t0\\t1687\\t2292\\t-1\\t\\n'\n"),
])
def test_ocr_that_exits_0_without_reading_an_inked_page_holds(tmp_path, name, script):
    """Three short lines of ink (under 1% of the page): no words from the engine is a failure,
    never an empty page."""
    page = docgen.render_text_image([(20, 40, "生年月日 昭和60年4月1日", 11), (20, 52, "電話 090-1234-5678", 11)])
    settings = ScreenSettings(ocr=OcrSettings(command=_engine(tmp_path, name, script)))
    for data in (docgen.scanned_pdf([page]), docgen.fax_tiff([page])):
        result = screen_document(data, settings)
        assert result.verdict == "hold" and result.hold.code == "ocr_failed" and result.hold.page == 1, name


def test_an_engine_reading_nothing_on_a_blank_page_is_right():
    blank = Image.new("L", docgen.page_pixels(), 255)
    blank.paste(0, (800, 1000, 803, 1003))  # a speck of dust
    assert screen_document(docgen.fax_tiff([blank])).verdict == "pass"


FORM = [(20, 25, "診療情報提供書", 15), (20, 45, "患者氏名 ＊＊ ＊＊", 11), (20, 57, "生年月日 昭和60年4月1日", 11),
        (20, 69, "住所 ＊＊＊＊＊＊＊＊", 11), (20, 81, "上記の方について、今後の在宅療養へのご支援をお願いいたします。", 10.5),
        (20, 91, "経過は良好で、現在は月に一度の通院を続けています。", 10.5)]


def _birth_date_box_px(dpi) -> tuple[float, float, float, float]:
    left, top, right, bottom = docgen.text_extent_mm(20, 57, "生年月日 昭和60年4月1日", 11)
    return (docgen.mm_to_px(left, dpi[0]), docgen.mm_to_px(top, dpi[1]), docgen.mm_to_px(right, dpi[0]),
            docgen.mm_to_px(bottom, dpi[1]))


def _overlaps(a, b) -> bool:
    return min(a[2], b[2]) > max(a[0], b[0]) and min(a[3], b[3]) > max(a[1], b[1])


def test_a_page_faxed_upside_down_is_turned_upright_and_judged():
    upright = docgen.render_text_image(FORM)
    result = screen_document(docgen.fax_tiff([upright.rotate(180)]), SETTINGS)
    assert result.verdict == "block", result
    [birth] = [f for f in result.findings if f.category == "birth_date"]
    width, height = upright.size
    left, top, right, bottom = _birth_date_box_px(docgen.FINE_DPI)
    assert _overlaps(birth.bbox, (width - right, height - bottom, width - left, height - top)), \
        "the finding is marked where it is on the page as received"
    assert "昭和60年" in result.readings[0].text


@pytest.mark.parametrize("turn", [90, 270])
def test_a_page_scanned_sideways_is_turned_upright_and_judged(turn):
    upright = docgen.render_text_image(FORM)
    sideways = upright.rotate(turn, expand=True)  # a portrait page laid on the scanner the long way
    result = screen_document(docgen.scanned_pdf([sideways], page_mm=(docgen.A4_MM[1], docgen.A4_MM[0])), SETTINGS)
    assert result.verdict == "block", result
    [birth] = [f for f in result.findings if f.category == "birth_date"]
    left, top, right, bottom = _birth_date_box_px(docgen.FINE_DPI)
    width, height = upright.size
    # Where the value went when the page was turned (PIL turns counter-clockwise).
    expected = ((top, width - right, bottom, width - left) if turn == 90
                else (height - bottom, left, height - top, right))
    page_scale = (sideways.width / docgen.page_pixels((docgen.A4_MM[1], docgen.A4_MM[0]))[0])
    expected = tuple(v / page_scale for v in expected)
    assert _overlaps(birth.bbox, expected), (birth.bbox, expected)


def test_an_upright_page_read_with_confidence_is_not_asked_its_orientation(tmp_path):
    """Orientation detection (tesseract --psm 0) runs only for pages OCR could not read."""
    log = tmp_path / "calls"
    engine = tmp_path / "logging-tesseract"
    engine.write_text(f'#!/bin/sh\necho "$@" >> {log}\nexec tesseract "$@"\n')
    engine.chmod(engine.stat().st_mode | stat.S_IEXEC)
    result = screen_document(docgen.fax_tiff([docgen.render_text_image(FORM)]),
                             ScreenSettings(ocr=OcrSettings(command=str(engine))))
    assert result.verdict == "block"
    assert "--psm 0" not in log.read_text() and log.read_text().count("\n") == 1


@pytest.mark.parametrize("answer", ["なし", "特になし", "特記事項なし", "無", "ありません"])
@pytest.mark.parametrize("medium", ["text_pdf", "tiff_fine"])
def test_none_after_a_health_label_is_no_health_finding(answer, medium):
    lines = [(20, 25, "連絡票", 15), (20, 45, "氏名 ＊＊ ＊＊", 11), (20, 57, f"既往歴：{answer}", 11),
             (20, 69, f"アレルギー {answer}", 11), (20, 81, "服薬 なし", 11)]
    data = docgen.text_pdf([lines]) if medium == "text_pdf" else docgen.fax_tiff([docgen.render_text_image(lines)])
    result = screen_document(data, SETTINGS)
    assert not [f for f in result.findings if f.category == "health"], result.findings
    assert result.verdict == "pass" and result.extra_approvers == 0
    told = screen_document(docgen.text_pdf([lines[:2] + [(20, 57, "既往歴：気管支喘息", 11)]]), SETTINGS)
    assert [f.category for f in told.findings if f.category == "health"] == ["health"]


VENUES = [
    "会場：世田谷区民会館（世田谷区世田谷4-21-27）",
    "場所 北沢タウンホール 世田谷区北沢2-8-18",
    "会場 区立中央図書館 世田谷区弦巻3-16-8",
    "会場 東京都世田谷区太子堂2-16-7 三軒茶屋分庁舎",
    "会場：駒沢オリンピック公園 東京都世田谷区駒沢公園1-1",
]


@pytest.mark.parametrize("medium", ["text_pdf", "tiff_fine"])
def test_a_notice_with_public_venues_is_clean(medium):
    lines = [(20, 25, "乳幼児健診のお知らせ", 15), (20, 40, "下記の日程で健診を実施します。", 11)]
    lines += [(20, 55 + 10 * i, venue, 11) for i, venue in enumerate(VENUES)]
    lines += [(20, 120, "問合せ 世田谷保健所 健康推進課 03-5432-2441", 11)]
    data = docgen.text_pdf([lines]) if medium == "text_pdf" else docgen.fax_tiff([docgen.render_text_image(lines)])
    result = screen_document(data, SETTINGS)
    assert result.verdict == "pass" and result.findings == [], result.findings
    home = screen_document(docgen.text_pdf([[(20, 25, "訪問記録", 15), (20, 40, "氏名 山田 太郎", 11),
                                              (20, 52, "住所 世田谷区北沢2-8-18", 11)]]), SETTINGS)
    assert "address" in {f.category for f in home.findings}, "a resident's address is still found"

"""policies.documents: untrusted PDFs and TIFFs become pages at fax resolution, safely.

Every document here is real (tests/support/docgen.py): PDFs with IPAex Gothic embedded and a text
layer, image-only PDFs, G3/G4 fax TIFFs, and bad inputs that really are bad."""

from __future__ import annotations

import os
import threading
import time
import unicodedata

import pytest
from PIL import Image

from policies.documents import load, model
from policies.documents.load import load_document
from policies.documents.model import DocumentUnreadable, PageLimits, TextChar
from policies.documents.sniff import pdf_is_encrypted, sniff
from tests.support import docgen
from tests.support.processes import live_parsers


if docgen.font_path() is None:
    if os.environ.get("CI"):
        pytest.fail("IPAex Gothic is not installed; .ci/run must apt-get install fonts-ipaexfont", pytrace=False)
    pytest.skip("IPAex Gothic not installed (apt-get install fonts-ipaexfont)", allow_module_level=True)

A4_FINE = docgen.page_pixels(docgen.A4_MM, (204, 196))  # (1687, 2292)
A4_STANDARD = docgen.page_pixels(docgen.A4_MM, (204, 98))  # (1687, 1146)

PAGE_1 = [
    (20, 30, "申請書 ABC-123", 16),
    (20, 50, "氏名 山田 太郎", 12),
    (20, 65, "生年月日 昭和60年1月2日", 12),
    (20, 80, "電話 090-1234-5678", 12),
]
PAGE_2 = [(25, 40, "住所 東京都千代田区霞が関1丁目2番3号", 11), (25, 120, "様式第2号 (第3条関係)", 10)]
PAGE_3 = [(30, 250, "ページ3 ｶﾀｶﾅ ＡＢＣ １２３", 12)]
TEXT_PAGES = [PAGE_1, PAGE_2, PAGE_3]


@pytest.fixture(scope="module")
def text_pdf() -> bytes:
    return docgen.text_pdf(TEXT_PAGES)


@pytest.fixture(scope="module")
def loaded(text_pdf) -> model.Document:
    return load_document(text_pdf)


def _run(page: model.Page, text: str) -> list[TextChar]:
    start = page.text.index(text)
    return page.chars[start : start + len(text)]


def _boxes(page: model.Page, chars: list[TextChar]) -> list:
    """The histograms of the characters' boxes (shrunk by 1 px against anti-aliasing)."""
    found = []
    for ch in chars:
        box = (int(ch.left) + 1, int(ch.top) + 1, int(ch.right) - 1, int(ch.bottom) - 1)
        if box[2] > box[0] and box[3] > box[1]:
            found.append(page.image.crop(box).histogram())
    return found


def _histogram(images_or_histograms) -> list[int]:
    total = [0] * 256
    for item in images_or_histograms:
        for value, count in enumerate(item if isinstance(item, list) else item.histogram()):
            total[value] += count
    return total


def darkest(*items) -> int:
    return next(v for v, n in enumerate(_histogram(items)) if n)


def lightest(*items) -> int:
    return 255 - next(v for v, n in enumerate(reversed(_histogram(items))) if n)


def mean(*items) -> float:
    histogram = _histogram(items)
    return sum(v * n for v, n in enumerate(histogram)) / sum(histogram)


def ink(image) -> int:
    """Pixels darker than mid-grey."""
    return sum(image.convert("L").histogram()[:128])


def _our_children() -> list[int]:
    """PIDs of this process's living parser processes."""
    return live_parsers()


# --- PDFs with a text layer ------------------------------------------------------------------


def test_text_pdf_pages_are_rendered_at_fine_fax_resolution(loaded):
    assert loaded.kind == "pdf"
    assert [p.number for p in loaded.pages] == [1, 2, 3]
    # A4 210×297 mm at 204×196 dpi: 1686.6 × 2291.8 px
    assert A4_FINE == (1687, 2292)
    for page in loaded.pages:
        assert (page.width, page.height) == A4_FINE
        assert page.image.size == A4_FINE
        assert page.image.mode == "L"
        assert page.dpi == (204, 196)
        assert darkest(page.image) < 50  # something is drawn


def test_standard_resolution_halves_the_height(text_pdf):
    document = load_document(text_pdf, resolution="standard")
    assert A4_STANDARD == (1687, 1146)
    assert [(p.width, p.height) for p in document.pages] == [A4_STANDARD] * 3
    assert document.pages[0].dpi == (204, 98)
    assert document.resolution == "standard"


def test_b4_page_and_a_rotated_page_keep_text_and_ink_together():
    """B4 (Japanese offices' other paper size: 2064 px wide, a row needs no padding) and a
    page with /Rotate 90 (landscape on the fax): boxes still sit on the drawn glyphs."""
    import io

    import pypdfium2 as pdfium

    b4 = docgen.text_pdf([PAGE_1], page_mm=(257, 364))
    rotated = pdfium.PdfDocument(docgen.text_pdf([PAGE_1]))
    rotated[0].set_rotation(90)
    buffer = io.BytesIO()
    rotated.save(buffer)
    rotated.close()
    for data, size in ((b4, (2064, 2809)), (buffer.getvalue(), (2385, 1620))):
        page = load_document(data).pages[0]
        assert (page.width, page.height) == size
        run = _run(page, "山田 太郎")
        box = (min(c.left for c in run), min(c.top for c in run), max(c.right for c in run), max(c.bottom for c in run))
        assert darkest(*_boxes(page, run)) < 60
        assert ink(page.image.crop(tuple(int(v) for v in box))) > 300


def test_unknown_resolution_is_refused(text_pdf):
    with pytest.raises(ValueError):
        load_document(text_pdf, resolution="superfine")


def test_text_layer_reads_back_exactly_what_was_written(loaded):
    for page, items in zip(loaded.pages, TEXT_PAGES):
        assert page.text.split("\r\n") == [text for _, _, text, _ in items]
        assert page.text == "".join(ch.char for ch in page.chars)
    assert "山田 太郎" in loaded.pages[0].text
    assert "ｶﾀｶﾅ ＡＢＣ １２３" in loaded.pages[2].text  # no normalisation: that is the recognizers' job


@pytest.mark.parametrize("page_index, item_index", [(0, 1), (0, 3), (1, 0), (2, 0)])
def test_character_boxes_sit_where_the_text_was_drawn(loaded, page_index, item_index):
    page = loaded.pages[page_index]
    x_mm, y_mm, text, size = TEXT_PAGES[page_index][item_index]
    run = _run(page, text)
    left, top, right, bottom = docgen.text_extent_mm(x_mm, y_mm, text, size)
    expect = (
        docgen.mm_to_px(left, 204),
        docgen.mm_to_px(top, 196),
        docgen.mm_to_px(right, 204),
        docgen.mm_to_px(bottom, 196),
    )
    got = (min(c.left for c in run), min(c.top for c in run), max(c.right for c in run), max(c.bottom for c in run))
    for g, e in zip(got, expect):
        assert abs(g - e) <= 3, (got, expect)
    # Each box is inside the previous one's right edge and in reading order.
    for a, b in zip(run, run[1:]):
        assert b.left >= a.left and abs(b.left - a.right) <= 2
    # The ink is inside the boxes: dark pixels within, a white margin just above and below.
    assert darkest(*_boxes(page, run)) < 60
    margin_above = page.image.crop((int(got[0]), int(got[1]) - 12, int(got[2]), int(got[1]) - 4))
    margin_below = page.image.crop((int(got[0]), int(got[3]) + 4, int(got[2]), int(got[3]) + 12))
    assert darkest(margin_above) > 200 and darkest(margin_below) > 200


def test_a_black_box_over_text_keeps_the_text_layer_but_blacks_out_its_pixels():
    pdf = docgen.boxed_pdf([PAGE_1], covered={(0, 1), (0, 3)})
    page = load_document(pdf).pages[0]
    assert "氏名 山田 太郎" in page.text and "電話 090-1234-5678" in page.text
    masked = _boxes(page, _run(page, "山田 太郎")) + _boxes(page, _run(page, "090-1234-5678"))
    visible = _boxes(page, _run(page, "生年月日 昭和60年1月2日"))
    assert len(masked) == len("山田太郎090-1234-5678") + 1  # every character has a box (the space too)
    for box in masked:
        assert lightest(box) < 30  # solid black under every character box
    assert mean(*masked) < 5
    assert lightest(*visible) > 200 and darkest(*visible) < 60  # strokes and paper: readable


def test_a_white_box_over_text_leaves_nothing_visible():
    pdf = docgen.boxed_pdf([PAGE_1], covered={(0, 3)}, fill=(255, 255, 255))
    page = load_document(pdf).pages[0]
    assert "090-1234-5678" in page.text
    assert darkest(*_boxes(page, _run(page, "090-1234-5678"))) > 240


def test_a_rendered_page_shows_the_japanese_glyphs_not_empty_boxes(loaded, tmp_path):
    """The embedded font is used: each kanji has its own distinct shape (tofu would all be
    identical rectangles, a missing font would leave the area white)."""
    page = loaded.pages[0]
    shapes = set()
    for ch in _run(page, "山田"):
        crop = page.image.crop((int(ch.left), int(ch.top), int(ch.right), int(ch.bottom)))
        assert darkest(crop) < 60
        shapes.add(crop.point(lambda v: 0 if v < 128 else 1).tobytes())
    assert len(shapes) == 2
    page.image.save(tmp_path / "page1.png")  # for a person to look at when in doubt


# --- image-only PDFs and fax TIFFs ---------------------------------------------------------


def test_scanned_pdf_has_no_text_layer_but_shows_the_text():
    image = docgen.render_text_image(PAGE_1)
    page = load_document(docgen.scanned_pdf([image, image])).pages[0]
    assert page.text is None and page.chars is None
    assert (page.width, page.height) == A4_FINE
    x0, y0 = docgen.mm_to_px(20, 204), docgen.mm_to_px(50, 196)
    assert darkest(page.image.crop((int(x0), int(y0) - 30, int(x0) + 200, int(y0) + 5))) < 60


@pytest.mark.parametrize("compression", ["group4", "group3"])
def test_multipage_fax_tiff(compression):
    images = [docgen.render_text_image(items) for items in TEXT_PAGES]
    data = docgen.fax_tiff(images, compression=compression)
    assert sniff(data) == "tiff"
    document = load_document(data)
    assert document.kind == "tiff"
    assert len(document.pages) == 3
    for page, source in zip(document.pages, images):
        assert (page.width, page.height) == A4_FINE == source.size
        assert page.text is None and page.chars is None
        assert page.image.mode == "L"
        # Same picture, black on white (fax polarity decoded right).
        assert ink(source) > 500 and abs(ink(page.image) - ink(source)) <= ink(source) * 0.05


def test_standard_resolution_tiff_is_scaled_to_the_requested_resolution():
    image = docgen.render_text_image(PAGE_1, dpi=(204, 98))
    data = docgen.fax_tiff([image], dpi=(204, 98))
    assert load_document(data, resolution="standard").pages[0].image.size == A4_STANDARD
    assert load_document(data, resolution="fine").pages[0].image.size == A4_FINE


# --- bad inputs ----------------------------------------------------------------------------

BAD = {
    "encrypted": (lambda: docgen.encrypted_pdf(), "encrypted"),
    "eps renamed .tif": (lambda: docgen.eps_renamed(), "not_pdf_or_tiff"),
    "DOS EPS with a TIFF preview": (lambda: docgen.eps_renamed(binary=True), "not_pdf_or_tiff"),
    "plain text": (lambda: "氏名 山田太郎".encode(), "not_pdf_or_tiff"),
    "empty": (lambda: b"", "not_pdf_or_tiff"),
    "truncated TIFF": (lambda: docgen.truncated_tiff(), "broken"),
    "TIFF with a short strip": (lambda: docgen.truncated_strip_tiff(), "broken"),
    "corrupt PDF": (lambda: docgen.corrupt_pdf(), "broken"),
    "TIFF claiming 100000x100000": (lambda: docgen.huge_tiff_header(), "too_many_pixels"),
    "5 m x 5 m PDF page": (lambda: docgen.huge_page_pdf(), "too_many_pixels"),
    "1.6 Gpx image in a PDF": (lambda: docgen.image_bomb_pdf(), "too_many_pixels"),
    "5000-page PDF": (lambda: docgen.many_pages_pdf(5000), "too_many_pages"),
}


@pytest.mark.parametrize("name", list(BAD))
def test_bad_input_gives_its_code(name):
    make, code = BAD[name]
    started = time.monotonic()
    with pytest.raises(DocumentUnreadable) as caught:
        load_document(make())
    assert caught.value.code == code, caught.value
    assert caught.value.message_ja and caught.value.message_en
    assert time.monotonic() - started < 5  # rejected early, nothing big decoded


def test_too_many_tiff_pages():
    image = docgen.render_text_image(PAGE_3)
    with pytest.raises(DocumentUnreadable) as caught:
        load_document(docgen.fax_tiff([image] * 3), PageLimits(max_pages=2))
    assert caught.value.code == "too_many_pages"
    assert "3ページ、上限2ページ" in caught.value.message_ja


def test_limits_are_checked():
    with pytest.raises(ValueError):
        PageLimits(max_pages=0)
    with pytest.raises(ValueError):
        PageLimits(timeout_seconds=float("inf"))


def test_messages_are_specific_and_plain():
    err = DocumentUnreadable("too_many_pages", pages=5000, limit=50)
    assert err.message_ja == "ページ数が多すぎます（5000ページ、上限50ページ）。文書を分けて送り直してください。"
    assert "5000" in err.message_en and "50" in err.message_en
    assert DocumentUnreadable("encrypted").message_ja == (
        "PDFにパスワードが設定されているため内容を確認できません。パスワードを外して送り直してください。"
    )
    for code in model.CODES:
        err = DocumentUnreadable(code)  # without facts: a general sentence, no {placeholders}
        assert "{" not in err.message_ja + err.message_en
        assert err.message_ja.endswith("。") and err.message_en.endswith(".")
    with pytest.raises(ValueError):
        DocumentUnreadable("something_else")


# --- the separate process: timeouts, crashes, memory ---------------------------------------


def test_a_hanging_parser_is_killed_and_reported_as_timeout(text_pdf):
    started = time.monotonic()
    with pytest.raises(DocumentUnreadable) as caught:
        load._load(text_pdf, PageLimits(timeout_seconds=0.5), "fine", fault="hang")
    assert caught.value.code == "timeout"
    assert "0.5" in caught.value.message_ja
    assert time.monotonic() - started < 3
    assert _our_children() == []


def test_a_real_document_slower_than_the_limit_times_out():
    fifty = docgen.text_pdf([[(20, 20 + 5 * i, f"{i}行目 山田太郎", 10) for i in range(40)]] * 50)
    with pytest.raises(DocumentUnreadable) as caught:
        load_document(fifty, PageLimits(timeout_seconds=0.1))
    assert caught.value.code == "timeout"
    assert _our_children() == []


def test_a_crashing_parser_is_reported_and_the_parent_carries_on(text_pdf):
    with pytest.raises(DocumentUnreadable) as caught:
        load._load(text_pdf, PageLimits(), "fine", fault="segfault")
    assert caught.value.code == "crashed"
    assert "SIGSEGV" in caught.value.detail
    assert len(load_document(text_pdf).pages) == 3  # and the next document loads fine


def test_a_parser_out_of_memory_is_reported(text_pdf):
    with pytest.raises(DocumentUnreadable) as caught:
        load._load(text_pdf, PageLimits(memory_mb=256), "fine", fault="memory")
    assert caught.value.code == "too_many_pixels"


def test_the_memory_limit_really_applies_to_the_parser():
    # A 3000×5000 px page (15 Mpx, within the pixel limit) needs ~100 MB to decode and convert.
    data = docgen.fax_tiff([Image.new("L", (3000, 5000), 255)])
    with pytest.raises(DocumentUnreadable) as caught:
        load_document(data, PageLimits(memory_mb=64))
    assert caught.value.code == "too_many_pixels"
    assert load_document(data, PageLimits(memory_mb=256)).pages[0].image.size == (3000, 5000)


def test_a_parser_that_cannot_even_start_is_reported_as_crashed(text_pdf):
    with pytest.raises(DocumentUnreadable) as caught:
        load_document(text_pdf, PageLimits(memory_mb=16))
    assert caught.value.code == "crashed"


def test_garbage_from_the_parser_is_not_trusted(text_pdf):
    with pytest.raises(DocumentUnreadable) as caught:
        load._load(text_pdf, PageLimits(), "fine", fault="garbage")
    assert caught.value.code == "crashed"


def test_documents_load_concurrently_from_threads(text_pdf):
    tiff = docgen.fax_tiff([docgen.render_text_image(PAGE_1)] * 2)
    results = {}

    def work(name, data):
        results[name] = [p.text for p in load_document(data).pages]

    threads = [threading.Thread(target=work, args=(n, d)) for n, d in (("pdf", text_pdf), ("tiff", tiff))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(results["pdf"]) == 3 and results["tiff"] == [None, None]


# --- cheap checks at SMTP time -------------------------------------------------------------


def test_sniff(text_pdf):
    assert sniff(text_pdf) == "pdf"
    assert sniff(b"\r\n\r\n" + text_pdf) == "pdf"  # junk before the header, as readers accept
    assert sniff(docgen.fax_tiff([docgen.render_text_image(PAGE_3)])) == "tiff"
    assert sniff(b"MM\x00*\x00\x00\x00\x08") == "tiff"
    assert sniff(docgen.eps_renamed()) is None
    assert sniff(docgen.eps_renamed(binary=True)) is None
    assert sniff(b"%!PS-Adobe-3.0\n") is None
    assert sniff(b"\x89PNG\r\n\x1a\n") is None
    assert sniff(b"") is None


def test_pdf_is_encrypted(text_pdf):
    encrypted = docgen.encrypted_pdf()
    assert pdf_is_encrypted(encrypted) is True
    # the key spelled with a #-escape is the same name to every reader
    assert pdf_is_encrypted(encrypted.replace(b"/Encrypt 6 0 R", b"/Encr#79pt 6 0 R")) is True
    assert pdf_is_encrypted(docgen.permissions_only_pdf()) is False  # opens without a password
    assert pdf_is_encrypted(text_pdf) is False
    assert pdf_is_encrypted(docgen.corrupt_pdf()) is False
    assert pdf_is_encrypted(docgen.fax_tiff([docgen.render_text_image(PAGE_3)])) is False
    assert pdf_is_encrypted(docgen.eps_renamed()) is False


def test_pdf_is_encrypted_is_fast(text_pdf):
    encrypted = docgen.encrypted_pdf()
    pdf_is_encrypted(encrypted)  # PDFium imported once per process
    for data in (encrypted, text_pdf):  # text_pdf: 4 MB with the whole font embedded
        started = time.perf_counter()
        for _ in range(10):
            pdf_is_encrypted(data)
        assert (time.perf_counter() - started) / 10 < 0.020


def test_permissions_only_pdf_loads(text_pdf):
    page = load_document(docgen.permissions_only_pdf()).pages[0]
    assert page.text == "Open 456"


def test_encrypted_pdf_is_really_encrypted():
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    data = docgen.encrypted_pdf(user_password="secret", text="Secret 123")
    assert b"Secret 123" not in data
    with pytest.raises(pdfium.PdfiumError) as caught:
        pdfium.PdfDocument(data)
    assert caught.value.err_code == pdfium_c.FPDF_ERR_PASSWORD
    pdf = pdfium.PdfDocument(data, password="secret")
    assert pdf[0].get_textpage().get_text_range() == "Secret 123"
    pdf.close()


def test_generated_text_survives_nfkc_for_recognizers(loaded):
    """The text layer is what was written; later stages normalise it themselves."""
    text = unicodedata.normalize("NFKC", loaded.pages[2].text)
    assert "カタカナ ABC 123" in text

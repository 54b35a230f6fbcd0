"""Where the text layer accounts for a page's ink, the parser child says so and the page drawn
from its text objects never crosses to the parent (issue 18): a page drawn by text objects
alone is not even drawn a second time; on any other page the child's bounds
(policies.text_layer.accounted_for) answer for text beside ruled lines, bars and text in form
XObjects, and a picture or a filled-in form field still goes to the exact count and to OCR."""

import io

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from PIL import Image
from reportlab.pdfgen.canvas import Canvas

from policies.documents.load import load_document
from policies.documents.model import DPI, PageLimits
from policies.documents.render_pdf import _text_objects_only
from policies.screen import screen_document
from tests.support import docgen

LINES = [(20, 30, "申請書", 14), (20, 45, "生年月日 昭和60年4月1日", 11), (20, 55, "電話 090-1234-5678", 11)]


def _page(data: bytes):
    (page,) = load_document(data, PageLimits(), "fine").pages
    return page


def test_a_page_of_text_objects_alone_is_rendered_once_and_still_screened():
    data = docgen.text_pdf([LINES])
    page = _page(data)
    assert page.text_accounts_for_ink and page.text_image is None
    result = screen_document(data)
    assert result.verdict == "block" and {f.category for f in result.findings} >= {"birth_date", "phone"}
    assert all(f.source == "text" for f in result.findings)  # no OCR: the text layer is the page


def test_the_page_drawn_from_its_text_objects_is_then_the_page_itself():
    data = docgen.text_pdf([LINES])
    page = _page(data)
    pdf = pdfium.PdfDocument(data)
    drawn = _text_objects_only(pdfium, pdfium_c, pdf[0], page.width, page.height)
    assert drawn.tobytes() == page.image.tobytes()


def _with_form_xobject() -> bytes:
    out = io.BytesIO()
    canvas = Canvas(out, initialFontName=docgen.font_name())
    canvas.beginForm("stamp")
    canvas.setFont(docgen.font_name(), 11)
    canvas.drawString(60, 700, "電話 090-1234-5678")
    canvas.endForm()
    canvas.doForm("stamp")
    canvas.showPage()
    canvas.save()
    return out.getvalue()


def _with_form_field() -> bytes:
    out = io.BytesIO()
    canvas = Canvas(out, initialFontName=docgen.font_name())
    canvas.setFont(docgen.font_name(), 11)
    canvas.drawString(60, 760, "申請書")
    canvas.acroForm.textfield(name="phone", value="090-1234-5678", x=60, y=700, width=200, height=20,
                              borderWidth=0, fontName="Helvetica")
    canvas.showPage()
    canvas.save()
    return out.getvalue()


def test_rules_bars_and_text_in_a_form_xobject_are_accounted_for_by_the_bounds():
    for what, data in {"a ruled line": docgen.text_pdf([LINES], rects=[[(20, 60, 150, 60.4)]]),
                       "a bar": docgen.text_pdf([LINES], rects=[[(20, 60, 150, 70)]]),
                       "a form XObject": _with_form_xobject()}.items():
        page = _page(data)
        assert page.text_accounts_for_ink and page.text_image is None, what
        assert screen_document(data).readings[0].source == "text", what


def test_a_picture_or_a_filled_in_form_field_goes_to_the_exact_count_and_ocr():
    picture = docgen.render_text_image([(2, 10, "氏名 二階堂 紬", 12)], page_mm=(120, 20))
    for what, data in {"a picture": docgen.text_pdf_with_image([LINES], picture, (20, 70, 140, 82)),
                       "a form field": _with_form_field()}.items():
        page = _page(data)
        assert not page.text_accounts_for_ink and page.text_image is not None, what
        assert screen_document(data).readings[0].source == "text+ocr", what  # what the text layer lacks is read


def test_a_page_without_a_text_layer_is_never_accounted_for():
    page = _page(docgen.scanned_pdf([Image.new("L", (400, 560), 255)]))
    assert page.text is None and not page.text_accounts_for_ink
    assert page.dpi == DPI["fine"]

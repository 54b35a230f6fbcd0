"""PDF pages at fax resolution, rendered by PDFium in the sandbox child (never in the parent).

Every page is drawn as the recipient's fax would print it (form fields filled in, annotations
not marked for printing left out) as an 8-bit grey image, and its text layer extracted with a
box per character in page-image pixels. Needs pypdfium2 (PDFium, BSD/Apache); no AGPL code.
"""

from __future__ import annotations

import array
import math
from collections.abc import Iterator

from PIL import Image

from policies.documents.model import DocumentUnreadable, PageLimits, RenderedPage
from policies.ink import packed_bits
from policies.text_layer import accounted_for

__all__ = ["MAX_CHARS_PER_PAGE", "render"]

_PT_PER_INCH = 72.0
MAX_CHARS_PER_PAGE = 200_000  # ~10× a dense A4 page in 6 pt type


def _pixels(points: float, dpi: int) -> int:
    return max(1, round(points * dpi / _PT_PER_INCH))


def render(data: bytes, limits: PageLimits, dpi: tuple[int, int]) -> Iterator[RenderedPage]:
    """In the sandbox child: the PDF's pages at `dpi`, one by one, each checked against `limits`
    before it is rendered. A page's image is only good until the next page is asked for (pages
    of one size are drawn into the same memory: a fresh child pays a page fault for every 4 KB
    it touches the first time). Raises DocumentUnreadable."""
    import ctypes

    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        if getattr(exc, "err_code", None) in (pdfium_c.FPDF_ERR_PASSWORD, pdfium_c.FPDF_ERR_SECURITY):
            raise DocumentUnreadable("encrypted", str(exc)) from None
        raise DocumentUnreadable("broken", str(exc)) from None
    count = len(pdf)
    if count > limits.max_pages:
        raise DocumentUnreadable("too_many_pages", f"{count} pages", pages=count, limit=limits.max_pages)
    if count < 1:
        raise DocumentUnreadable("broken", "no pages")
    # Every page's size from its dictionary (rotation applied), before anything is rendered.
    sizes = []
    for index in range(count):
        width_pt, height_pt = pdf.get_page_size(index)
        if not (width_pt > 0 and height_pt > 0 and math.isfinite(width_pt * height_pt)):
            raise DocumentUnreadable("broken", f"page {index + 1} has no usable size")
        width, height = _pixels(width_pt, dpi[0]), _pixels(height_pt, dpi[1])
        if width * height > limits.max_pixels_per_page:
            raise DocumentUnreadable("too_many_pixels", f"page {index + 1}: {width}x{height} px", page=index + 1)
        sizes.append((width, height))
    try:
        pdf.init_forms()  # filled-in form fields are drawn as the recipient would see them
    except pdfium.PdfiumError:
        pass
    # Printing semantics: annotations marked not to print do not reach the fax.
    flags = pdfium_c.FPDF_ANNOT | pdfium_c.FPDF_PRINTING
    out_x, out_y = ctypes.c_int(), ctypes.c_int()
    rect = pdfium_c.FS_RECTF()
    buffers: dict = {}
    get_unicode = pdfium_c.FPDFText_GetUnicode
    get_box = pdfium_c.FPDFText_GetLooseCharBox
    for index, (width, height) in enumerate(sizes):
        page = pdf[index]
        largest, text_alone = _objects(pdfium_c, page)
        text_alone = text_alone and pdfium_c.FPDFPage_GetAnnotCount(page) == 0  # form fields are annotations
        if largest > limits.max_image_pixels:
            raise DocumentUnreadable("too_many_pixels", f"page {index + 1}: an image of {largest} px", page=index + 1)
        bitmap = pdfium.PdfBitmap.new_native(width, height, pdfium_c.FPDFBitmap_Gray,
                                             buffer=_buffer(buffers, "page", width, height))
        bitmap.fill_rect((255, 255, 255, 255), 0, 0, width, height)
        # size_x/size_y stretch the page onto the bitmap: separate x and y resolution.
        pdfium_c.FPDF_RenderPageBitmap(bitmap, page, 0, 0, width, height, 0, flags)
        if pdf.formenv:
            pdfium_c.FPDF_FFLDraw(pdf.formenv, bitmap, page, 0, 0, width, height, 0, flags)
        if bitmap.stride == width:
            image = bitmap.buffer
        else:
            image = Image.frombuffer("L", (width, height), bytes(bitmap.buffer), "raw", "L", bitmap.stride, 1).tobytes()

        # Page space → bitmap pixels is affine; measure it once per page from PDFium itself.
        def device(x: float, y: float) -> tuple[int, int]:
            pdfium_c.FPDF_PageToDevice(page, 0, 0, width, height, 0, x, y, out_x, out_y)
            return out_x.value, out_y.value

        probe = 100000.0
        ox, oy = device(0.0, 0.0)
        ax, ay = device(probe, 0.0)
        bx, by = device(0.0, probe)
        a, b, c, d = (ax - ox) / probe, (ay - oy) / probe, (bx - ox) / probe, (by - oy) / probe

        textpage = page.get_textpage()
        n_chars = textpage.count_chars()
        if n_chars > MAX_CHARS_PER_PAGE:
            raise DocumentUnreadable("broken", f"page {index + 1}: a text layer of {n_chars} characters")
        chars = None
        if n_chars > 0:
            codes = []
            boxes = array.array("f", bytes(16 * n_chars))
            for i in range(n_chars):
                code = get_unicode(textpage, i)
                if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
                    code = 0xFFFD
                codes.append(code)
                if get_box(textpage, i, rect):
                    x0 = a * rect.left + c * rect.bottom + ox
                    x1 = a * rect.right + c * rect.top + ox
                    y0 = b * rect.left + d * rect.bottom + oy
                    y1 = b * rect.right + d * rect.top + oy
                    boxes[4 * i : 4 * i + 4] = array.array("f", (min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)))
            chars = ("".join(map(chr, codes)), boxes)
        textpage.close()
        text_image, accounted = None, chars is not None and text_alone  # then the page is its text objects' drawing
        if chars is not None and not text_alone:
            drawn = _text_objects_only(pdfium, pdfium_c, page, width, height, _buffer(buffers, "text", width, height))
            accounted = accounted_for(Image.frombuffer("L", (width, height), image, "raw", "L", 0, 1), drawn)
            if not accounted:  # the parent counts exactly
                text_image = packed_bits(drawn)
        yield RenderedPage(index + 1, width, height, image, chars, text_image, accounted)
        del image
        bitmap.close()
        page.close()
    pdf.close()


def _buffer(buffers: dict, use: str, width: int, height: int):
    """The memory a `use` ('page', 'text') bitmap of this size is drawn into, kept for the next page."""
    import ctypes

    if buffers.get(use) is None or len(buffers[use]) != width * height:
        buffers[use] = (ctypes.c_ubyte * (width * height))()
    return buffers[use]


def _text_objects_only(pdfium, pdfium_c, page, width: int, height: int, buffer=None) -> Image.Image:
    """The page rendered again from its text objects alone, everything else removed (images,
    paths, annotations, form fields; also inside form XObjects), grey, in `buffer` when given:
    what the text layer accounts for. Called after the full rendering and text extraction."""

    def strip(count: int, get, remove) -> None:
        for i in reversed(range(count)):
            obj = get(i)
            kind = pdfium_c.FPDFPageObj_GetType(obj)
            if kind == pdfium_c.FPDF_PAGEOBJ_TEXT:
                continue
            if kind == pdfium_c.FPDF_PAGEOBJ_FORM:
                strip(pdfium_c.FPDFFormObj_CountObjects(obj), lambda j, form=obj: pdfium_c.FPDFFormObj_GetObject(form, j),
                      lambda inner, form=obj: pdfium_c.FPDFFormObj_RemoveObject(form, inner))
                continue
            if remove(obj):
                pdfium_c.FPDFPageObj_Destroy(obj)

    strip(pdfium_c.FPDFPage_CountObjects(page), lambda i: pdfium_c.FPDFPage_GetObject(page, i),
          lambda obj: pdfium_c.FPDFPage_RemoveObject(page, obj))
    bitmap = pdfium.PdfBitmap.new_native(width, height, pdfium_c.FPDFBitmap_Gray, buffer=buffer)
    bitmap.fill_rect((255, 255, 255, 255), 0, 0, width, height)
    pdfium_c.FPDF_RenderPageBitmap(bitmap, page, 0, 0, width, height, 0, pdfium_c.FPDF_PRINTING)
    gray = Image.frombuffer("L", (width, height), bitmap.buffer, "raw", "L", bitmap.stride, 1)  # keeps the buffer
    bitmap.close()
    return gray


def _objects(pdfium_c, page) -> tuple[int, bool]:
    """The pixel count of the largest image on the page, form XObjects included, from the
    image dictionaries alone (nothing decoded); and whether every object on the page is a
    text object (then the page drawn from its text objects alone is the page itself)."""
    import ctypes

    width, height = ctypes.c_uint(), ctypes.c_uint()
    largest = 0
    text_alone = True
    pending = [(pdfium_c.FPDFPage_CountObjects(page), lambda i: pdfium_c.FPDFPage_GetObject(page, i), 0)]
    while pending:
        count, get, depth = pending.pop()
        for i in range(count):
            obj = get(i)
            kind = pdfium_c.FPDFPageObj_GetType(obj)
            text_alone = text_alone and kind == pdfium_c.FPDF_PAGEOBJ_TEXT
            if kind == pdfium_c.FPDF_PAGEOBJ_IMAGE:
                if pdfium_c.FPDFImageObj_GetImagePixelSize(obj, width, height):
                    largest = max(largest, width.value * height.value)
            elif kind == pdfium_c.FPDF_PAGEOBJ_FORM and depth < 16:
                count_in_form = pdfium_c.FPDFFormObj_CountObjects(obj)
                pending.append((count_in_form, lambda j, form=obj: pdfium_c.FPDFFormObj_GetObject(form, j), depth + 1))
    return largest, text_alone

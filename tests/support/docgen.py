"""Test-document generator: real PDFs and fax TIFFs, good and bad, built in memory.

Not tests, a helper for them. Every document here is a real file a renderer can open:

- ``text_pdf``: A4 pages with real text objects in IPAex Gothic, drawn by ReportLab with the font
  embedded as a subset, and a text layer that extracts back to exactly what was written (its
  ToUnicode maps). Optional filled rectangles drawn over the text (``boxed_pdf``).
- ``scanned_pdf``: image-only pages, no text layer.
- ``render_text_image`` / ``fax_tiff``: page images drawn by Pillow with IPAex, and multi-page
  bilevel G3/G4 TIFFs (TIFF-F style, 204×196 or 204×98 dpi).
- Bad inputs: ``encrypted_pdf`` (really RC4-128 encrypted, opens with its password),
  ``permissions_only_pdf`` (encrypted, empty user password: opens without one),
  ``truncated_tiff``, ``eps_renamed``, ``huge_tiff_header``, ``many_pages_pdf``,
  ``huge_page_pdf``, ``image_bomb_pdf``, ``corrupt_pdf``.

Coordinates are millimetres from the top-left corner of the page; a text item's ``y_mm`` is
its baseline. Needs Debian ``fonts-ipaexfont``.
"""

from __future__ import annotations

import functools
import io
import struct
import zlib
from pathlib import Path

import pypdfium2 as pdfium
from PIL import Image, ImageDraw, ImageFont
from reportlab.lib.pdfencrypt import StandardEncryption
from reportlab.pdfgen.canvas import Canvas

from gateway.records import pdfdraw
from gateway.records.pdfdraw import font_name, mm_to_pt

MM_PER_INCH = 25.4
PT_PER_INCH = 72.0
A4_MM = (210.0, 297.0)
FINE_DPI = (204, 196)
STANDARD_DPI = (204, 98)

# IPAex Gothic's vertical metrics (units of the font size): the loose box pdfium reports.
FONT_ASCENT = 0.88
FONT_DESCENT = 0.12

TextItem = tuple[float, float, str, float]  # x_mm, y_mm (baseline), text, size_pt
Rect = tuple[float, float, float, float]  # left_mm, top_mm, right_mm, bottom_mm


def font_path() -> Path | None:
    try:
        return pdfdraw.font_path()
    except pdfdraw.FontMissing:
        return None


def mm_to_px(mm: float, dpi: float) -> float:
    return mm / MM_PER_INCH * dpi


def page_pixels(page_mm: tuple[float, float] = A4_MM, dpi: tuple[int, int] = FINE_DPI) -> tuple[int, int]:
    """The page size in pixels at `dpi`, rounded as faxgate renders it."""
    return round(mm_to_px(page_mm[0], dpi[0])), round(mm_to_px(page_mm[1], dpi[1]))


# --- PDFs ----------------------------------------------------------------------------------


def _save(pdf: pdfium.PdfDocument) -> bytes:
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def text_pdf(
    pages: list[list[TextItem]],
    rects: list[list[Rect]] | None = None,
    rect_fill: tuple[int, int, int] = (0, 0, 0),
    page_mm: tuple[float, float] = A4_MM,
) -> bytes:
    """A PDF whose pages carry real text objects: (x_mm, y_mm baseline, text, size_pt) from the
    top-left, IPAex Gothic embedded. `rects` (per page, (left, top, right, bottom) in mm) are
    filled with `rect_fill` on top of the text: the text stays in the text layer, hidden."""
    width_pt, height_pt = mm_to_pt(page_mm[0]), mm_to_pt(page_mm[1])
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=(width_pt, height_pt), initialFontName=font_name())
    for index, items in enumerate(pages):
        for x_mm, y_mm, text, size in items:
            canvas.setFont(font_name(), size)
            canvas.drawString(mm_to_pt(x_mm), height_pt - mm_to_pt(y_mm), text)
        canvas.setFillColorRGB(*(value / 255 for value in rect_fill))
        for left, top, right, bottom in (rects[index] if rects and index < len(rects) else []):
            canvas.rect(mm_to_pt(left), height_pt - mm_to_pt(bottom), mm_to_pt(right - left), mm_to_pt(bottom - top),
                        stroke=0, fill=1)
        canvas.showPage()
    canvas.save()
    return out.getvalue()


def text_extent_mm(x_mm: float, y_mm: float, text: str, size_pt: float) -> Rect:
    """Where a text item lands on the page: (left, top, right, bottom) in mm, from the font's
    advance widths and its ascent/descent (what pdfium reports as the loose character boxes)."""
    font = _pil_font(100)
    width_pt = font.getlength(text) / 100 * size_pt
    size_mm = size_pt / PT_PER_INCH * MM_PER_INCH
    return (
        x_mm,
        y_mm - FONT_ASCENT * size_mm,
        x_mm + width_pt / PT_PER_INCH * MM_PER_INCH,
        y_mm + FONT_DESCENT * size_mm,
    )


def boxed_pdf(
    pages: list[list[TextItem]],
    covered: set[tuple[int, int]],
    pad_mm: float = 0.5,
    fill: tuple[int, int, int] = (0, 0, 0),
) -> bytes:
    """`text_pdf` with each text item (page index, item index) in `covered` hidden under a
    filled box (black by default: the "masked under a black box" case; white = whited out)."""
    rects: list[list[Rect]] = [[] for _ in pages]
    for page_index, item_index in sorted(covered):
        left, top, right, bottom = text_extent_mm(*pages[page_index][item_index])
        rects[page_index].append((left - pad_mm, top - pad_mm, right + pad_mm, bottom + pad_mm))
    return text_pdf(pages, rects=rects, rect_fill=fill)


def scanned_pdf(images: list[Image.Image], page_mm: tuple[float, float] = A4_MM) -> bytes:
    """Image-only pages (no text layer), each image stretched over a `page_mm` page."""
    pdf = pdfium.PdfDocument.new()
    width_pt, height_pt = mm_to_pt(page_mm[0]), mm_to_pt(page_mm[1])
    for image in images:
        page = pdf.new_page(width_pt, height_pt)
        obj = pdfium.PdfImage.new(pdf)
        bitmap = pdfium.PdfBitmap.from_pil(image.convert("L"))
        obj.set_bitmap(bitmap)
        obj.set_matrix(pdfium.PdfMatrix().scale(width_pt, height_pt))
        page.insert_obj(obj)
        page.gen_content()
        bitmap.close()
        page.close()
    result = _save(pdf)
    pdf.close()
    return result


def many_pages_pdf(count: int = 5000) -> bytes:
    """A small file with `count` blank A4 pages."""
    pdf = pdfium.PdfDocument.new()
    width_pt, height_pt = mm_to_pt(A4_MM[0]), mm_to_pt(A4_MM[1])
    for _ in range(count):
        pdf.new_page(width_pt, height_pt).close()
    result = _save(pdf)
    pdf.close()
    return result


def huge_page_pdf(width_mm: float = 5000.0, height_mm: float = 5000.0) -> bytes:
    """One blank page of 5 m × 5 m: about 40 000 × 38 000 px at fax resolution."""
    pdf = pdfium.PdfDocument.new()
    pdf.new_page(mm_to_pt(width_mm), mm_to_pt(height_mm)).close()
    result = _save(pdf)
    pdf.close()
    return result


def _minimal_pdf(objects: list[bytes], trailer_extra: bytes = b"") -> bytes:
    """A classic PDF from object bodies numbered 1..n (1 must be the catalog)."""
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref_at = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f\r\n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n\r\n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R %s >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        trailer_extra,
        xref_at,
    )
    return bytes(out)


@functools.lru_cache(maxsize=2)
def image_bomb_pdf(side: int = 40000) -> bytes:
    """An A4 page showing one `side`×`side` 1-bit image (1.6 Gpx, 200 MB decoded, ~190 KB
    stored): rejected from its declared size before decoding."""
    compressor = zlib.compressobj(6)
    chunk = b"\xff" * (side // 8) * 64
    parts = [compressor.compress(chunk) for _ in range(side // 64)]
    parts.append(compressor.compress(b"\xff" * (side // 8) * (side % 64)))
    parts.append(compressor.flush())
    image = b"".join(parts)
    content = b"q 595 0 0 842 0 0 cm /Im1 Do Q"
    return _minimal_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
            b" /Resources << /XObject << /Im1 5 0 R >> >> >>",
            b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
            b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray"
            b" /BitsPerComponent 1 /Filter /FlateDecode /Length %d >>\nstream\n" % (side - side % 8, side, len(image))
            + image
            + b"\nendstream",
        ]
    )


def corrupt_pdf() -> bytes:
    """Starts like a PDF, holds no PDF structure at all."""
    return b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n" + bytes((i * 37 + 11) % 251 for i in range(4000)) + b"\n%%EOF\n"


# --- encryption ----------------------------------------------------------------------------


def encrypted_pdf(user_password: str = "secret", owner_password: str = "owner", text: str = "Secret 123") -> bytes:
    """A one-page PDF really encrypted (RC4 128-bit, standard handler R3, by ReportLab): its
    content stream is ciphertext and opens only with `user_password` (or the owner password).
    With `user_password=""` it is a permissions-only PDF that opens without a password."""
    out = io.BytesIO()
    security = StandardEncryption(user_password, owner_password, canPrint=1, canModify=0, canCopy=0, canAnnotate=0,
                                  strength=128)
    canvas = Canvas(out, pagesize=(595, 842), encrypt=security)
    canvas.setFont("Helvetica", 24)
    canvas.drawString(72, 720, text)
    canvas.showPage()
    canvas.save()
    return out.getvalue()


def permissions_only_pdf(text: str = "Open 456") -> bytes:
    """Encrypted with an empty user password: any reader opens it without asking."""
    return encrypted_pdf(user_password="", owner_password="owner", text=text)


# --- images and TIFFs ----------------------------------------------------------------------


@functools.lru_cache(maxsize=16)
def _pil_font(size_px: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(pdfdraw.font_path()), size_px)


def render_text_image(
    lines: list[TextItem],
    dpi: tuple[int, int] = FINE_DPI,
    page_mm: tuple[float, float] = A4_MM,
    boxes: list[Rect] = (),
) -> Image.Image:
    """A white page ('L') with `lines` (x_mm, y_mm baseline, text, size_pt) drawn in IPAex
    Gothic and `boxes` (left, top, right, bottom mm) filled black, at `dpi` (x, y). Drawn at
    x dpi on both axes, then the height is scaled, so glyphs keep their shape on the page."""
    xdpi, ydpi = dpi
    width = round(mm_to_px(page_mm[0], xdpi))
    square_height = round(mm_to_px(page_mm[1], xdpi))
    image = Image.new("L", (width, square_height), 255)
    draw = ImageDraw.Draw(image)
    for x_mm, y_mm, text, size_pt in lines:
        font = _pil_font(max(1, round(size_pt / PT_PER_INCH * xdpi)))
        draw.text((mm_to_px(x_mm, xdpi), mm_to_px(y_mm, xdpi)), text, fill=0, font=font, anchor="ls")
    for left, top, right, bottom in boxes:
        draw.rectangle(
            [mm_to_px(left, xdpi), mm_to_px(top, xdpi), mm_to_px(right, xdpi), mm_to_px(bottom, xdpi)], fill=0
        )
    height = round(mm_to_px(page_mm[1], ydpi))
    if height != square_height:
        image = image.resize((width, height), Image.Resampling.BOX)
    return image


def fax_tiff(images: list[Image.Image], compression: str = "group4", dpi: tuple[int, int] = FINE_DPI) -> bytes:
    """A multi-page bilevel TIFF (TIFF-F style): each image thresholded to 1 bit, compressed
    with CCITT `group4` (MMR) or `group3` (MH/MR), resolution tags set to `dpi`."""
    if compression not in ("group3", "group4"):
        raise ValueError(compression)
    pages = [
        im if im.mode == "1" else im.convert("L").point(lambda v: 255 if v >= 128 else 0).convert("1") for im in images
    ]
    out = io.BytesIO()
    pages[0].save(out, format="TIFF", save_all=True, append_images=pages[1:], compression=compression, dpi=dpi)
    return out.getvalue()


def truncated_tiff(keep: float = 0.5) -> bytes:
    """A real two-page G4 fax TIFF cut off part-way (a transfer that stopped)."""
    lines = [(20, 40, "途中で切れたファクス 山田太郎", 14), (20, 60, "0123-45-6789", 14)]
    whole = fax_tiff([render_text_image(lines), render_text_image(lines)])
    return whole[: int(len(whole) * keep)]


def truncated_strip_tiff() -> bytes:
    """An uncompressed bilevel TIFF whose directory is intact but whose strip is cut short."""
    width, height = 1728, 2292
    row_bytes = width // 8
    present = b"\x00" * (row_bytes * 100)  # 100 of 2292 rows actually there
    return _tiff_single(width, height, compression=1, strip=present, strip_bytes=row_bytes * height)


def huge_tiff_header(width: int = 100000, height: int = 100000) -> bytes:
    """A tiny G4 TIFF whose header claims `width`×`height` pixels (10 giga-pixels)."""
    return _tiff_single(width, height, compression=4, strip=b"\x00" * 64, strip_bytes=64)


def _tiff_single(width: int, height: int, compression: int, strip: bytes, strip_bytes: int) -> bytes:
    """One bilevel page, directory first, then the strip: little-endian classic TIFF."""
    entries = [
        (256, 4, 1, width),  # ImageWidth LONG
        (257, 4, 1, height),  # ImageLength
        (258, 3, 1, 1),  # BitsPerSample
        (259, 3, 1, compression),
        (262, 3, 1, 0),  # WhiteIsZero
        (273, 4, 1, 0),  # StripOffsets (patched)
        (277, 3, 1, 1),  # SamplesPerPixel
        (278, 4, 1, height),  # RowsPerStrip
        (279, 4, 1, strip_bytes),  # StripByteCounts
        (282, 5, 1, 0),  # XResolution (patched: RATIONAL offset)
        (283, 5, 1, 0),  # YResolution
        (296, 3, 1, 2),  # ResolutionUnit inch
    ]
    ifd_at = 8
    ifd_size = 2 + 12 * len(entries) + 4
    rationals_at = ifd_at + ifd_size
    strip_at = rationals_at + 16
    out = bytearray(b"II*\x00" + struct.pack("<I", ifd_at))
    out += struct.pack("<H", len(entries))
    for tag, kind, count, value in entries:
        if tag == 273:
            value = strip_at
        elif tag == 282:
            value = rationals_at
        elif tag == 283:
            value = rationals_at + 8
        if kind == 3:
            out += struct.pack("<HHIHH", tag, kind, count, value, 0)
        else:
            out += struct.pack("<HHII", tag, kind, count, value)
    out += struct.pack("<I", 0)
    out += struct.pack("<IIII", 204, 1, 196, 1)
    out += strip
    return bytes(out)


def eps_renamed(binary: bool = False) -> bytes:
    """Encapsulated PostScript, as if renamed to .tif. `binary=True`: the DOS EPS form, whose
    header is followed by PostScript and a real TIFF preview further in."""
    postscript = (
        b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 595 842\n"
        b"/Helvetica findfont 24 scalefont setfont 72 720 moveto (Not a fax) show showpage\n%%EOF\n"
    )
    if not binary:
        return postscript
    preview = fax_tiff([Image.new("L", (64, 64), 255)])
    header_size = 30
    header = struct.pack(
        "<4sIIIIIIH",
        b"\xc5\xd0\xd3\xc6",
        header_size,
        len(postscript),
        0,
        0,
        header_size + len(postscript),
        len(preview),
        0xFFFF,
    )
    return header + postscript + preview


def text_pdf_with_image(pages: list[list[TextItem]], image: Image.Image, rect: Rect, page_index: int = 0) -> bytes:
    """`text_pdf` with `image` drawn over `rect` (mm) of one page: a form printed as text with
    the applicant's details pasted in as a picture. The picture is in no text layer."""
    pdf = pdfium.PdfDocument(text_pdf(pages))
    page = pdf[page_index]
    height_pt = page.get_height()
    left, top, right, bottom = rect
    obj = pdfium.PdfImage.new(pdf)
    bitmap = pdfium.PdfBitmap.from_pil(image.convert("L"))
    obj.set_bitmap(bitmap)
    obj.set_matrix(
        pdfium.PdfMatrix()
        .scale(mm_to_pt(right - left), mm_to_pt(bottom - top))
        .translate(mm_to_pt(left), height_pt - mm_to_pt(bottom))
    )
    page.insert_obj(obj)
    page.gen_content()
    bitmap.close()
    page.close()
    result = _save(pdf)
    pdf.close()
    return result

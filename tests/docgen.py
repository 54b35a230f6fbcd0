"""Test-document generator: real PDFs and fax TIFFs, good and bad, built in memory.

Not tests, a helper for them. Every document here is a real file a renderer can open:

- ``text_pdf``: A4 pages with real text objects in IPAex Gothic, the font embedded, and a text
  layer that extracts back to exactly what was written (the ToUnicode map is corrected, see
  ``_fix_tounicode``). Optional filled rectangles drawn over the text (``boxed_pdf``).
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

import ctypes
import functools
import hashlib
import io
import re
import struct
import zlib
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from PIL import Image, ImageDraw, ImageFont

from gateway.pdfdraw import font_bytes, font_cmap, mm_to_pt, subset_font

MM_PER_INCH = 25.4
PT_PER_INCH = 72.0
A4_MM = (210.0, 297.0)
FINE_DPI = (204, 196)
STANDARD_DPI = (204, 98)

FONT_CANDIDATES = (
    "/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf",
    "/usr/share/fonts/truetype/fonts-japanese-gothic.ttf",
)
# IPAex Gothic's vertical metrics (units of the font size): the loose box pdfium reports.
FONT_ASCENT = 0.88
FONT_DESCENT = 0.12

TextItem = tuple[float, float, str, float]  # x_mm, y_mm (baseline), text, size_pt
Rect = tuple[float, float, float, float]  # left_mm, top_mm, right_mm, bottom_mm


def font_path() -> Path | None:
    for candidate in FONT_CANDIDATES:
        if Path(candidate).exists():
            return Path(candidate)
    return None


def mm_to_px(mm: float, dpi: float) -> float:
    return mm / MM_PER_INCH * dpi


def page_pixels(page_mm: tuple[float, float] = A4_MM, dpi: tuple[int, int] = FINE_DPI) -> tuple[int, int]:
    """The page size in pixels at `dpi`, rounded as faxgate renders it."""
    return round(mm_to_px(page_mm[0], dpi[0])), round(mm_to_px(page_mm[1], dpi[1]))


# --- the font's own character map (unicode → glyph id), to correct the PDF's ToUnicode -------


def _tounicode_cmap(chars: str) -> bytes:
    """A ToUnicode CMap for an Identity-H font whose codes are glyph ids: each glyph used maps
    back to the character that was written with it (the first one, if two share a glyph)."""
    cmap = font_cmap()
    by_glyph: dict[int, str] = {}
    for char in chars:
        glyph = cmap.get(ord(char))
        if glyph is not None and glyph not in by_glyph:
            by_glyph[glyph] = char
    entries = sorted(by_glyph.items())
    lines = [
        "/CIDInit /ProcSet findresource begin",
        "12 dict begin",
        "begincmap",
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def",
        "/CMapName /Adobe-Identity-UCS def",
        "/CMapType 2 def",
        "1 begincodespacerange",
        "<0000> <FFFF>",
        "endcodespacerange",
    ]
    for start in range(0, len(entries), 100):
        block = entries[start : start + 100]
        lines.append(f"{len(block)} beginbfchar")
        for glyph, char in block:
            lines.append(f"<{glyph:04X}> <{char.encode('utf-16-be').hex().upper()}>")
        lines.append("endbfchar")
    lines += ["endcmap", "CMapName currentdict /CMap defineresource pop", "end", "end"]
    return "\n".join(lines).encode("ascii")


def _append_update(pdf_bytes: bytes, objects: dict[int, bytes]) -> bytes:
    """Append an incremental update replacing `objects` (number → body without obj/endobj)."""
    tail = pdf_bytes[-2048:]
    prev = int(re.findall(rb"startxref\s+(\d+)", tail)[-1])
    trailer = re.findall(rb"trailer\s*<<(.*?)>>\s*startxref", pdf_bytes[-4096:], re.S)[-1]
    size = int(re.search(rb"/Size\s+(\d+)", trailer).group(1))
    keep = b" ".join(
        m.group(0) for m in re.finditer(rb"/(?:Root|Info)\s+\d+\s+\d+\s+R|/ID\s*\[[^\]]*\]", trailer)
    )
    out = bytearray(pdf_bytes)
    if not out.endswith(b"\n"):
        out += b"\n"
    offsets = {}
    for number, body in sorted(objects.items()):
        offsets[number] = len(out)
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref_at = len(out)
    out += b"xref\n"
    for number, offset in sorted(offsets.items()):
        out += b"%d 1\n%010d 00000 n\r\n" % (number, offset)
    out += b"trailer\n<< /Size %d %s /Prev %d >>\nstartxref\n%d\n%%%%EOF\n" % (size, keep, prev, xref_at)
    return bytes(out)


def _fix_tounicode(pdf_bytes: bytes, chars: str) -> bytes:
    """pdfium writes a ToUnicode map from the font's whole cmap, where glyphs shared by several
    code points map to the last of them ('-' → U+2012, ' ' → U+00A0, '~' → U+223C). Replace it
    with one for the characters actually written, so the text layer reads back as written."""
    match = re.search(rb"/ToUnicode\s+(\d+)\s+0\s+R", pdf_bytes)
    if match is None:
        return pdf_bytes
    body = zlib.compress(_tounicode_cmap(chars))
    stream = b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(body) + body + b"\nendstream"
    return _append_update(pdf_bytes, {int(match.group(1)): stream})


# --- PDFs ----------------------------------------------------------------------------------


def _save(pdf: pdfium.PdfDocument) -> bytes:
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def _widestring(text: str):
    raw = (text + "\0").encode("utf-16-le")
    return (ctypes.c_ushort * (len(raw) // 2)).from_buffer_copy(raw)


def text_pdf(
    pages: list[list[TextItem]],
    rects: list[list[Rect]] | None = None,
    rect_fill: tuple[int, int, int] = (0, 0, 0),
    page_mm: tuple[float, float] = A4_MM,
) -> bytes:
    """A PDF whose pages carry real text objects: (x_mm, y_mm baseline, text, size_pt) from the
    top-left, IPAex Gothic embedded. `rects` (per page, (left, top, right, bottom) in mm) are
    filled with `rect_fill` on top of the text: the text stays in the text layer, hidden."""
    pdf = pdfium.PdfDocument.new()
    all_text = "".join(text for items in pages for _, _, text, _ in items)
    data = subset_font("".join(sorted(set(all_text))))
    font_buffer = (ctypes.c_uint8 * len(data)).from_buffer_copy(data)
    font = pdfium_c.FPDFText_LoadFont(pdf, font_buffer, len(data), pdfium_c.FPDF_FONT_TRUETYPE, True)
    if not font:
        raise RuntimeError("pdfium could not load the IPAex font")
    width_pt, height_pt = mm_to_pt(page_mm[0]), mm_to_pt(page_mm[1])
    written = []
    for index, items in enumerate(pages):
        page = pdf.new_page(width_pt, height_pt)
        for x_mm, y_mm, text, size in items:
            obj = pdfium_c.FPDFPageObj_CreateTextObj(pdf, font, float(size))
            if not pdfium_c.FPDFText_SetText(obj, _widestring(text)):
                raise RuntimeError(f"pdfium could not set text {text!r}")
            pdfium_c.FPDFPageObj_Transform(obj, 1, 0, 0, 1, mm_to_pt(x_mm), height_pt - mm_to_pt(y_mm))
            pdfium_c.FPDFPage_InsertObject(page, obj)
            written.append(text)
        for left, top, right, bottom in (rects[index] if rects and index < len(rects) else []):
            obj = pdfium_c.FPDFPageObj_CreateNewRect(
                mm_to_pt(left), height_pt - mm_to_pt(bottom), mm_to_pt(right - left), mm_to_pt(bottom - top)
            )
            pdfium_c.FPDFPageObj_SetFillColor(obj, *rect_fill, 255)
            pdfium_c.FPDFPath_SetDrawMode(obj, pdfium_c.FPDF_FILLMODE_WINDING, False)
            pdfium_c.FPDFPage_InsertObject(page, obj)
        if not pdfium_c.FPDFPage_GenerateContent(page):
            raise RuntimeError("pdfium could not generate page content")
        page.close()
    result = _save(pdf)
    pdfium_c.FPDFFont_Close(font)
    pdf.close()
    return _fix_tounicode(result, "".join(written))


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


# --- encryption (PDF standard security handler, revision 3: RC4 128-bit) -------------------

_PAD = bytes.fromhex("28BF4E5E4E758A4164004E56FFFA01082E2E00B6D0683E802F0CA9FE6453697A")


def _rc4(key: bytes, data: bytes) -> bytes:
    s = list(range(256))
    j = 0
    for i in range(256):
        j = (j + s[i] + key[i % len(key)]) & 0xFF
        s[i], s[j] = s[j], s[i]
    out = bytearray()
    i = j = 0
    for byte in data:
        i = (i + 1) & 0xFF
        j = (j + s[i]) & 0xFF
        s[i], s[j] = s[j], s[i]
        out.append(byte ^ s[(s[i] + s[j]) & 0xFF])
    return bytes(out)


def _padded(password: str) -> bytes:
    return (password.encode("latin-1") + _PAD)[:32]


def _standard_security(user: str, owner: str, permissions: int, file_id: bytes) -> tuple[bytes, bytes, bytes]:
    """(O, U, file key) per ISO 32000-1 algorithms 2, 3 and 5, revision 3, 128-bit key."""
    n = 16
    digest = hashlib.md5(_padded(owner or user)).digest()
    for _ in range(50):
        digest = hashlib.md5(digest[:n]).digest()
    owner_key = digest[:n]
    o_value = _rc4(owner_key, _padded(user))
    for i in range(1, 20):
        o_value = _rc4(bytes(b ^ i for b in owner_key), o_value)
    p_bytes = struct.pack("<i", permissions)
    digest = hashlib.md5(_padded(user) + o_value + p_bytes + file_id).digest()
    for _ in range(50):
        digest = hashlib.md5(digest[:n]).digest()
    key = digest[:n]
    u_value = _rc4(key, hashlib.md5(_PAD + file_id).digest())
    for i in range(1, 20):
        u_value = _rc4(bytes(b ^ i for b in key), u_value)
    return o_value, u_value + b"\x00" * 16, key


def encrypted_pdf(user_password: str = "secret", owner_password: str = "owner", text: str = "Secret 123") -> bytes:
    """A one-page PDF really encrypted (RC4 128-bit, standard handler R3): its content stream
    is ciphertext and opens only with `user_password` (or the owner password). With
    `user_password=""` it is a permissions-only PDF that opens without a password."""
    file_id = hashlib.md5(b"faxgate-test-" + user_password.encode()).digest()
    permissions = -3904  # print allowed, modify/copy not
    o_value, u_value, key = _standard_security(user_password, owner_password, permissions, file_id)

    def object_key(number: int) -> bytes:
        return hashlib.md5(key + struct.pack("<I", number)[:3] + b"\x00\x00").digest()[: min(len(key) + 5, 16)]

    content = b"BT /F1 24 Tf 72 720 Td (%s) Tj ET" % text.encode("latin-1")
    encrypted_content = _rc4(object_key(4), content)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(encrypted_content) + encrypted_content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Filter /Standard /V 2 /R 3 /Length 128 /O <%s> /U <%s> /P %d >>"
        % (o_value.hex().encode(), u_value.hex().encode(), permissions),
    ]
    id_hex = file_id.hex().encode()
    return _minimal_pdf(objects, trailer_extra=b"/Encrypt 6 0 R /ID [<%s> <%s>]" % (id_hex, id_hex))


def permissions_only_pdf(text: str = "Open 456") -> bytes:
    """Encrypted with an empty user password: any reader opens it without asking."""
    return encrypted_pdf(user_password="", owner_password="owner", text=text)


# --- images and TIFFs ----------------------------------------------------------------------


@functools.lru_cache(maxsize=16)
def _pil_font(size_px: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(io.BytesIO(font_bytes()), size_px)


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

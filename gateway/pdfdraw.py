"""Simple A4 PDFs with Japanese text, drawn through PDFium: the cover sheet and the signed
records.

A `Drawing` is a display list (text, boxes, lines, pictures per page); `to_pdf` writes it
with IPAex Gothic embedded as a subset of exactly the characters used, so every renderer
(MFDs, fax servers, viewers without Japanese fonts) shows the same glyphs and the text layer
extracts back to what was written. Coordinates are millimetres from the top-left corner;
a text item's `y` is its baseline.

The font comes from Debian's fonts-ipaexfont; without it there is no legible Japanese output,
so `FontMissing` is raised instead of drawing tofu.
"""

from __future__ import annotations

import ctypes
import functools
import io
import struct
from dataclasses import dataclass, field
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from PIL import Image, ImageFont

A4_MM = (210.0, 297.0)
MM_PER_INCH = 25.4
PT_PER_INCH = 72.0

FONT_CANDIDATES = (
    "/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf",
    "/usr/share/fonts/truetype/fonts-japanese-gothic.ttf",
)
# Outline stroke for "bold" text, as a fraction of the font size: IPAex has no bold face,
# and a thin stroke around the fill keeps strokes solid after fax thresholding.
_BOLD_STROKE = 0.035


class FontMissing(RuntimeError):
    def __init__(self):
        self.message_ja = "日本語フォント（IPAexゴシック）が見つかりません。fonts-ipaexfont をインストールしてください。"
        self.message_en = "IPAex Gothic not found: install the Debian package fonts-ipaexfont"
        super().__init__(f"{self.message_en} (looked in {', '.join(FONT_CANDIDATES)})")


def mm_to_pt(mm: float) -> float:
    return mm / MM_PER_INCH * PT_PER_INCH


@functools.lru_cache(maxsize=1)
def font_bytes() -> bytes:
    for candidate in FONT_CANDIDATES:
        if Path(candidate).exists():
            return Path(candidate).read_bytes()
    raise FontMissing()


@functools.lru_cache(maxsize=1)
def _measuring_font() -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(io.BytesIO(font_bytes()), 1000)


def text_width_mm(text: str, size_pt: float) -> float:
    return _measuring_font().getlength(text) / 1000 * size_pt / PT_PER_INCH * MM_PER_INCH


def wrap(text: str, size_pt: float, width_mm: float) -> list[str]:
    """Lines no wider than `width_mm`. Japanese breaks between any two characters; a run of
    Latin text breaks at its last space when there is one. Newlines are kept."""
    lines: list[str] = []
    for paragraph in str(text).split("\n"):
        line = ""
        for char in paragraph:
            if line and text_width_mm(line + char, size_pt) > width_mm:
                cut = line.rfind(" ")
                if char != " " and cut > len(line) // 2:
                    lines.append(line[:cut])
                    line = line[cut + 1:]
                else:
                    lines.append(line)
                    line = ""
                if char == " ":
                    continue
            line += char
        lines.append(line)
    return lines


@dataclass(frozen=True)
class Text:
    x: float
    y: float
    text: str
    size: float
    bold: bool = False


@dataclass(frozen=True)
class Box:
    left: float
    top: float
    right: float
    bottom: float
    fill: int | None = None  # grey level 0 (black) … 255, None = outline only
    line: float = 0.0  # outline width in points, 0 = none


@dataclass(frozen=True)
class Line:
    x1: float
    y1: float
    x2: float
    y2: float
    width: float = 0.5  # points


@dataclass(frozen=True)
class Picture:
    image: Image.Image
    left: float
    top: float
    width: float
    height: float


@dataclass
class Drawing:
    page_mm: tuple[float, float] = A4_MM
    pages: list[list] = field(default_factory=list)

    def new_page(self) -> None:
        self.pages.append([])

    def add(self, item: Text | Box | Line | Picture) -> None:
        if isinstance(item, Text) and not item.text:
            return  # PDFium refuses empty text objects, and they would show nothing
        if not self.pages:
            self.new_page()
        self.pages[-1].append(item)

    def text(self, x: float, y: float, text: str, size: float, bold: bool = False) -> None:
        self.add(Text(x, y, text, size, bold))

    def to_pdf(self) -> bytes:
        chars = "".join(sorted({c for page in self.pages for item in page if isinstance(item, Text) for c in item.text}))
        pdf = pdfium.PdfDocument.new()
        font = None
        if chars:
            data = subset_font(chars)
            buffer = (ctypes.c_uint8 * len(data)).from_buffer_copy(data)
            font = pdfium_c.FPDFText_LoadFont(pdf, buffer, len(data), pdfium_c.FPDF_FONT_TRUETYPE, True)
            if not font:
                raise RuntimeError("PDFium could not load the IPAex font")
        try:
            width_pt, height_pt = mm_to_pt(self.page_mm[0]), mm_to_pt(self.page_mm[1])
            for items in self.pages or [[]]:
                page = pdf.new_page(width_pt, height_pt)
                for item in items:
                    _draw(pdf, page, font, item, height_pt)
                if not pdfium_c.FPDFPage_GenerateContent(page):
                    raise RuntimeError("PDFium could not generate page content")
                page.close()
            out = io.BytesIO()
            pdf.save(out)
            return out.getvalue()
        finally:
            if font:
                pdfium_c.FPDFFont_Close(font)
            pdf.close()


def _draw(pdf, page, font, item, height_pt: float) -> None:
    if isinstance(item, Text):
        obj = pdfium_c.FPDFPageObj_CreateTextObj(pdf, font, float(item.size))
        raw = (item.text + "\0").encode("utf-16-le")
        if not pdfium_c.FPDFText_SetText(obj, (ctypes.c_ushort * (len(raw) // 2)).from_buffer_copy(raw)):
            raise RuntimeError(f"PDFium could not set text {item.text!r}")
        if item.bold:
            pdfium_c.FPDFTextObj_SetTextRenderMode(obj, pdfium_c.FPDF_TEXTRENDERMODE_FILL_STROKE)
            pdfium_c.FPDFPageObj_SetStrokeWidth(obj, item.size * _BOLD_STROKE)
            pdfium_c.FPDFPageObj_SetStrokeColor(obj, 0, 0, 0, 255)
        pdfium_c.FPDFPageObj_Transform(obj, 1, 0, 0, 1, mm_to_pt(item.x), height_pt - mm_to_pt(item.y))
        pdfium_c.FPDFPage_InsertObject(page, obj)
    elif isinstance(item, Box):
        obj = pdfium_c.FPDFPageObj_CreateNewRect(
            mm_to_pt(item.left), height_pt - mm_to_pt(item.bottom),
            mm_to_pt(item.right - item.left), mm_to_pt(item.bottom - item.top),
        )
        if item.fill is not None:
            pdfium_c.FPDFPageObj_SetFillColor(obj, item.fill, item.fill, item.fill, 255)
        if item.line:
            pdfium_c.FPDFPageObj_SetStrokeColor(obj, 0, 0, 0, 255)
            pdfium_c.FPDFPageObj_SetStrokeWidth(obj, float(item.line))
        fill_mode = pdfium_c.FPDF_FILLMODE_WINDING if item.fill is not None else pdfium_c.FPDF_FILLMODE_NONE
        pdfium_c.FPDFPath_SetDrawMode(obj, fill_mode, bool(item.line))
        pdfium_c.FPDFPage_InsertObject(page, obj)
    elif isinstance(item, Line):
        obj = pdfium_c.FPDFPageObj_CreateNewPath(mm_to_pt(item.x1), height_pt - mm_to_pt(item.y1))
        pdfium_c.FPDFPath_LineTo(obj, mm_to_pt(item.x2), height_pt - mm_to_pt(item.y2))
        pdfium_c.FPDFPageObj_SetStrokeColor(obj, 0, 0, 0, 255)
        pdfium_c.FPDFPageObj_SetStrokeWidth(obj, float(item.width))
        pdfium_c.FPDFPath_SetDrawMode(obj, pdfium_c.FPDF_FILLMODE_NONE, True)
        pdfium_c.FPDFPage_InsertObject(page, obj)
    else:
        # JPEG keeps page thumbnails small; loaded inline so PDFium holds its own copy.
        jpeg = io.BytesIO()
        item.image.convert("L").save(jpeg, format="JPEG", quality=70)
        jpeg.seek(0)
        picture = pdfium.PdfImage.new(pdf)
        picture.load_jpeg(jpeg, inline=True)
        picture.set_matrix(pdfium.PdfMatrix().scale(mm_to_pt(item.width), mm_to_pt(item.height))
                           .translate(mm_to_pt(item.left), height_pt - mm_to_pt(item.top + item.height)))
        page.insert_obj(picture)


# --- the font subset ---------------------------------------------------------------------------
#
# Glyph ids are kept (unused glyphs become empty), so PDFium's Identity-H encoding of the
# subset stays valid; the cmap maps only the characters written, so the ToUnicode map PDFium
# derives from it reads each glyph back as the character that was drawn with it.


def _tables(data: bytes) -> dict[bytes, bytes]:
    count = struct.unpack_from(">H", data, 4)[0]
    tables = {}
    for i in range(count):
        tag, _checksum, offset, length = struct.unpack_from(">4sIII", data, 12 + 16 * i)
        tables[tag] = data[offset:offset + length]
    return tables


@functools.lru_cache(maxsize=1)
def font_cmap() -> dict[int, int]:
    cmap = _tables(font_bytes())[b"cmap"]
    _version, count = struct.unpack_from(">HH", cmap, 0)
    subtables = {}
    for i in range(count):
        platform, encoding, offset = struct.unpack_from(">HHI", cmap, 4 + 8 * i)
        subtables[(platform, encoding)] = offset
    mapping: dict[int, int] = {}
    if (3, 10) in subtables:  # format 12: all of Unicode
        at = subtables[(3, 10)]
        (groups,) = struct.unpack_from(">I", cmap, at + 12)
        for g in range(groups):
            start, end, glyph = struct.unpack_from(">III", cmap, at + 16 + 12 * g)
            for code in range(start, end + 1):
                mapping[code] = glyph + code - start
        return mapping
    at = subtables[(3, 1)]  # format 4: the BMP
    segments = struct.unpack_from(">H", cmap, at + 6)[0] // 2
    ends = struct.unpack_from(f">{segments}H", cmap, at + 14)
    starts = struct.unpack_from(f">{segments}H", cmap, at + 16 + 2 * segments)
    deltas = struct.unpack_from(f">{segments}h", cmap, at + 16 + 4 * segments)
    offsets_at = at + 16 + 6 * segments
    range_offsets = struct.unpack_from(f">{segments}H", cmap, offsets_at)
    for s in range(segments):
        for code in range(starts[s], ends[s] + 1):
            if code == 0xFFFF:
                continue
            if range_offsets[s] == 0:
                glyph = (code + deltas[s]) & 0xFFFF
            else:
                where = offsets_at + 2 * s + range_offsets[s] + 2 * (code - starts[s])
                glyph = struct.unpack_from(">H", cmap, where)[0]
                glyph = (glyph + deltas[s]) & 0xFFFF if glyph else 0
            if glyph:
                mapping[code] = glyph
    return mapping


def _checksum(data: bytes) -> int:
    padded = data + b"\0" * (-len(data) % 4)
    return sum(struct.unpack(f">{len(padded) // 4}I", padded)) & 0xFFFFFFFF


def _cmap_table(mapping: dict[int, int]) -> bytes:
    """A cmap with one format 4 subtable (Windows Unicode BMP), one segment per character."""
    codes = sorted(c for c in mapping if c < 0xFFFF)
    segments = len(codes) + 1
    ends = codes + [0xFFFF]
    deltas = [(mapping[c] - c) & 0xFFFF for c in codes] + [1]
    search = 2 ** (segments.bit_length() - 1) * 2
    body = struct.pack(f">{segments}H", *ends) + b"\0\0" + struct.pack(f">{segments}H", *ends)
    body += struct.pack(f">{segments}H", *deltas) + struct.pack(f">{segments}H", *([0] * segments))
    sub = struct.pack(">7H", 4, 14 + len(body), 0, segments * 2, search, segments.bit_length() - 1,
                      segments * 2 - search) + body
    return struct.pack(">HHHHI", 0, 1, 3, 1, 12) + sub


def subset_font(chars: str) -> bytes:
    """IPAex Gothic with only the outlines of `chars` (~100 KB instead of 5 MB, ~20 KB
    compressed in the PDF). Vertical and OpenType layout tables are dropped."""
    tables = _tables(font_bytes())
    head = bytearray(tables[b"head"])
    long_loca = struct.unpack_from(">h", head, 50)[0] == 1
    glyphs = struct.unpack_from(">H", tables[b"maxp"], 4)[0]
    if long_loca:
        loca = struct.unpack(f">{glyphs + 1}I", tables[b"loca"][:4 * (glyphs + 1)])
    else:
        loca = [v * 2 for v in struct.unpack(f">{glyphs + 1}H", tables[b"loca"][:2 * (glyphs + 1)])]
    glyf = tables[b"glyf"]
    cmap = font_cmap()
    mapping = {ord(c): cmap[ord(c)] for c in set(chars) if ord(c) in cmap}
    keep = {0} | set(mapping.values())
    pending = list(keep)
    while pending:  # composite glyphs pull in their components
        gid = pending.pop()
        start, end = loca[gid], loca[gid + 1]
        if end - start >= 10 and struct.unpack_from(">h", glyf, start)[0] < 0:
            at = start + 10
            while True:
                flags, component = struct.unpack_from(">HH", glyf, at)
                if component not in keep:
                    keep.add(component)
                    pending.append(component)
                at += 4 + (4 if flags & 0x0001 else 2)
                at += 8 if flags & 0x0080 else 4 if flags & 0x0040 else 2 if flags & 0x0008 else 0
                if not flags & 0x0020:
                    break
    new_glyf = bytearray()
    offsets = []
    for gid in range(glyphs):
        offsets.append(len(new_glyf))
        if gid in keep:
            new_glyf += glyf[loca[gid]:loca[gid + 1]]
            new_glyf += b"\0" * (-len(new_glyf) % 4)
    offsets.append(len(new_glyf))
    struct.pack_into(">h", head, 50, 1)  # long loca offsets
    struct.pack_into(">I", head, 8, 0)  # checkSumAdjustment, set below
    post = bytearray(tables[b"post"][:32])
    struct.pack_into(">I", post, 0, 0x00030000)  # no glyph names
    out_tables = {tag: body for tag, body in tables.items()
                  if tag not in (b"GSUB", b"GPOS", b"GDEF", b"BASE", b"vhea", b"vmtx")}
    out_tables.update({b"head": bytes(head), b"glyf": bytes(new_glyf),
                       b"loca": struct.pack(f">{len(offsets)}I", *offsets), b"post": bytes(post),
                       b"cmap": _cmap_table(mapping)})
    tags = sorted(out_tables)
    count = len(tags)
    search = 2 ** (count.bit_length() - 1) * 16
    out = bytearray(struct.pack(">IHHHH", 0x00010000, count, search, count.bit_length() - 1, count * 16 - search))
    offset = 12 + 16 * count
    body = bytearray()
    head_at = 0
    for tag in tags:
        table = out_tables[tag]
        if tag == b"head":
            head_at = offset + len(body)
        out += struct.pack(">4sIII", tag, _checksum(table), offset + len(body), len(table))
        body += table + b"\0" * (-len(table) % 4)
    out += body
    struct.pack_into(">I", out, head_at + 8, (0xB1B0AFBA - _checksum(bytes(out))) & 0xFFFFFFFF)
    return bytes(out)

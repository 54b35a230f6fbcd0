"""Simple A4 PDFs with Japanese text, drawn with ReportLab: the cover sheet and the signed
records.

A `Drawing` is a display list (text, boxes, lines, pictures per page); `to_pdf` writes it
with IPAex Gothic embedded as a subset of the characters used (ReportLab's TrueType
subsetting, with a ToUnicode map per subset), so every renderer (MFDs, fax servers, viewers
without Japanese fonts) shows the same glyphs and the text layer extracts back to what was
written. Coordinates are millimetres from the top-left corner; a text item's `y` is its
baseline.

The font comes from Debian's fonts-ipaexfont; without it there is no legible Japanese output,
so `FontMissing` is raised instead of drawing tofu.
"""

from __future__ import annotations

import functools
import re
import io
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

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
_FILL_STROKE = 2  # PDF text rendering mode: fill, then stroke


class FontMissing(RuntimeError):
    def __init__(self):
        self.message_ja = "日本語フォント（IPAexゴシック）が見つかりません。fonts-ipaexfont をインストールしてください。"
        self.message_en = "IPAex Gothic not found: install the Debian package fonts-ipaexfont"
        super().__init__(f"{self.message_en} (looked in {', '.join(FONT_CANDIDATES)})")


def mm_to_pt(mm: float) -> float:
    return mm / MM_PER_INCH * PT_PER_INCH


def font_path() -> Path:
    for candidate in FONT_CANDIDATES:
        if Path(candidate).exists():
            return Path(candidate)
    raise FontMissing()


@functools.lru_cache(maxsize=2)
def _registered(path: Path) -> str:
    """The ReportLab font name of the TrueType file at `path`, parsed once per process."""
    pdfmetrics.registerFont(TTFont(path.stem, str(path)))
    return path.stem


def font_name() -> str:
    """IPAex Gothic's name for ReportLab (`Canvas.setFont`), registered on first use."""
    return _registered(font_path())


# Control characters, line and paragraph separators (U+0085, U+2028/9, 0x1C-0x1E are line ends to
# some text layouts) and bidirectional overrides (they make "fdp.exe" read backwards): a value
# from outside (an attachment's file name, a name in the directory) is drawn with "?" for each.
_UNDRAWABLE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def drawable(text: str) -> str:
    """``text`` as drawn on one line: every character above shown as "?"."""
    return _UNDRAWABLE.sub("?", text)


def text_width_mm(text: str, size_pt: float) -> float:
    return pdfmetrics.stringWidth(text, font_name(), size_pt) / PT_PER_INCH * MM_PER_INCH


def wrap(text: str, size_pt: float, width_mm: float) -> list[str]:
    """Lines no wider than `width_mm`. Japanese breaks between any two characters; a run of
    Latin text breaks at its last space when there is one. Newlines are kept."""
    lines: list[str] = []
    for paragraph in str(text).split("\n"):
        paragraph = drawable(paragraph)  # measured as it will be drawn
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
        if not self.pages:
            self.new_page()
        self.pages[-1].append(item)

    def text(self, x: float, y: float, text: str, size: float, bold: bool = False) -> None:
        self.add(Text(x, y, text, size, bold))

    def to_pdf(self) -> bytes:
        font = font_name()
        width_pt, height_pt = mm_to_pt(self.page_mm[0]), mm_to_pt(self.page_mm[1])
        out = io.BytesIO()
        # IPAex from the start: ReportLab's default initial font, Helvetica, would be a font
        # the PDF names but does not embed.
        canvas = Canvas(out, pagesize=(width_pt, height_pt), pageCompression=1, initialFontName=font)
        # ReportLab's defaults would say "anonymous" and "unspecified" in the document information.
        canvas.setCreator("faxgate")
        canvas.setAuthor("faxgate")
        canvas.setTitle("")
        canvas.setSubject("")
        for items in self.pages or [[]]:
            for item in items:
                _draw(canvas, font, item, height_pt)
            canvas.showPage()
        canvas.save()
        return out.getvalue()


def _draw(canvas: Canvas, font: str, item, height_pt: float) -> None:
    canvas.saveState()
    if isinstance(item, Text):
        text = canvas.beginText(mm_to_pt(item.x), height_pt - mm_to_pt(item.y))
        text.setFont(font, item.size)
        if item.bold:
            canvas.setLineWidth(item.size * _BOLD_STROKE)
            text.setTextRenderMode(_FILL_STROKE)
        text.textOut(drawable(str(item.text)))
        canvas.drawText(text)
    elif isinstance(item, Box):
        if item.fill is not None:
            canvas.setFillGray(item.fill / 255)
        canvas.setLineWidth(item.line)
        canvas.rect(mm_to_pt(item.left), height_pt - mm_to_pt(item.bottom), mm_to_pt(item.right - item.left),
                    mm_to_pt(item.bottom - item.top), stroke=bool(item.line), fill=item.fill is not None)
    elif isinstance(item, Line):
        canvas.setLineWidth(item.width)
        canvas.line(mm_to_pt(item.x1), height_pt - mm_to_pt(item.y1), mm_to_pt(item.x2), height_pt - mm_to_pt(item.y2))
    else:
        # JPEG keeps page thumbnails small; ReportLab embeds the JPEG stream as it is.
        jpeg = io.BytesIO()
        item.image.convert("L").save(jpeg, format="JPEG", quality=70)
        jpeg.seek(0)
        canvas.drawImage(ImageReader(jpeg), mm_to_pt(item.left), height_pt - mm_to_pt(item.top + item.height),
                         mm_to_pt(item.width), mm_to_pt(item.height))
    canvas.restoreState()

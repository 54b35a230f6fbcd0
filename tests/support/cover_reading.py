"""Reading a cover sheet's fax number back from the page as faxed, without OCR: each glyph of the
bilevel page is matched against the digits of the embedded font (IPAex Gothic) drawn at the same
size and the same non-square resolution, so the digits read back are those a person at the
receiving fax sees."""

from __future__ import annotations

import functools
import math

from PIL import Image, ImageChops, ImageDraw, ImageFont, ImageStat

from gateway.records.pdfdraw import font_path

NUMBER_PT, NUMBER_STROKE_PX = 44, 2  # the sheet's number: 44 pt, outlined ~1.5 pt (≈2 px at 204 dpi)

_CELL = (16, 24)


def _trim(image: Image.Image) -> Image.Image | None:
    box = ImageChops.invert(image).getbbox()
    return image.crop(box) if box else None


def _cell(image: Image.Image) -> Image.Image:
    return image.resize(_CELL, Image.Resampling.BOX).point(lambda v: 255 if v >= 128 else 0)


@functools.lru_cache(maxsize=None)
def _digit_shapes(size_pt: float, xdpi: int, ydpi: int, stroke: int) -> dict[str, tuple[Image.Image, float]]:
    """Each of 0-9 and '-' in IPAex Gothic, drawn at `xdpi` and squeezed to `ydpi` the way a
    fax page is, thresholded and trimmed: (normalised cell, width/height)."""
    px = round(size_pt / 72 * xdpi)
    font = ImageFont.truetype(str(font_path()), px)
    shapes = {}
    for char in "0123456789-":
        canvas = Image.new("L", (2 * px, 2 * px), 255)
        ImageDraw.Draw(canvas).text((px // 2, px // 2), char, font=font, fill=0, stroke_width=stroke, stroke_fill=0)
        canvas = canvas.resize((canvas.width, round(canvas.height * ydpi / xdpi)), Image.Resampling.BOX)
        glyph = _trim(canvas.point(lambda v: 255 if v >= 128 else 0))
        shapes[char] = (_cell(glyph), glyph.width / glyph.height)
    return shapes


def read_digits(page, box: tuple[float, float, float, float], size_pt: float, stroke: int) -> tuple[str, list[int]]:
    """The digits and dashes inside `box` (page pixels) of the page as faxed (bilevel), and
    each glyph's height in pixels. Glyphs are the runs of inked columns."""
    left, top, right, bottom = box
    band = page.bilevel().convert("L").crop((int(left) - 4, int(top), int(right) + 4, int(bottom) + 1))
    inked = [any(band.getpixel((x, y)) == 0 for y in range(band.height)) for x in range(band.width)]
    runs, start = [], None
    for x, ink in enumerate(inked + [False]):
        if ink and start is None:
            start = x
        elif not ink and start is not None:
            runs.append((start, x))
            start = None
    shapes = _digit_shapes(size_pt, page.dpi[0], page.dpi[1], stroke)
    text, heights = "", []
    for a, b in runs:
        glyph = _trim(band.crop((a, 0, b, band.height)))
        heights.append(glyph.height)
        cell, aspect = _cell(glyph), glyph.width / glyph.height

        def distance(item):
            shape, shape_aspect = item[1]
            return ImageStat.Stat(ImageChops.difference(cell, shape)).mean[0] / 255 + abs(math.log(aspect / shape_aspect))

        text += min(shapes.items(), key=distance)[0]
    return text, heights


def text_box(page, text: str) -> tuple[float, float, float, float]:
    """Where `text` sits on the page (pixels), from the text layer's character boxes."""
    at = page.text.index(text)
    chars = page.chars[at:at + len(text)]
    return chars[0].left, min(c.top for c in chars), chars[-1].right, max(c.bottom for c in chars)

"""What offices really fax, for the corpus (tests/support/corpus.py): forms filled in by hand, letters
in vertical writing (縦書き), pages fed in upside down or sideways, and bad scans (skewed,
speckled, grey photocopies, JPEG-compressed greyscale), each in fine and standard mode.

Every medium here is a way of rendering a `corpus.Sheet` (the same templates and variants):

- ``hand_*``: the printed form in IPAex Gothic, every personal value written in a handwriting
  font (Debian ``fonts-seto``, ``fonts-kiloji``), each character a little bigger or smaller,
  tilted and off the line, as a pen leaves it; a fax TIFF (fine, standard).
- ``vertical_*``: the page in vertical writing: each line a column, right to left, characters
  stacked top to bottom; as a text PDF (one text object per character, as word processors
  write 縦書き) and as a fax TIFF (fine, standard).
- ``rotated_*``: the page fed in upside down (TIFF) or sideways (scanned PDF, landscape).
- ``skewed_*``: the page 1–2° askew (TIFF).
- ``speckled_*``: a noisy line: black specks and short streaks all over (TIFF).
- ``photocopy_*``: a grey, low-contrast photocopy with a darker edge (scanned PDF, greyscale).
- ``jpeg_*``: a greyscale scan saved as a strongly compressed JPEG (scanned PDF).

A PDF is screened at the job's resolution: the ``*_standard`` PDF media are screened with
``resolution="standard"`` (`resolution_of`). Value rectangles (mm) are where the values are on
the page as rendered, except on rotated pages, where they stay where they were on the upright
page.
"""

from __future__ import annotations

import functools
import io
import random
from dataclasses import replace
from pathlib import Path

from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageFont

from tests.support import docgen

HAND_FONTS = ("/usr/share/fonts/truetype/seto/setofont.ttf", "/usr/share/fonts/truetype/kiloji/kiloji.ttf")
MEDIA = (
    "hand_fine", "hand_standard", "vertical_text_pdf", "vertical_fine", "vertical_standard",
    "rotated_fine", "rotated_standard", "skewed_fine", "skewed_standard", "speckled_fine", "speckled_standard",
    "photocopy_fine", "photocopy_standard", "jpeg_fine", "jpeg_standard",
)
# Which templates each kind is made of: hand-filled forms and records; vertical letters and
# notices (a roster's narrow columns do not stack).
TEMPLATES = {
    "hand": ("form", "medical"),
    "vertical": ("letter", "form", "cover", "business"),
    **{kind: ("form", "cover") for kind in ("skewed", "speckled", "photocopy", "jpeg")},
    "rotated": ("form", "letter", "cover"),
}
PT_MM = 25.4 / 72
# Vertical pages: line y (mm from the top) → column x, right to left across the page.
_COLUMN_RIGHT, _COLUMN_TOP, _COLUMN_SCALE = 198.0, 15.0, 0.72


def kind_of(medium: str) -> str:
    return medium.split("_")[0]


def templates_for(medium: str, templates: tuple[str, ...]) -> tuple[str, ...]:
    allowed = TEMPLATES.get(kind_of(medium))
    return tuple(t for t in templates if allowed is None or t in allowed)


def resolution_of(medium: str) -> str:
    return "standard" if medium.endswith("_standard") else "fine"


def hand_fonts_installed() -> bool:
    return all(Path(p).exists() for p in HAND_FONTS)


def render(sheet, medium: str, rng: random.Random) -> bytes:
    """The sheet's pages as `medium`; `sheet.values` are moved to where they are drawn."""
    kind = kind_of(medium)
    dpi = docgen.STANDARD_DPI if medium.endswith("_standard") else docgen.FINE_DPI
    if kind == "vertical":
        pages, rects = _vertical(sheet)
        if medium == "vertical_text_pdf":
            return docgen.text_pdf(pages, rects=rects)
        return docgen.fax_tiff([docgen.render_text_image(items, dpi=dpi, boxes=boxes)
                                for items, boxes in zip(pages, rects)], dpi=dpi)
    if kind == "hand":
        return docgen.fax_tiff([_hand_filled(sheet, index, dpi, rng) for index in range(len(sheet.pages))], dpi=dpi)
    square = [docgen.render_text_image(items, dpi=(dpi[0], dpi[0]), boxes=rules + boxes)
              for items, rules, boxes in zip(sheet.pages, sheet.rules, sheet.boxes)]
    if kind == "rotated":
        if medium == "rotated_fine":  # fed in upside down
            return docgen.fax_tiff([_at(image.rotate(180), dpi) for image in square], dpi=dpi)
        # a sideways scan: a landscape page, a quarter turn either way
        turned = [image.rotate(rng.choice((90, 270)), expand=True) for image in square]
        return docgen.scanned_pdf([image for image in turned], page_mm=(docgen.A4_MM[1], docgen.A4_MM[0]))
    if kind == "skewed":
        return docgen.fax_tiff([_at(_skew(image, rng), dpi) for image in square], dpi=dpi)
    if kind == "speckled":
        return docgen.fax_tiff([_speckle(_at(image, dpi), rng) for image in square], dpi=dpi)
    if kind == "photocopy":
        return docgen.scanned_pdf([_photocopy(image, rng) for image in square])
    if kind == "jpeg":
        return docgen.scanned_pdf([_jpeg(image, rng) for image in square])
    raise ValueError(f"unknown medium {medium!r}")


def _at(square: Image.Image, dpi: tuple[int, int]) -> Image.Image:
    """A page drawn with square pixels at the fax's vertical resolution."""
    if dpi[1] == dpi[0]:
        return square
    return square.resize((square.width, round(square.height * dpi[1] / dpi[0])), Image.Resampling.BOX)


# --- handwriting ----------------------------------------------------------------------------


@functools.lru_cache(maxsize=64)
def _hand_font(path: str, size_px: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, size_px)


@functools.lru_cache(maxsize=4096)
def _has_glyph(path: str, char: str) -> bool:
    """The font draws `char` itself (not its .notdef box)."""
    font = _hand_font(path, 40)
    return bytes(font.getmask(char)) != bytes(font.getmask("\uffff"))


def _hand_filled(sheet, page: int, dpi: tuple[int, int], rng: random.Random) -> Image.Image:
    """The page with its printed parts in IPAex and its values in one writer's hand, then as
    the scanner makes it (a little soft, dust)."""
    xdpi = dpi[0]
    filled = {index: (start, end) for index, start, end, _ in sheet.filled[page]}
    printed = []
    for index, (x, y, text, size) in enumerate(sheet.pages[page]):
        if index not in filled:
            printed.append((x, y, text, size))
            continue
        start, end = filled[index]
        printed.append((x, y, text[:start], size))
        after = docgen.text_extent_mm(x, y, text[:end], size)[2]
        printed.append((after, y, text[end:], size))
    image = docgen.render_text_image([item for item in printed if item[2]], dpi=(xdpi, xdpi),
                                     boxes=sheet.rules[page])
    font_path = rng.choice(HAND_FONTS)
    for index, (x, y, text, size) in enumerate(sheet.pages[page]):
        if index in filled:
            start, end = filled[index]
            left = docgen.text_extent_mm(x, y, text[:start], size)[2]
            _write_by_hand(image, left, y, text[start:end], size, xdpi, font_path, rng)
    draw = ImageDraw.Draw(image)
    for left, top, right, bottom in sheet.boxes[page]:  # masking boxes go over the ink
        draw.rectangle([docgen.mm_to_px(v, xdpi) for v in (left, top, right, bottom)], fill=0)
    image = image.filter(ImageFilter.GaussianBlur(0.5))
    pixels = image.load()
    for _ in range(300):
        pixels[rng.randrange(image.width), rng.randrange(image.height)] = rng.randint(0, 120)
    return _at(image, dpi)


def _write_by_hand(image: Image.Image, x_mm: float, y_mm: float, text: str, size_pt: float, xdpi: int,
                   font_path: str, rng: random.Random) -> None:
    """Characters one by one where the printed text would have put them, each a little off."""
    for index, char in enumerate(text):
        if char.isspace():
            continue
        left = docgen.text_extent_mm(x_mm, y_mm, text[:index], size_pt)[2]
        path = font_path if _has_glyph(font_path, char) else next(
            (p for p in HAND_FONTS if _has_glyph(p, char)), None)
        size_px = round(size_pt * rng.uniform(1.0, 1.25) * PT_MM / 25.4 * xdpi)
        if path is None:
            font = docgen._pil_font(size_px)
        else:
            font = _hand_font(path, size_px)
        glyph = Image.new("L", (size_px * 2, size_px * 2), 0)
        ImageDraw.Draw(glyph).text((size_px // 2, size_px * 3 // 2), char, fill=255, font=font, anchor="ls")
        glyph = glyph.rotate(rng.uniform(-6, 6), resample=Image.Resampling.BICUBIC)
        px = round(docgen.mm_to_px(left, xdpi) - size_px // 2 + rng.uniform(-0.3, 0.3) / 25.4 * xdpi)
        py = round(docgen.mm_to_px(y_mm + rng.uniform(-0.5, 0.5), xdpi) - size_px * 3 // 2)
        image.paste(0, (px, py), glyph)


# --- vertical writing -----------------------------------------------------------------------


def _column_x(y_mm: float) -> float:
    return _COLUMN_RIGHT - (y_mm - _COLUMN_TOP) * _COLUMN_SCALE


def _vertical(sheet) -> tuple[list[list[docgen.TextItem]], list[list[docgen.Rect]]]:
    """Each page's lines as columns, right to left, one item per character stacked a full
    character height apart; rules become vertical lines between the columns, and masking
    boxes cover the characters they covered. `sheet.values` are moved with their text."""
    pages, rects = [], []
    values = iter(sheet.values)
    moved = []
    for page_index, items in enumerate(sheet.pages):
        filled = {index: (start, end, boxed) for index, start, end, boxed in sheet.filled[page_index]}
        chars, page_rects = [], []
        columns: dict[float, float] = {}  # line y → where its column has reached (mm)
        for index, (x, y, text, size) in sorted(enumerate(items), key=lambda e: (e[1][1], e[1][0])):
            em = size * PT_MM
            top = max(x, columns.get(y, 0.0) + em)
            column = _column_x(y)
            placed = []
            for offset, char in enumerate(text):
                char_top = top + offset * em
                if not char.isspace():
                    chars.append((column - em / 2, char_top + 0.88 * em, char, size))
                placed.append(char_top)
            columns[y] = top + len(text) * em
            if index in filled:
                start, end, boxed = filled[index]
                rect = (column - em / 2, placed[start], column + em / 2, top + end * em)
                moved.append((next(values), rect))
                if boxed:
                    page_rects.append((rect[0] - 0.6, rect[1] - 0.6, rect[2] + 0.6, rect[3] + 0.6))
        for x0, y, x1, _ in sheet.rules[page_index]:
            column = _column_x(y)
            page_rects.append((column, x0, column + 0.3, x1))
        pages.append(chars)
        rects.append(page_rects)
    sheet.values[:] = [replace(value, rect=rect) for value, rect in moved]
    return pages, rects


# --- bad scans ------------------------------------------------------------------------------


def _skew(image: Image.Image, rng: random.Random) -> Image.Image:
    angle = rng.choice((-1, 1)) * rng.uniform(1.0, 2.0)
    return image.rotate(angle, resample=Image.Resampling.BICUBIC, fillcolor=255)


def _speckle(image: Image.Image, rng: random.Random) -> Image.Image:
    """A noisy phone line in the fax's own pixels: isolated black specks (1–2 px) all over the
    page, and a few scan lines lost (white across the page)."""
    image = image.copy()
    draw = ImageDraw.Draw(image)
    for _ in range(image.width * image.height // 900):
        x, y = rng.randrange(image.width), rng.randrange(image.height)
        draw.rectangle([x, y, x + rng.randint(0, 1), y + rng.randint(0, 1)], fill=0)
    for _ in range(8):
        y = rng.randrange(image.height)
        draw.line([0, y, image.width, y], fill=255)
    return image


def _photocopy(image: Image.Image, rng: random.Random) -> Image.Image:
    """A copy of a copy: toner greyed (text ~90), paper grey (~185) and darker towards one edge
    (down to ~120, darker than the fax's middle threshold), soft and grainy."""
    text = rng.randint(80, 100)
    paper = rng.randint(180, 195)
    copy = image.point(lambda v: text + (paper - text) * v // 255)
    edge = Image.linear_gradient("L").resize(copy.size)  # 0 at the top, 255 at the bottom
    if rng.random() < 0.5:
        edge = edge.transpose(Image.Transpose.FLIP_TOP_BOTTOM)
    shadow = edge.point(lambda v: max(0, v - 190) * 70 // 65)  # the last quarter darkens by up to 70
    copy = ImageChops.subtract(copy, shadow)
    copy = copy.filter(ImageFilter.GaussianBlur(0.8))
    # Grain from the sample's own generator (Image.effect_noise is not seeded): a quarter of
    # the pixels up to ~28 darker.
    noise = Image.frombytes("L", copy.size, rng.randbytes(copy.width * copy.height)).point(
        lambda v: max(0, v - 192) * 28 // 63)
    return ImageChops.subtract(copy, noise)


def _jpeg(image: Image.Image, rng: random.Random) -> Image.Image:
    """A greyscale scan saved as JPEG at a low quality: ringing and blocks around strokes."""
    soft = image.filter(ImageFilter.GaussianBlur(0.7)).point(lambda v: 40 + v * 190 // 255)
    buffer = io.BytesIO()
    soft.save(buffer, format="JPEG", quality=rng.randint(20, 35))
    return Image.open(io.BytesIO(buffer.getvalue())).convert("L")


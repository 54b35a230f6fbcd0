"""What the page image shows, measured with Pillow alone (no numpy): ink under a box, solid
black areas (masking bars), long ruled lines.

Everything is judged on the page as the fax carries it: black and white at the middle grey
threshold, so light-grey text that the fax machine drops counts as not shown.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import accumulate

from PIL import Image, ImageChops, ImageFilter

from policies.layout import Box

FAX_THRESHOLD = 128
_BILEVEL = [0 if v < FAX_THRESHOLD else 255 for v in range(256)]
_BLACK_SHARE = [1.0 if v < FAX_THRESHOLD else 0.0 for v in range(256)]
_ALL_BLACK = [255 if v == 0 else 0 for v in range(256)]  # a reduced block black throughout
# A solid area is black throughout a 12×12-pixel square at least (a masking bar over 6 pt text
# is taller); strokes of text, even bold 16 pt headings, are thinner.
_SOLID_CELL = 4
_SOLID_MEAN = 40
# Ruled lines: black runs at least this long (~1 cm at fax resolution).
RULE_LENGTH = 80


def bilevel(image: Image.Image) -> Image.Image:
    """The page as the fax carries it: every pixel 0 or 255 (mode 'L')."""
    return image.point(_BILEVEL)


def packed_bits(image: Image.Image) -> bytes:
    """The page as the fax carries it, one bit a pixel (packed '1' rows), thresholded straight
    to bits: `convert("1")` would dither first, at ~20 ms a fax page."""
    return image.point(_BILEVEL, "1").tobytes()


def dark_fraction(bw: Image.Image, box: Box, inset: int = 1) -> float:
    """Share of black pixels of a bilevel image inside `box` (shrunk by `inset` pixels so
    anti-aliased neighbours do not count)."""
    left, top, right, bottom = _inside(bw, box, inset)
    if right <= left or bottom <= top:
        return 0.0
    histogram = bw.crop((left, top, right, bottom)).histogram()
    return histogram[0] / ((right - left) * (bottom - top))


def dark_fractions(image: Image.Image, boxes: Sequence[Box], inset: int = 1) -> list[float]:
    """dark_fraction of every box of the page as the fax carries it (`image` grey or already
    bilevel: black below FAX_THRESHOLD), exactly, at a fraction of the cost of one crop per
    box: the characters of a text line share their boxes' top and bottom, so each such band
    is cropped once and its black pixels counted per column (a mean over the band's height)."""
    inside = [_inside(image, box, inset) for box in boxes]
    bands: dict[tuple[int, int], list[int]] = {}
    for index, (left, top, right, bottom) in enumerate(inside):
        if right > left and bottom > top:
            bands.setdefault((top, bottom), []).append(index)
    shares = [0.0] * len(boxes)
    for (top, bottom), members in bands.items():
        start = min(inside[i][0] for i in members)
        end = max(inside[i][2] for i in members)
        height = bottom - top
        black = image.crop((start, top, end, bottom)).point(_BLACK_SHARE, "F").reduce((1, height))
        # The share of black in each column, summed from the left: float32 columns summed as
        # doubles stay within 1/100 of a pixel of the exact count across a page.
        black_before = list(accumulate(black.get_flattened_data(), initial=0.0))
        for i in members:
            left, _, right, _ = inside[i]
            count = round((black_before[right - start] - black_before[left - start]) * height)
            shares[i] = count / ((right - left) * height)
    return shares


def _inside(bw: Image.Image, box: Box, inset: int) -> tuple[int, int, int, int]:
    """`box` shrunk by `inset` pixels, in whole pixels, within the image."""
    return (max(0, int(box[0]) + inset), max(0, int(box[1]) + inset),
            min(bw.width, int(box[2]) - inset), min(bw.height, int(box[3]) - inset))


def darkest_around(image: Image.Image) -> Image.Image:
    """Each pixel the darkest of its 3×3 neighbourhood, edges replicated: what
    `ImageFilter.MinFilter(3)` gives, as one minimum across and one down (four `darker`
    passes over shifted copies, several times cheaper than the rank filter on a fax page)."""
    across = _extreme_of_neighbours(image, (1, 0), ImageChops.darker)
    return _extreme_of_neighbours(across, (0, 1), ImageChops.darker)


def lightest_around(image: Image.Image) -> Image.Image:
    """Each pixel the lightest of its 3×3 neighbourhood: `ImageFilter.MaxFilter(3)`, as darkest_around."""
    across = _extreme_of_neighbours(image, (1, 0), ImageChops.lighter)
    return _extreme_of_neighbours(across, (0, 1), ImageChops.lighter)


def _extreme_of_neighbours(image: Image.Image, step: tuple[int, int], pick) -> Image.Image:
    width, height = image.size
    dx, dy = step
    if width <= dx or height <= dy:
        return image.copy()
    # offset() wraps around: the row or column that wrapped gets the edge's own pixels back.
    before = ImageChops.offset(image, dx, dy)  # the pixel left of (above) each
    before.paste(image.crop((0, 0, dx or width, dy or height)), (0, 0))
    after = ImageChops.offset(image, -dx, -dy)  # the pixel right of (below) each
    after.paste(image.crop((width - dx if dx else 0, height - dy if dy else 0, width, height)),
                (width - dx if dx else 0, height - dy if dy else 0))
    return pick(image, pick(before, after))


def solid_mask(image: Image.Image) -> Image.Image:
    """Mode 'L' mask, 255 over solid black areas (and a 4-pixel ring around them), 0 elsewhere."""
    small = image.reduce(_SOLID_CELL)
    if small.getextrema()[0] >= _SOLID_MEAN:
        return Image.new("L", image.size, 0)
    solid = small.point([255 if v < _SOLID_MEAN else 0 for v in range(256)])
    # Erode by one cell (a 3×3 box average is 255 only where all nine cells are solid), then
    # grow by two (any solid cell within a 5×5 box): box blurs, much cheaper than rank filters.
    solid = solid.filter(ImageFilter.BoxBlur(1)).point([255 if v >= 250 else 0 for v in range(256)])
    solid = solid.filter(ImageFilter.BoxBlur(2)).point([255 if v > 0 else 0 for v in range(256)])
    return solid.resize(image.size, Image.Resampling.NEAREST)


def rules_mask(bw: Image.Image) -> Image.Image:
    """Mode 'L' mask, 255 over horizontal and vertical black runs of a bilevel image at
    least RULE_LENGTH long (ruled lines, table borders, edges of boxes) and a little around
    them. A run that long always covers a whole aligned block of half its length, which a
    reduced image shows as pure black; one block each side covers the run's ends."""
    block = RULE_LENGTH // 2
    masks = []
    for factor in ((block, 1), (1, block)):
        reduced = bw.reduce(factor).point(_ALL_BLACK)
        if not reduced.getbbox():
            continue
        grown = lightest_around(reduced).resize((reduced.width * factor[0], reduced.height * factor[1]),
                                                Image.Resampling.NEAREST)
        masks.append(grown.crop((0, 0, *bw.size)) if grown.size != bw.size else grown)
    if not masks:
        return Image.new("L", bw.size, 0)
    return masks[0] if len(masks) == 1 else ImageChops.lighter(*masks)  # both 0 or 255: their union


# Placeholders (＊＊＊＊, ○○ ○○, ×××) are one shape repeated; OCR reads them as random kana
# and kanji, so they are recognised from the image: split the value where a column holds no
# ink, and see whether one piece's shape makes up nearly all of them. A name's pieces (the
# strokes of 川, the radicals of 佐) differ; a repeated kanji is one piece among several.
_SHAPE_SIZE = 16
_SPECK_PIXELS = 6
_SAME_SHAPE_DIFFERENCE = 28  # mean absolute difference of two 16×16 shapes, 0–255
_REPEATED_SHARE = 0.75
_SEPARATOR_HEIGHT = 4  # a piece at most a quarter as high as the tallest: a hyphen, a dot


def despeckle(bw: Image.Image) -> Image.Image:
    """A bilevel image without isolated black pixels (scanner dust would make pieces of its
    own or stretch one). Thin strokes survive: every pixel of a line has a neighbour."""
    neighbours = ImageChops.invert(bw).filter(ImageFilter.BoxBlur(1))  # 255·(black pixels in 3×3)/9
    keep = neighbours.point([255 if v >= 50 else 0 for v in range(256)])
    return ImageChops.lighter(bw, ImageChops.invert(keep))


def ink_pieces(bw: Image.Image, box: Box) -> list[Box]:
    """The pieces of ink inside `box` of a bilevel image, split at every column without ink,
    each trimmed to its ink."""
    left, top, right, bottom = (max(0, int(box[0])), max(0, int(box[1])), min(bw.width, int(box[2]) + 1),
                                min(bw.height, int(box[3]) + 1))
    if right <= left or bottom <= top:
        return []
    region = despeckle(bw.crop((left, top, right, bottom)))
    columns = region.reduce((1, region.height)).tobytes()  # each column's mean: 255 = no ink
    pieces = []
    start = None
    for x, mean in enumerate(columns + b"\xff"):
        if mean != 255 and start is None:
            start = x
        elif mean == 255 and start is not None:
            first, last = _ink_rows(region.crop((start, 0, x, region.height)))
            pieces.append((left + start, top + first, left + x, top + last))
            start = None
    return pieces


def _ink_rows(piece: Image.Image) -> tuple[int, int]:
    """The rows a piece's ink spans, leaving out specks apart from it (a few pixels of dust
    above a ○ would make it another shape)."""
    width = piece.width
    ink = [round((255 - mean) * width / 255) for mean in piece.reduce((width, 1)).tobytes()]
    runs: list[list[int]] = []  # [first row, last row + 1, ink]
    for row, count in enumerate(ink):
        if not count:
            continue
        if runs and runs[-1][1] == row:
            runs[-1][1] += 1
            runs[-1][2] += count
        else:
            runs.append([row, row + 1, count])
    kept = [run for run in runs if run[2] >= _SPECK_PIXELS] or runs
    return kept[0][0], kept[-1][1]


def looks_like_placeholders(bw: Image.Image, box: Box, share: float = _REPEATED_SHARE) -> bool:
    """At least two pieces of ink in `box`, three in four of them (`share`) the same shape:
    ＊＊ ＊＊, ○○○, ××××, ●● — not a name, a number or a date, whatever OCR read there."""
    # OCR's boxes cut characters and leave some out: take whole pieces that reach to within
    # half a line height of the box.
    reach = (box[3] - box[1]) / 2
    pieces = [p for p in ink_pieces(bw, (box[0] - 4 * reach, box[1], box[2] + 4 * reach, box[3]))
              if p[2] > box[0] - reach and p[0] < box[2] + reach]
    # The hyphens and dots a masked number or date keeps (＊＊＊-＊＊＊＊, ＊＊.＊＊) are no
    # shape of their own: ＊＊＊ ‐ ＊ is placeholders, not 3 of 5 pieces alike.
    tallest = max((p[3] - p[1] for p in pieces), default=0)
    pieces = [p for p in pieces if (p[3] - p[1]) * _SEPARATOR_HEIGHT > tallest]
    if len(pieces) < 2:
        return False
    shapes = [despeckle(bw.crop(p)).resize((_SHAPE_SIZE, _SHAPE_SIZE), Image.Resampling.BOX) for p in pieces]
    sizes = [(p[2] - p[0], p[3] - p[1]) for p in pieces]
    best = 0
    for i, shape in enumerate(shapes):
        same = sum(1 for j, other in enumerate(shapes)
                   if _similar_size(sizes[i], sizes[j]) and _difference(shape, other) < _SAME_SHAPE_DIFFERENCE)
        best = max(best, same)
    return best >= share * len(shapes)


def _similar_size(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return all(abs(x - y) <= max(2, 0.2 * max(x, y)) for x, y in zip(a, b))


def _difference(a: Image.Image, b: Image.Image) -> float:
    histogram = ImageChops.difference(a, b).histogram()
    return sum(value * count for value, count in enumerate(histogram)) / (_SHAPE_SIZE * _SHAPE_SIZE)

"""A page's text as lines and cells with a box per character, whatever it was read from.

A PDF text layer lists characters in content-stream order; OCR lists words block by block
(tesseract reads a roster column by column). Both are turned into the same thing: glyphs
grouped into lines by where they sit, each line read left to right, a tab where a wide gap
separates two cells, and a box for every character so a finding can be shown on the page
and its pixels checked. The recognizers read the normalised text of this layout (`TextView`).
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Sequence

from policies.textnorm import Normalised, normalise

Box = tuple[float, float, float, float]  # left, top, right, bottom in page-image pixels

# A gap wider than this many line heights separates two cells (form columns, table cells).
CELL_GAP = 1.6
# Glyphs whose vertical extents overlap by this share of the smaller height sit on one line.
SAME_LINE_OVERLAP = 0.5
# Vertical writing: steps from one character to the next within this many character sizes
# count, and a page needs this many steps down (and twice as many as across) to be vertical.
VERTICAL_STEP = 2.5
MIN_VERTICAL_STEPS = 10


@dataclass(frozen=True)
class Glyph:
    char: str  # one character from a text layer, or a word from OCR
    box: Box


@dataclass(frozen=True)
class PageText:
    """`text` is the page's lines joined by newlines, cells separated by tabs; `boxes[i]` is
    the box of `text[i]` (None for separators this layout inserted)."""

    text: str
    boxes: tuple[Box | None, ...]

    def box(self, start: int, end: int) -> Box | None:
        """The union of the boxes of characters [start, end)."""
        found = [b for b in self.boxes[start:end] if b is not None]
        if not found:
            return None
        return (min(b[0] for b in found), min(b[1] for b in found), max(b[2] for b in found), max(b[3] for b in found))

    def with_chars_replaced(self, replacements: dict[int, str]) -> "PageText":
        """The same layout with some characters replaced (hidden characters shown as ■)."""
        chars = list(self.text)
        for index, char in replacements.items():
            chars[index] = char
        return replace(self, text="".join(chars))

    @cached_property
    def view(self) -> "TextView":
        return TextView(self, normalise(self.text))


def plain_text(text: str) -> PageText:
    """Text without geometry (a caller that only has a string)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return PageText(text, (None,) * len(text))


def lay_out(glyphs: Sequence[Glyph], space_gap: float, vertical: bool = False) -> PageText:
    """Group glyphs into lines and read each left to right. A gap wider than `space_gap` line
    heights reads as a space, except between two CJK characters (OCR of Japanese does not
    separate words reliably; a text layer writes its own spaces). `vertical`: the page is
    written in columns (縦書き), read top to bottom, right to left; boxes stay the page's."""
    if vertical:
        turned = lay_out([Glyph(g.char, _turned(g.box)) for g in glyphs], space_gap)
        return PageText(turned.text, tuple(None if b is None else _unturned(b) for b in turned.boxes))
    lines = _group_lines([g for g in glyphs if g.box[2] > g.box[0] and g.box[3] > g.box[1]])
    chars: list[str] = []
    boxes: list[Box | None] = []
    for number, line in enumerate(lines):
        if number:
            chars.append("\n")
            boxes.append(None)
        height = sorted(g.box[3] - g.box[1] for g in line)[len(line) // 2]
        previous: Glyph | None = None
        for glyph in line:
            if previous is not None:
                gap = glyph.box[0] - previous.box[2]
                if gap > CELL_GAP * height:
                    separator = "\t"
                elif gap > space_gap * height and not (
                    _is_cjk(previous.char[-1]) and _is_cjk(glyph.char[0])
                ):
                    separator = " "
                else:
                    separator = None
                if separator == "\t" and chars[-1] == " ":
                    chars[-1] = "\t"  # a written space before a wide gap: the cell ends there
                elif separator and not (previous.char.isspace() or glyph.char.isspace()):
                    chars.append(separator)
                    boxes.append(None)
            for index, char in enumerate(glyph.char):
                chars.append(" " if char.isspace() and char != "\t" else char)
                boxes.append(glyph.box if len(glyph.char) == 1 else _share(glyph, index))
            previous = glyph
    return PageText("".join(chars), tuple(boxes))


def written_vertically(glyphs: Sequence[Glyph]) -> bool:
    """Whether a text layer's characters (in its own order) run down columns rather than
    along lines: most steps from one character to the next go straight down."""
    down = across = 0
    previous = None
    for glyph in glyphs:
        if glyph.char.isspace() or glyph.box[2] <= glyph.box[0]:
            continue
        if previous is not None:
            size = max(previous.box[2] - previous.box[0], previous.box[3] - previous.box[1])
            dx = (glyph.box[0] + glyph.box[2] - previous.box[0] - previous.box[2]) / 2
            dy = (glyph.box[1] + glyph.box[3] - previous.box[1] - previous.box[3]) / 2
            if abs(dx) < 0.5 * size and 0 < dy < VERTICAL_STEP * size:
                down += 1
            elif abs(dy) < 0.5 * size and 0 < dx < VERTICAL_STEP * size:
                across += 1
        previous = glyph
    return down >= MIN_VERTICAL_STEPS and down > 2 * across


def _turned(box: Box) -> Box:
    """A box on a page turned a quarter counter-clockwise: columns read right to left become
    lines read top to bottom."""
    left, top, right, bottom = box
    return (top, -right, bottom, -left)


def _unturned(box: Box) -> Box:
    left, top, right, bottom = box
    return (-bottom, left, -top, right)


def _share(glyph: Glyph, index: int) -> Box:
    """The part of a multi-character glyph's box that its `index`-th character takes."""
    left, top, right, bottom = glyph.box
    width = (right - left) / len(glyph.char)
    return (left + index * width, top, left + (index + 1) * width, bottom)


def _is_cjk(char: str) -> bool:
    code = ord(char)
    return 0x3000 <= code <= 0x9FFF or 0xF900 <= code <= 0xFAFF or 0xFF00 <= code <= 0xFFEF


def _group_lines(glyphs: list[Glyph]) -> list[list[Glyph]]:
    """Lines top to bottom, each left to right. A glyph joins the open line it overlaps most
    vertically; lines close once a glyph starts below their bottom."""
    ordered = sorted(glyphs, key=lambda g: ((g.box[1] + g.box[3]) / 2, g.box[0]))
    closed: list[list[Glyph]] = []
    open_lines: list[tuple[list[Glyph], list[float]]] = []  # glyphs, [top, bottom]
    for glyph in ordered:
        top, bottom = glyph.box[1], glyph.box[3]
        still_open = []
        for line, extent in open_lines:
            if extent[1] < top:
                closed.append(line)
            else:
                still_open.append((line, extent))
        open_lines = still_open
        best, best_overlap = None, 0.0
        for line, extent in open_lines:
            overlap = min(bottom, extent[1]) - max(top, extent[0])
            smaller = min(bottom - top, extent[1] - extent[0])
            if overlap >= SAME_LINE_OVERLAP * smaller and overlap > best_overlap:
                best, best_overlap = (line, extent), overlap
        if best is None:
            open_lines.append(([glyph], [top, bottom]))
        else:
            line, extent = best
            line.append(glyph)
            if bottom - top <= 1.5 * (extent[1] - extent[0]):  # a tall bracket does not stretch the line
                extent[0], extent[1] = min(extent[0], top), max(extent[1], bottom)
    closed.extend(line for line, _ in open_lines)
    closed.sort(key=lambda line: min(g.box[1] for g in line))
    return [sorted(line, key=lambda g: g.box[0]) for line in closed]


class TextView:
    """What recognizers read: the normalised text of a `PageText`, its lines, and the page
    boxes behind any span of it."""

    def __init__(self, page: PageText, normalised: Normalised):
        self.page = page
        self.normalised = normalised
        self.text = normalised.text
        self.line_starts = [0] + [i + 1 for i, c in enumerate(self.text) if c == "\n"]
        self.has_geometry = any(b is not None for b in page.boxes)

    def page_span(self, start: int, end: int) -> tuple[int, int]:
        return self.normalised.source_span(start, end)

    def box(self, start: int, end: int) -> Box | None:
        return self.page.box(*self.page_span(start, end))

    def char_box(self, index: int) -> Box | None:
        return self.page.boxes[self.normalised.starts[index]] if index < len(self.text) else None

    def line_number(self, offset: int) -> int:
        return bisect.bisect_right(self.line_starts, offset) - 1

    def line_bounds(self, number: int) -> tuple[int, int]:
        start = self.line_starts[number]
        end = self.line_starts[number + 1] - 1 if number + 1 < len(self.line_starts) else len(self.text)
        return start, end

    def lines_around(self, offset: int, before: int, after: int) -> str:
        number = self.line_number(offset)
        first = max(0, number - before)
        last = min(len(self.line_starts) - 1, number + after)
        return self.text[self.line_bounds(first)[0]: self.line_bounds(last)[1]]

    def column_span(self, line: int, left: float, right: float) -> tuple[int, int] | None:
        """The characters of line `line` whose centres lie between `left` and `right` (pixels),
        as a normalised span; None when there are none."""
        start, end = self.line_bounds(line)
        inside = []
        for index in range(start, end):
            box = self.char_box(index)
            if box is not None and left <= (box[0] + box[2]) / 2 < right:
                inside.append(index)
        if not inside:
            return None
        return inside[0], inside[-1] + 1

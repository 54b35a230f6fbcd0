"""Label → value pairing: which text on a page is the value of which label.

Forms put a value after its label on the same line (氏名：山田 太郎), in the next cell
(氏名 | 山田 太郎), on the line below, or — in rosters — in the column under a header row
(氏名 | 生年月日 | 住所 …, one person per line). The recognizers validate each value for its
category; this module only finds where values are.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from policies.labels import CATEGORY_OF_LABEL, LABEL, misread_label
from policies.layout import TextView

# What may stand between a label and its value: spaces, colons, and a short note in
# brackets (氏名(自署), 生年月日(西暦)).
_SEPARATORS = re.compile(r"(?:[ :=／/]|\([^()\n\t]{0,12}\))*")
_PARTICLES = frozenset("をはがにのでとへもやか")
# A header row's columns are read this far down (a roster page holds ~50 lines).
MAX_ROWS = 80


@dataclass(frozen=True)
class Field:
    """A label and its value; a label without a value has start == end."""

    category: str  # the label's category (see policies.labels), or "neutral"
    label: str
    label_start: int  # offsets into the view's normalised text
    label_end: int
    start: int  # the value; start == end when the label has none
    end: int


@dataclass(frozen=True)
class _Label:
    start: int
    end: int
    category: str


def find_fields(view: TextView) -> list[Field]:
    text = view.text
    labels = [_Label(m.start(), m.end(), CATEGORY_OF_LABEL[m.group(0)]) for m in LABEL.finditer(text)]
    starts = {label.start for label in labels}
    by_line: dict[int, list[_Label]] = {}
    for label in labels:
        by_line.setdefault(view.line_number(label.start), []).append(label)
    fields: list[Field] = []
    headers: list[tuple[int, list[_Label]]] = []
    for line, on_line in by_line.items():
        _, line_end = view.line_bounds(line)
        empty = []
        for index, label in enumerate(on_line):
            if text[label.end:label.end + 1] in _PARTICLES:
                continue  # running text (症状は安定), not a label: no value here or below
            limit = on_line[index + 1].start if index + 1 < len(on_line) else line_end
            span = _value_after(text, label.end, limit, starts)
            if span is None:
                empty.append(label)
            else:
                fields.append(Field(label.category, text[label.start:label.end], label.start, label.end, *span))
        if len(empty) >= 2 and view.has_geometry:
            headers.append((line, empty))
        else:
            for label in empty:
                fields.extend(_value_below(view, line, label, starts))
    for line, header in headers:
        fields.extend(_columns(view, line, header, set(by_line), starts))
    # Labels left without a value still say what the page is about (氏名 over a masked name).
    valued = {field.label_start for field in fields}
    fields.extend(Field(label.category, text[label.start:label.end], label.start, label.end, label.end, label.end)
                  for label in labels if label.start not in valued)
    return fields


def _value_after(text: str, position: int, limit: int, label_starts: set[int]) -> tuple[int, int] | None:
    """The value on the label's own line: after separators, in the same cell or, when the
    label stands alone in its cell, the next cell. None when there is none."""
    position = _SEPARATORS.match(text, position, limit).end()
    if position < limit and text[position] == "\t":
        position = _SEPARATORS.match(text, position + 1, limit).end()
    if position >= limit or text[position] in "\t\n" or position in label_starts:
        return None
    end = position
    while end < limit and text[end] not in "\t\n":
        end += 1
    end = _strip_end(text, position, end)
    return (position, end) if end > position and not misread_label(text[position:end]) else None


def _strip_end(text: str, start: int, end: int) -> int:
    while end > start and text[end - 1] in " :":
        end -= 1
    return end


def _value_below(view: TextView, line: int, label: _Label, label_starts: set[int]) -> list[Field]:
    """A label alone at the end of its line: its value is the next line's first cell (below
    the label, when the page has geometry)."""
    if line + 1 >= len(view.line_starts):
        return []
    start, end = view.line_bounds(line + 1)
    if view.has_geometry:
        label_box = view.box(label.start, label.end)
        height = label_box[3] - label_box[1]
        span = view.column_span(line + 1, label_box[0] - 2 * height, float("inf"))
        if span is None:
            return []
        start = span[0]
    while start < end and view.text[start] == " ":
        start += 1
    if start in label_starts:
        return []
    cell_end = view.text.find("\t", start, end)
    cell_end = _strip_end(view.text, start, end if cell_end < 0 else cell_end)
    if cell_end <= start or misread_label(view.text[start:cell_end]):
        return []
    return [Field(label.category, view.text[label.start:label.end], label.start, label.end, start, cell_end)]


def _columns(view: TextView, line: int, header: list[_Label], label_lines: set[int],
             label_starts: set[int]) -> list[Field]:
    """Values in the columns under a header row, one per row, until the next header row."""
    boxes = [view.box(label.start, label.end) for label in header]
    height = max(box[3] - box[1] for box in boxes)
    lefts = [box[0] - 0.6 * height for box in boxes]
    extents = [(left, lefts[i + 1] if i + 1 < len(lefts) else float("inf")) for i, left in enumerate(lefts)]
    fields = []
    last = min(len(view.line_starts) - 1, line + MAX_ROWS)
    misses = 0
    for row in range(line + 1, last + 1):
        if row in label_lines and _is_header(view, row):
            break
        placed = []
        for cell_start, cell_end in _cells(view, row):
            box = view.box(cell_start, cell_end)
            if box is None or cell_start in label_starts:
                continue
            overlaps = [min(box[2], right) - max(box[0], left) for left, right in extents]
            best = max(range(len(header)), key=lambda i: overlaps[i])
            if overlaps[best] > 0:
                placed.append((best, cell_start, cell_end))
        # A table row fills two columns or more; a line with one cell is the form going on
        # below a row of labels whose values are masked or empty, not a row of this table.
        if len({column for column, _, _ in placed}) < 2:
            misses += 1
            if misses == 2:
                break
            continue
        misses = 0
        for column, cell_start, cell_end in placed:
            label = header[column]
            fields.append(Field(label.category, view.text[label.start:label.end], label.start, label.end,
                                cell_start, cell_end))
    return fields


def _is_header(view: TextView, row: int) -> bool:
    start, end = view.line_bounds(row)
    return sum(1 for _ in LABEL.finditer(view.text, start, end)) >= 2


def _cells(view: TextView, row: int) -> list[tuple[int, int]]:
    start, end = view.line_bounds(row)
    cells = []
    cell_start = start
    for index in range(start, end + 1):
        if index == end or view.text[index] == "\t":
            stripped_start = cell_start
            while stripped_start < index and view.text[stripped_start] == " ":
                stripped_start += 1
            stripped_end = _strip_end(view.text, stripped_start, index)
            if stripped_end > stripped_start:
                cells.append((stripped_start, stripped_end))
            cell_start = index + 1
    return cells

"""Plain-text tables that line up with Japanese (full-width) text on a terminal."""

from __future__ import annotations

import unicodedata


def display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - display_width(text))


def render_table(headers: list[str], rows: list[list[str]], max_width: int = 60) -> str:
    rows = [[_clip(str(cell), max_width) for cell in row] for row in rows]
    widths = [display_width(h) for h in headers]
    for row in rows:
        widths = [max(w, display_width(cell)) for w, cell in zip(widths, row)]
    lines = ["  ".join(_pad(h, w) for h, w in zip(headers, widths)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines.extend("  ".join(_pad(cell, w) for cell, w in zip(row, widths)).rstrip() for row in rows)
    return "\n".join(lines)


def _clip(text: str, max_width: int) -> str:
    if display_width(text) <= max_width:
        return text
    out, width = [], 0
    for char in text:
        width += display_width(char)
        if width > max_width - 1:
            break
        out.append(char)
    return "".join(out) + "…"

"""What every recognizer shares: the hit it reports, placeholders, and the contexts that
make a value business data rather than a resident's."""

from __future__ import annotations

import re
from dataclasses import dataclass

from policies.allowlist import AllowList
from policies.fields import Field
from policies.labels import CONTACT_LABELS, ORGANISATION
from policies.layout import TextView

# What stands in for a masked character, after NFKC (＊ → *, Ｘ → X). HIDDEN replaces a
# character that the rendered page does not show (under a black box, or not drawn).
HIDDEN = "■"
MASK_CHARS = frozenset("*■□●○◯〇×✕✖xX※◆◇▲△▼▽")
_CONTACT = re.compile("|".join(sorted(CONTACT_LABELS, key=len, reverse=True)))


@dataclass(frozen=True)
class Hit:
    category: str
    start: int  # the value, in the view's normalised text
    end: int
    masked: bool = False


def is_placeholder(text: str) -> bool:
    """The value is only placeholders (＊＊＊＊, ■■ ■■, ●●●-●●●●): masked."""
    letters = [c for c in text if not c.isspace() and c not in "-/.()年月日"]
    return bool(letters) and all(c in MASK_CHARS for c in letters)


def count_masks(text: str) -> int:
    return sum(1 for c in text if c in MASK_CHARS)


def fields_of(fields: list[Field], *categories: str) -> list[Field]:
    return [f for f in fields if f.category in categories and f.end > f.start]


def field_containing(fields: list[Field], start: int, end: int) -> Field | None:
    for field in fields:
        if field.start <= start and end <= field.end:
            return field
    return None


def on_contact_line(view: TextView, offset: int) -> bool:
    """A contact label (担当, 発信者…) earlier on the same line: the office's own staff."""
    line_start, _ = view.line_bounds(view.line_number(offset))
    return bool(_CONTACT.search(view.text, line_start, offset))


def business_context(view: TextView, offset: int, allow: AllowList, lines_before: int = 0, lines_after: int = 0) -> bool:
    """An organisation named on the value's line (or the lines given around it)."""
    text = view.lines_around(offset, lines_before, lines_after)
    return bool(ORGANISATION.search(text)) or allow.names_organisation(text)

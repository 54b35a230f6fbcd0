"""Whether what is written in a form's personal fields was read with confidence.

A page can be read well on average while the one thing that matters is not: a form printed
clearly and filled in by hand (the labels read at 90+, the name written beside 氏名 at 30),
or a name OCR skipped entirely. A careful reader stops there: a field that holds personal
data (氏名, 住所, 生年月日 and their kin) with something written in it that could not be read
with confidence holds the job. An empty field, a masked one (its bar is painted out before
OCR) and one filled with placeholders (＊＊＊, ○○○) do not.
"""

from __future__ import annotations

from collections.abc import Sequence

from PIL import Image

from policies.fields import Field, find_fields
from policies.image_reading import weighted_confidence
from policies.ink import dark_fraction, looks_like_placeholders
from policies.labels import LABEL
from policies.layout import Box, TextView
from policies.ocr import OcrWord

# Fields whose value is personal data wherever it is written.
PERSONAL_FIELDS = frozenset(("name", "address", "birth_date"))
# Ink covering this share of the value's area, beyond what was read with confidence, is
# writing (a stroke or two of a character); less is dust, a tick, the edge of a box.
UNREAD_INK_SHARE = 0.01
# How far right of its label a field's value is looked for when OCR read none there (in
# label heights): the width of a form's value cell.
VALUE_REACH = 40
_PLACEHOLDER_READINGS = frozenset("xX×✕*＊※米ホ○〇◯OoQ●■□◆◇ー－-一_")
_DATE_PARTS = frozenset("年月日/.／・")
_PLACEHOLDER_SHARE = 0.7
_SLIVER = 0.3  # label heights
_PLACEHOLDER_SHARE_AMONG_WORDS = 0.5  # as policies.screen judges a page's confidence
_REPEATED_SHARE = 0.75  # policies.ink's default


def doubtful_field(view: TextView, words: Sequence[OcrWord], ink: Image.Image, min_confidence: float) -> Field | None:
    """The first personal field whose value is written but not read with confidence: the
    words read as its value average below `min_confidence` (weighted by characters), or,
    where none were read, ink lies beside its label that no confident word accounts for. `ink` is the page as OCR saw it (bilevel,
    bars, rules and specks painted white), in the words' pixels."""
    confident = [w.box for w in words if w.confidence >= min_confidence]
    for field in find_fields(view):
        if field.category not in PERSONAL_FIELDS:
            continue
        label = view.box(field.label_start, field.label_end)
        if label is None:
            continue
        if field.end > field.start and view.line_number(field.start) > view.line_number(field.label_start) + 1:
            continue  # a roster's column: its printed ＊＊＊ read as kana defeat this check (see docs)
        value = view.text[field.start:field.end]
        # Read: a letter or digit, itself on more than a sliver (the edge of a bar read as 1
        # or l; the slivers either end of a row of ●●● a masking bar took, read + and ュ, are
        # slivers however far apart).
        sliver = _SLIVER * (label[3] - label[1])
        read = any(c.isalnum() and c not in _DATE_PARTS and (b := view.box(i, i + 1)) is not None
                   and b[2] - b[0] >= sliver for i, c in enumerate(value, field.start))
        region = _value_region(view, field, label, read)
        # Beside a label where OCR read no letter, ＊＊＊＊年＊＊月＊日 is half stars at least.
        share = _PLACEHOLDER_SHARE_AMONG_WORDS if not read else _REPEATED_SHARE
        if region is None or _placeholder_text(value) or looks_like_placeholders(ink, region, share):
            continue
        if read:
            if _mean_confidence(words, region, ink, min_confidence) < min_confidence:
                return field
        elif _unread_ink(ink, region, confident) > UNREAD_INK_SHARE:  # no letter read: is anything written?
            return field
    return None


def _value_region(view: TextView, field: Field, label: Box, read: bool) -> Box | None:
    """Where the field's value is: its text's box when OCR read one (`read`: with a letter
    or digit), else the band of the label's line from the label to the next label on that
    line (or a cell's width)."""
    height = label[3] - label[1]
    if height <= 0:
        return None
    if read:
        left, top, right, bottom = view.box(field.start, field.end)
        if view.line_number(field.start) == view.line_number(field.label_start):
            # as high as the label's line at least: a hand writes bigger than print
            top, bottom = min(top, label[1] - 0.3 * height), max(bottom, label[3] + 0.3 * height)
        return (left, top, right, bottom)
    line_start, line_end = view.line_bounds(view.line_number(field.label_start))
    right = label[2] + VALUE_REACH * height
    for match in LABEL.finditer(view.text, field.label_end, line_end):
        box = view.box(match.start(), match.end())
        if box is not None and box[0] > label[2]:
            right = min(right, box[0])
            break
    return (label[2] + 0.5 * height, label[1] - 0.3 * height, right, label[3] + 0.3 * height)


def _placeholder_text(text: str) -> bool:
    """What OCR makes of ＊＊＊ and ○○○ written by hand (xX, OQ〇, ーー): a value of such
    characters, dates' 年月日 and separators aside, holds nothing to read."""
    meaningful = [c for c in text if not c.isspace() and c not in _DATE_PARTS]
    return bool(meaningful) and sum(c in _PLACEHOLDER_READINGS for c in meaningful) >= _PLACEHOLDER_SHARE * len(meaningful)


def reads_as_placeholders(words: Sequence[OcrWord], box: Box) -> bool:
    """The OCR words over `box` read as placeholders written by hand (their shapes vary too
    much for policies.ink.looks_like_placeholders)."""
    return _placeholder_text("".join(w.text for w in words if _overlaps(w.box, box)))


def _mean_confidence(words: Sequence[OcrWord], region: Box, ink: Image.Image, threshold: float) -> float:
    """The words' confidence over the region, weighed as for the page's confidence
    (policies.image_reading.weighted_confidence: placeholders aside)."""
    total, count = weighted_confidence([w for w in words if _overlaps(w.box, region)], ink, threshold)
    return total / count if count else 100.0


def _unread_ink(ink: Image.Image, region: Box, confident: Sequence[Box]) -> float:
    """Share of the region's area that is ink outside every confidently read word."""
    left, top, right, bottom = (max(0, int(region[0])), max(0, int(region[1])),
                                min(ink.width, int(region[2])), min(ink.height, int(region[3])))
    if right <= left or bottom <= top:
        return 0.0
    crop = ink.crop((left, top, right, bottom))
    for box in confident:
        if _overlaps(box, (left, top, right, bottom)):
            crop.paste(255, (int(box[0]) - left, int(box[1]) - top, int(box[2]) - left + 1, int(box[3]) - top + 1))
    return dark_fraction(crop, (0, 0, crop.width, crop.height), inset=0)


def _overlaps(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]

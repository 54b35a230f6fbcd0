"""Dates of birth: an existing date after a birth-date label (生年月日, 誕生日) or in its
column, or followed by 生 / 生まれ. Other dates (the document's own, deadlines) are not
personal."""

from __future__ import annotations

import re

from policies.dates import DATE, find_dates, parse_date
from policies.fields import Field
from policies.layout import TextView
from policies.recognizers.base import Hit, count_masks, fields_of

_BORN = re.compile(r"\s*(?:生まれ|生|出生)(?![年活命徒産])")


def find_birth_dates(view: TextView, fields: list[Field]) -> list[Hit]:
    hits = []
    for field in fields_of(fields, "birth_date"):
        value = view.text[field.start:field.end]
        dates = find_dates(value)
        if dates:
            match = dates[0][0]
            hits.append(Hit("birth_date", field.start + match.start(), field.start + match.end()))
        elif count_masks(value) >= 2:
            hits.append(Hit("birth_date", field.start, field.end, masked=True))
    for match in DATE.finditer(view.text):
        if _BORN.match(view.text, match.end()) and parse_date(match):
            hits.append(Hit("birth_date", match.start(), match.end()))
    return hits

"""Dates as Japanese documents write them, in every era and the Western calendar, checked to
exist: 昭和60年1月2日, S60.1.2, H3/11/22, 平成元年, 1988年2月29日, 1988-02-29."""

from __future__ import annotations

import datetime as dt
import re

# year = base + N; the last year each era ran (令和 runs on).
ERAS = {
    "明治": (1867, 45, dt.date(1868, 1, 25), dt.date(1912, 7, 29)),
    "大正": (1911, 15, dt.date(1912, 7, 30), dt.date(1926, 12, 24)),
    "昭和": (1925, 64, dt.date(1926, 12, 25), dt.date(1989, 1, 7)),
    "平成": (1988, 31, dt.date(1989, 1, 8), dt.date(2019, 4, 30)),
    "令和": (2018, 99, dt.date(2019, 5, 1), dt.date(2117, 12, 31)),
}
ERA_LETTERS = {"M": "明治", "T": "大正", "S": "昭和", "H": "平成", "R": "令和"}

_SEP = r"\s*(?:年|[./\-])\s*"
_MONTH_SEP = r"\s*(?:月|[./\-])\s*"
# Text is normalised first (NFKC: ㍼ → 昭和, full-width digits → ASCII; kanji numerals → digits).
DATE = re.compile(
    r"(?:(?P<era>明治|大正|昭和|平成|令和|(?<![A-Za-z])[MTSHR](?=\s*\d))\s*(?P<era_year>\d{1,2}|元)"
    r"|(?P<year>(?:18|19|20)\d{2}))"
    + _SEP + r"(?P<month>\d{1,2})" + _MONTH_SEP + r"(?P<day>\d{1,2})(?!\d)\s*日?"
)


def parse_date(match: re.Match) -> dt.date | None:
    """The date a `DATE` match names, or None when no such day exists (昭和65年, 2月30日,
    平成31年5月1日 — already 令和)."""
    if match.group("era"):
        era = ERA_LETTERS.get(match.group("era"), match.group("era"))
        base, last_year, first_day, last_day = ERAS[era]
        number = 1 if match.group("era_year") == "元" else int(match.group("era_year"))
        if not 1 <= number <= last_year:
            return None
        year = base + number
    else:
        year = int(match.group("year"))
        first_day, last_day = dt.date(1868, 1, 1), dt.date(2117, 12, 31)
    try:
        date = dt.date(year, int(match.group("month")), int(match.group("day")))
    except ValueError:
        return None
    return date if first_day <= date <= last_day else None


def find_dates(text: str) -> list[tuple[re.Match, dt.date]]:
    """Every existing date in `text`."""
    found = []
    for match in DATE.finditer(text):
        date = parse_date(match)
        if date is not None:
            found.append((match, date))
    return found

"""Text normalised for the recognizers, with a map back to the page's characters.

Page text comes from a PDF text layer or from OCR and is written every way Japanese offices
write: full-width digits, ten kinds of dash, kanji numerals (昭和六十年, 三丁目十二番),
compatibility characters (㍻, ①), and OCR's spaces inside numbers. The recognizers match one
spelling; every normalised character remembers the span of page characters it came from,
so a match still points at the page's character boxes.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Dashes, minus signs and bars that all mean "-" between digits. The prolonged sound mark ー
# and the box-drawing bar only do so between digits: elsewhere ー is part of katakana words.
_DASHES = frozenset("‐‑‒–—―−－﹣⁃˗")
_DASHES_BETWEEN_DIGITS = frozenset("ーｰ─━一")
_KANJI_DIGITS = {"〇": 0, "零": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_KANJI_UNITS = {"十": 10, "百": 100, "千": 1000}
# Letters OCR reads for digits when they sit between digits.
_OCR_DIGIT_LOOKALIKES = {"O": "0", "o": "0", "D": "0", "l": "1", "I": "1", "|": "1", "S": "5", "B": "8"}
# A kanji numeral run is a number only where a number belongs: before a counter or unit, or
# after an era name or a digit. 千葉, 一般, 九州, 三井, 二階堂, 五月女 stay words.
_KANJI_NUMERAL_RUN = re.compile(r"[〇零一二三四五六七八九十百千]+")
_NUMBER_FOLLOWERS = re.compile(r"(?:年|丁目|番地|番|号|歳|才|[-‐−－ー])")
_NUMBER_PRECEDERS = ("明治", "大正", "昭和", "平成", "令和", "西暦", "第")


@dataclass(frozen=True)
class Normalised:
    """`text` with, for each of its characters, the half-open span [start, end) of the
    source characters it stands for."""

    text: str
    starts: tuple[int, ...]
    ends: tuple[int, ...]

    def source_span(self, start: int, end: int) -> tuple[int, int]:
        """The source characters behind normalised characters [start, end)."""
        if end <= start:
            anchor = self.starts[start] if start < len(self.starts) else (self.ends[-1] if self.ends else 0)
            return anchor, anchor
        return self.starts[start], self.ends[end - 1]


def kanji_number(run: str) -> int | None:
    """The value of a kanji numeral: positional (六十, 二千二十四, 十二) or digit by digit
    (一九八五, 二〇二四). None when the run is not a well-formed number (十十)."""
    if not any(c in _KANJI_UNITS for c in run):
        return int("".join(str(_KANJI_DIGITS[c]) for c in run))
    total, digit, last_unit = 0, None, 10_000
    for char in run:
        if char in _KANJI_DIGITS:
            if digit is not None:
                return None
            digit = _KANJI_DIGITS[char]
        else:
            unit = _KANJI_UNITS[char]
            if unit >= last_unit:
                return None
            total += (1 if digit is None else digit) * unit
            digit, last_unit = None, unit
    return total + (digit or 0)


def normalise(source: str) -> Normalised:
    """NFKC per character, dashes folded to '-', kanji numerals in numeric places turned into
    digits, single spaces between digits dropped, OCR's letter-for-digit confusions between
    digits fixed, half-width voiced marks composed."""
    chars: list[str] = []
    starts: list[int] = []
    ends: list[int] = []

    def emit(text: str, start: int, end: int) -> None:
        for char in text:
            chars.append(char)
            starts.append(start)
            ends.append(end)

    numeral_runs = {m.start(): m for m in _KANJI_NUMERAL_RUN.finditer(source) if _is_numeric_place(source, m)}
    index = 0
    while index < len(source):
        run = numeral_runs.get(index)
        if run is not None:
            value = kanji_number(run.group(0))
            if value is not None:
                digits = str(value)
                # Spread the digits over the run's characters so boxes stay close.
                width = run.end() - run.start()
                for k, digit in enumerate(digits):
                    at = run.start() + min(width - 1, k * width // len(digits))
                    emit(digit, at, at + 1 if k < len(digits) - 1 else run.end())
                index = run.end()
                continue
        char = source[index]
        if char in _DASHES:
            folded = "-"
        elif char in "\t\n":
            folded = char
        else:
            folded = unicodedata.normalize("NFKC", char)
        if folded in ("\u3099", "\u309a", "\u309b", "\u309c") and chars:
            combined = unicodedata.normalize("NFC", chars[-1] + {"\u309b": "\u3099", "\u309c": "\u309a"}.get(folded, folded))
            if len(combined) == 1:
                chars[-1] = combined
                ends[-1] = index + 1
                index += 1
                continue
        emit(folded, index, index + 1)
        index += 1
    _fix_between_digits(chars)
    text = "".join(chars)
    # Drop a lone space between two digits (OCR and typists split numbers: "1234 5678").
    keep = [i for i, c in enumerate(text) if not (c == " " and 0 < i < len(text) - 1
                                                   and text[i - 1].isdigit() and text[i + 1].isdigit())]
    if len(keep) != len(text):
        text = "".join(text[i] for i in keep)
        starts = [starts[i] for i in keep]
        ends = [ends[i] for i in keep]
    return Normalised(text, tuple(starts), tuple(ends))


def _is_numeric_place(source: str, match: re.Match) -> bool:
    before = source[max(0, match.start() - 2): match.start()]
    after = source[match.end(): match.end() + 3]
    if match.group(0) == "一" and before[-1:].isdigit() and after[:1].isdigit():
        return False  # a dash written (or read by OCR) as 一: 090一1234
    if len(match.group(0)) > 1 and set(match.group(0)) == {"〇"}:
        return False  # 〇〇〇〇 is a placeholder (masked digits), not 0000
    if before.endswith(_NUMBER_PRECEDERS) or (before and (before[-1].isdigit() or before[-1] in "-‐−－")):
        return True
    # A month follows a year and a day a month: 五月女 and 九日市 are names, 一月二日 a date.
    previous = before.rstrip()[-1:]
    if after[:1] == "月" and previous == "年" or after[:1] == "日" and previous == "月":
        return True
    return bool(_NUMBER_FOLLOWERS.match(after))


def _fix_between_digits(chars: list[str]) -> None:
    """In place: dashes written as ー/一/─ and letters OCR mistakes for digits, each alone
    between two digits (a run like OOOO stays: placeholders read as letters)."""
    for i in range(1, len(chars) - 1):
        if not (chars[i - 1].isdigit() and chars[i + 1].isdigit()):
            continue
        if chars[i] in _DASHES_BETWEEN_DIGITS:
            chars[i] = "-"
        elif chars[i] in _OCR_DIGIT_LOOKALIKES:
            chars[i] = _OCR_DIGIT_LOOKALIKES[chars[i]]

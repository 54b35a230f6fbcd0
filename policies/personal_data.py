"""Recognizers for unmasked personal data in a page's text.

This first set covers the identifiers whose exposure is most harmful and least ambiguous:
My Number (with its check digit and a nearby keyword), labelled dates of birth, and labelled
sensitive data (要配慮個人情報: illness, medical history, disability). Text is normalised first
(NFKC, dash variants, spaces inside numbers). A value made of placeholders (＊ ■ ● ×) is masked.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

MASK_CHARS = "*＊■●×xX※"
_DASHES = "‐‑‒–—―−ー－"


@dataclass(frozen=True)
class Finding:
    category: str
    sensitive: bool
    masked: bool
    value: str
    start: int  # offsets into the page text, for boxes
    end: int

    @property
    def shown(self) -> str:
        """The value with its middle hidden, safe to show on approval screens and in logs."""
        value = self.value
        if len(value) <= 2:
            return "＊" * len(value)
        keep = max(1, len(value) // 4)
        return value[:keep] + "＊" * (len(value) - 2 * keep) + value[-keep:]


def normalise(text: str) -> str:
    """NFKC and dash folding, keeping one output character per input character so that
    offsets still point at the page's character boxes."""
    out = []
    for char in text:
        folded = unicodedata.normalize("NFKC", char)
        if char in _DASHES:
            folded = "-"
        out.append(folded if len(folded) == 1 else char)
    return "".join(out)


def my_number_check_digit(first11: str) -> int:
    """The check digit of the Individual Number (番号法施行令 第8条)."""
    total = 0
    for n, digit in enumerate(reversed(first11), start=1):
        weight = n + 1 if n <= 6 else n - 5
        total += int(digit) * weight
    remainder = total % 11
    return 0 if remainder <= 1 else 11 - remainder


_MY_NUMBER = re.compile(r"(?<!\d)(\d{4})[ -]?(\d{4})[ -]?(\d{4})(?!\d)")
_MY_NUMBER_KEYWORD = re.compile(r"個人番号|マイナンバー|My\s*Number", re.IGNORECASE)
_BIRTH_LABEL = re.compile(r"生年月日|誕生日|生まれ")
_DATE = re.compile(
    r"(?:(?:明治|大正|昭和|平成|令和|[MTSHR])\s*(?:\d{1,2}|元)\s*[年.\-/]\s*\d{1,2}\s*[月.\-/]\s*\d{1,2}\s*日?)"
    r"|(?:(?:19|20)\d{2}\s*[年.\-/]\s*\d{1,2}\s*[月.\-/]\s*\d{1,2}\s*日?)"
)
_MASKED_DATE = re.compile(rf"[{re.escape(MASK_CHARS)}]{{2,}}\s*年")
_SENSITIVE_LABEL = re.compile(r"(病名|既往歴|病歴|傷病名|診断名|アレルギー|障害の内容|障がいの状況)\s*[:：]?\s*")


def find_personal_data(text: str) -> list[Finding]:
    text = normalise(text)
    findings: list[Finding] = []
    for match in _MY_NUMBER.finditer(text):
        digits = "".join(match.groups())
        window = text[max(0, match.start() - 30): match.start()]
        if my_number_check_digit(digits[:11]) == int(digits[11]) and _MY_NUMBER_KEYWORD.search(window):
            findings.append(Finding("my_number", False, False, match.group(0), match.start(), match.end()))
    for label in _BIRTH_LABEL.finditer(text):
        tail = text[label.end(): label.end() + 30]
        date = _DATE.search(tail)
        if date and not _MASKED_DATE.match(tail[date.start():]):
            start = label.end() + date.start()
            findings.append(Finding("birth_date", False, False, date.group(0), start, start + len(date.group(0))))
    for label in _SENSITIVE_LABEL.finditer(text):
        value = re.match(r"[^\n]{1,40}", text[label.end():])
        if value and value.group(0).strip() and not set(value.group(0).strip()) <= set(MASK_CHARS + " "):
            start = label.end()
            findings.append(Finding("health", True, False, value.group(0).strip(), start, start + len(value.group(0))))
    return findings

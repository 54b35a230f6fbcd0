"""Identity and account numbers: each has a shape that many harmless numbers share, so each
needs its label or keyword, and a check digit where one exists.

My Number (12 digits, check digit, 個人番号/マイナンバー), driving licence (12 digits),
passport ([A-Z]{2}+7 digits), residence card ([A-Z]{2}+8 digits+[A-Z]{2}, distinctive enough
to stand alone), basic pension number (4+6), insurance numbers, resident-register code
(11 digits), addressee number, bank accounts (普通/当座 + 7 digits), and payment cards
(13–19 digits passing Luhn with an issuer's prefix). Municipalities add their own
numbers as `IdentifierPattern`s. 法人番号 (13 digits, public) is never reported.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from policies.allowlist import AllowList
from policies.checkdigits import is_corporate_number, is_my_number, luhn_valid
from policies.fields import Field
from policies.layout import TextView
from policies.recognizers.base import Hit, business_context, count_masks, fields_of

_VALUE_PATTERNS = {
    "my_number": re.compile(r"\d{4}-?\d{4}-?\d{4}(?![\d])"),
    "drivers_license": re.compile(r"\d{4}-?\d{4}-?\d{4}(?![\d])|\d{2}-?\d{2}-?\d{6}-?\d{2}(?![\d])"),
    "passport": re.compile(r"[A-Z]{2} ?\d{7}(?!\d)"),
    "residence_card": re.compile(r"[A-Z]{2}\d{8}[A-Z]{2}"),
    "pension_number": re.compile(r"\d{4}-?\d{6}(?!\d)"),
    "insurance_number": re.compile(r"\d[\d\-・ ]{2,14}\d"),
    "resident_code": re.compile(r"\d{11}(?!\d)"),
    "addressee_number": re.compile(r"\d[\d\-]{4,16}\d"),
    "bank_account": re.compile(r"(?:(?:普通|当座|普|当)(?:預金)?\s*(?:口座)?\s*)?\d{6,8}(?!\d)"),
    "credit_card": re.compile(r"\d(?:-?\d){12,18}(?!\d)"),
}
_MY_NUMBER_KEYWORD = re.compile(r"個人番号|マイナンバー|My ?Number", re.I)
_MY_NUMBER_ANYWHERE = re.compile(r"(?<!\d)\d{4}-?\d{4}-?\d{4}(?!\d)")
_RESIDENCE_CARD = re.compile(r"(?<![A-Za-z0-9])[A-Z]{2}\d{8}[A-Z]{2}(?![A-Za-z0-9])")
# A health-insurance card's 記号 and 番号 (記号 1234 番号 56; 記号・番号 is a label of its own).
_SYMBOL_AND_NUMBER = re.compile(r"(?<![\u4e00-\u9fff])記号\s*[:.]?\s*(?P<value>[0-9A-Za-z\u4e00-\u9fff-]{1,10}\s*"
                                r"(?:番号|番|・)\s*[:.]?\s*\d{1,10})")
_BANK_ACCOUNT = re.compile(r"(?:普通|当座)(?:預金)?\s*(?:口座)?\s*(?:番号)?\s*[:.]?\s*(?P<number>\d{7})(?!\d)")
_CARD = re.compile(r"(?<![\d-])\d{4}-?\d{4}-?\d{4}-?\d{1,7}(?![\d-])|(?<![\d-])\d{4}-\d{6}-\d{4,5}(?![\d-])")
_CARD_PREFIX = re.compile(r"3[47]|4|5[1-5]|2[2-7]|6(?:011|5)|35|30[0-5]|36|38")
_PUBLIC_NUMBER_LABELS = re.compile(r"法人番号|登録番号|事業者番号|会社法人等番号")
_KEYWORD_WINDOW = 40


@dataclass(frozen=True)
class IdentifierPattern:
    """A municipality's own identifier: `labels` (regular expressions) followed, on the same
    line and within 40 characters, by a value matching `value` (a regular expression on
    normalised text: half-width digits, '-' for every dash)."""

    category: str
    labels: tuple[str, ...]
    value: str

    def __post_init__(self):
        if not self.labels or not self.value:
            raise ValueError("IdentifierPattern needs labels and a value pattern")
        for pattern in (*self.labels, self.value):
            re.compile(pattern)
        object.__setattr__(self, "labels", tuple(self.labels))


def find_numbers(view: TextView, fields: list[Field], allow: AllowList,
                 extra: tuple[IdentifierPattern, ...] = ()) -> list[Hit]:
    hits = []
    text = view.text
    for field in fields_of(fields, *_VALUE_PATTERNS):
        hit = _labelled(view, field, allow)
        if hit:
            hits.append(hit)
    for match in _MY_NUMBER_ANYWHERE.finditer(text):
        line_start, _ = view.line_bounds(view.line_number(match.start()))
        window = text[max(line_start, match.start() - _KEYWORD_WINDOW):match.start()]
        if _MY_NUMBER_KEYWORD.search(window) and is_my_number(match.group(0).replace("-", "")):
            hits.append(Hit("my_number", match.start(), match.end()))
    for match in _RESIDENCE_CARD.finditer(text):
        hits.append(Hit("residence_card", match.start(), match.end()))
    for match in _SYMBOL_AND_NUMBER.finditer(text):
        hits.append(Hit("insurance_number", match.start("value"), match.end("value")))
    for match in _BANK_ACCOUNT.finditer(text):
        if not _business_account(view, match.start(), match.group("number"), allow):
            hits.append(Hit("bank_account", match.start("number"), match.end("number")))
    for match in _CARD.finditer(text):
        digits = match.group(0).replace("-", "")
        if _is_card(digits) and not _public_number(view, match.start(), digits):
            hits.append(Hit("credit_card", match.start(), match.end()))
    for pattern in extra:
        hits.extend(_extra(view, pattern))
    return hits


def _labelled(view: TextView, field: Field, allow: AllowList) -> Hit | None:
    value = view.text[field.start:field.end]
    category = field.category
    match = _VALUE_PATTERNS[category].search(value)
    if match and not _valid(category, match.group(0), view, field, allow):
        match = None
    if match:
        return Hit(category, field.start + match.start(), field.start + match.end())
    if count_masks(value) >= 3:
        return Hit(category, field.start, field.end, masked=True)
    return None


def _valid(category: str, value: str, view: TextView, field: Field, allow: AllowList) -> bool:
    digits = re.sub(r"\D", "", value)
    if category == "my_number":
        return is_my_number(digits)
    if category == "insurance_number":
        return len(digits) >= 4
    if category == "bank_account":
        return not _business_account(view, field.start, digits, allow)
    if category == "credit_card":
        return 13 <= len(digits) <= 19 and luhn_valid(digits) and not is_corporate_number(digits)
    return True


def _business_account(view: TextView, offset: int, digits: str, allow: AllowList) -> bool:
    """The office's own account, or a company's (its holder named as an organisation, or
    カ)/(カ (株式会社) in the holder's kana)."""
    if allow.allows_account(digits):
        return True
    nearby = view.lines_around(offset, 2, 2)
    return business_context(view, offset, allow, lines_before=2, lines_after=2) or bool(re.search(r"カ\)|\(カ|ユ\)|\(ユ", nearby))


def _is_card(digits: str) -> bool:
    """Luhn and an issuer's prefix: a random 16-digit run passes both 1 time in 40, and such
    runs are rare on faxed forms."""
    if not (13 <= len(digits) <= 19 and luhn_valid(digits)) or is_corporate_number(digits):
        return False
    return bool(_CARD_PREFIX.match(digits))


def _public_number(view: TextView, offset: int, digits: str) -> bool:
    line_start, _ = view.line_bounds(view.line_number(offset))
    return bool(_PUBLIC_NUMBER_LABELS.search(view.text, line_start, offset)) or (
        len(digits) == 13 and is_corporate_number(digits))


def _extra(view: TextView, pattern: IdentifierPattern) -> list[Hit]:
    hits = []
    value = re.compile(pattern.value)
    for label in pattern.labels:
        for match in re.finditer(label, view.text):
            _, line_end = view.line_bounds(view.line_number(match.end()))
            found = value.search(view.text, match.end(), min(line_end, match.end() + _KEYWORD_WINDOW))
            if found:
                hits.append(Hit(pattern.category, found.start(), found.end()))
    return hits

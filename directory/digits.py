"""One reading of the digits people and devices type, for every door (RCPT, the CLI, confirmation,
directory import): full-width forms are read as a Japanese office types them (０３－５４３２ is
03-5432), any other digit (Arabic-Indic ١, Devanagari १, superscript ², circled ①) is refused.
Those are digits to Python (str.isdigit, int(), NFKC, phonenumbers) but no fax device dials them."""

from __future__ import annotations

import unicodedata

# What a Japanese IME gives for digits, plus and dash (and the parentheses and space around them).
_FULL_WIDTH = str.maketrans("０１２３４５６７８９＋－（）　", "0123456789+-() ")


class ForeignDigitError(ValueError):
    """A character that is a digit or number in some script but not one a fax device dials."""

    def __init__(self, message_ja: str, message_en: str):
        super().__init__(f"{message_ja} ({message_en})")
        self.message_ja, self.message_en = message_ja, message_en


def ascii_digits(text: str) -> str:
    """``text`` with full-width digits, ＋ and － as ASCII; raises ForeignDigitError for any
    other character Unicode calls a number (categories Nd, No, Nl), naming where it is."""
    text = text.translate(_FULL_WIDTH)
    for position, char in enumerate(text, start=1):
        if not char.isascii() and unicodedata.category(char) in ("Nd", "No", "Nl"):
            name = unicodedata.name(char, f"U+{ord(char):04X}")
            raise ForeignDigitError(
                f"{position}文字目の {char!r} は半角・全角の数字ではありません（0-9 か ０-９ で書いてください）",
                f"character {position} {char!r} ({name}) is not a digit 0-9: write digits as 0-9 or ０-９",
            )
    return text


def slot_number(text: str) -> int | None:
    """A speed-dial slot as typed (12, １２): its number, or None when it is not plain digits."""
    try:
        digits = ascii_digits(text.strip())
    except ForeignDigitError:
        return None
    return int(digits) if digits and digits.isascii() and digits.isdigit() else None

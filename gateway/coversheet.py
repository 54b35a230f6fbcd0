"""Cover sheets (送付票), countermeasure 4 of report No. 371: a cover sheet that always shows
the destination fax number, and a check that the number printed on a submitted cover sheet
is the number being dialled (the Minato City 2022 case: a number copied from an old form).

`render_cover_sheet` draws an A4 sheet meant to survive standard fax resolution (204×98 dpi):
nothing smaller than 10 pt, the number in 44 pt with thickened strokes. `cover_number_matches`
reads a submitted first page's text (text layer, or an OCR hook for scans).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import phonenumbers
from PIL import Image

from directory.dialplan import display_number
from gateway.confirmation import number_matches
from gateway.pdfdraw import Box, Drawing, Line, text_width_mm, wrap
from gateway.records_config import CoverSheetConfig

JST = dt.timezone(dt.timedelta(hours=9), "JST")


@dataclass(frozen=True)
class CoverSheet:
    job_id: str
    destination_e164: str
    dial_string: str | None
    destination_name: str
    destination_organization: str
    sender_department: str
    sender_name: str
    sender_contact: str  # e-mail or extension: where the recipient reaches the sender
    document_pages: int  # pages after the cover sheet
    content_sha256: str
    date: dt.date


# Crockford-style alphabet: no 0/O or 1/I/L to confuse when read out over the phone.
_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def verification_code(job_id: str, e164: str, content_sha256: str) -> str:
    """A short code (XXXX-XXXX) tying a printed cover sheet to its job, destination and exact
    content: the recipient can quote it, the signed record shows it."""
    digest = hashlib.sha256(f"{job_id}\n{e164}\n{content_sha256}".encode()).digest()
    value = int.from_bytes(digest[:8], "big")
    chars = []
    for _ in range(8):
        value, index = divmod(value, len(_CODE_ALPHABET))
        chars.append(_CODE_ALPHABET[index])
    return "".join(chars[:4]) + "-" + "".join(chars[4:])


def japanese_date(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


_WARNING = ("このファクスが宛先違いで届いた場合は、内容をご覧にならずに破棄し、"
            "お手数ですが上記の発信元までお電話でお知らせください。")


# Where render_cover_sheet prints the destination's number (as dialled nationally, its international
# form and the dial string), in mm from the page's top left: previews cover it for whoever must still re-enter
# the number blind (gateway.web.previews).
NUMBER_AREA_MM = (15.0, 79.0, 195.0, 115.0)


def render_cover_sheet(sheet: CoverSheet, template: CoverSheetConfig = CoverSheetConfig()) -> bytes:
    """The cover sheet as a one-page A4 PDF (IPAex Gothic embedded)."""
    d = Drawing()
    left, right = 15.0, 195.0
    d.text(left, 27, "FAX送付票", 26, bold=True)
    date_text = japanese_date(sheet.date)
    d.text(right - text_width_mm(date_text, 13), 27, date_text, 13)
    d.add(Line(left, 32, right, 32, 1.5))

    d.add(Box(left, 38, right, 120, line=1.5))
    d.text(left + 4, 46, "宛先", 12, bold=True)
    name = f"{sheet.destination_name}　御中" if sheet.destination_name else "（宛先名なし）"
    if sheet.destination_organization:
        d.text(left + 8, 56, sheet.destination_organization, 16)
    d.text(left + 8, 67, name, 16, bold=True)
    d.text(left + 4, 78, "FAX番号", 12, bold=True)
    number = display_number(sheet.destination_e164)
    d.text(left + 8, 99, number, 44, bold=True)
    detail = f"国際表記 {_international(sheet.destination_e164)}"
    if sheet.dial_string:
        detail += f"　／　発信ダイヤル {sheet.dial_string}"
    d.text(left + 8, 112, detail, 10.5)

    d.add(Box(left, 126, right, 184, line=0.8))
    d.text(left + 4, 134, "発信元", 12, bold=True)
    sender_lines = [
        (template.office_name, 13),
        ("　".join(p for p in (sheet.sender_department, sheet.sender_name) if p), 13),
        (f"連絡先　{sheet.sender_contact}" if sheet.sender_contact else "", 11),
        ("　".join(p for p in (f"TEL {template.phone}" if template.phone else "",
                               f"FAX {template.fax}" if template.fax else "") if p), 11),
        (template.address, 11),
    ]
    y = 143.0
    for text, size in sender_lines:
        if text:
            d.text(left + 8, y, text, size)
            y += 8.5

    d.text(left, 197, "送付枚数", 14, bold=True)
    d.text(left + 30, 198, f"{sheet.document_pages + 1}枚（本票を含む）", 20, bold=True)
    d.text(left, 210, "受付番号", 12, bold=True)
    d.text(left + 30, 210, sheet.job_id, 12)
    d.text(left, 221, "照合コード", 12, bold=True)
    d.text(left + 30, 222, verification_code(sheet.job_id, sheet.destination_e164, sheet.content_sha256), 16, bold=True)

    d.add(Box(left, 230, right, 254, line=0.8))
    y = 238.0
    for line in wrap(_WARNING, 11, right - left - 8):
        d.text(left + 4, y, line, 11)
        y += 6
    y = 264.0
    for line in wrap(template.footer, 10.5, right - left):
        if line:
            d.text(left, y, line, 10.5)
        y += 5.5
    return d.to_pdf()


def _international(e164: str) -> str:
    return phonenumbers.format_number(phonenumbers.parse(e164), phonenumbers.PhoneNumberFormat.INTERNATIONAL)


# --- reading a submitted cover sheet ------------------------------------------------------------


@dataclass(frozen=True)
class CoverCheck:
    status: str  # match | mismatch | no_number | not_cover | unreadable
    dialled: str  # E.164
    printed: tuple[str, ...] = ()  # destination fax numbers as printed on the page
    message_ja: str = ""
    message_en: str = ""


_COVER_TITLE = re.compile(
    r"送\s*付\s*[状票書]|送\s*信\s*[状票書]|送\s*り\s*状|(?:fax|ファッ?クス|ファクシミリ)\s*(?:送信|送付|通信)"
    r"|fax\s*cover|facsimile",
    re.IGNORECASE,
)
_FAX_LABEL = re.compile(r"fax|ファッ?クス|ファクシミリ", re.IGNORECASE)
_OTHER_LABEL = re.compile(r"tel|電話|phone|携帯|内線", re.IGNORECASE)
_TO_MARK = re.compile(r"宛\s*先|送信先|送付先|あて先|\bto\b|御\s*中|様|殿", re.IGNORECASE)
_FROM_MARK = re.compile(r"発信元|送信元|差出人|発信者|送信者|\bfrom\b|担当", re.IGNORECASE)
_DASHES = re.compile(r"(?<=\d)\s*[\u2010-\u2015\u2212\u30fc\uff70]\s*(?=\d)")
_LABEL_REACH = 24  # characters between a label and its number ("FAX番号（代表）：" and spaces)


def _normalise(text: str) -> str:
    """Full-width digits and letters to ASCII, and the dashes people type between digit
    groups (ー, −, –) to '-', keeping positions consistent for label and marker search."""
    return _DASHES.sub("-", unicodedata.normalize("NFKC", text))


def cover_number_matches(first_page_text: str | None, page_image: Image.Image | None, dialled_e164: str, *,
                         dial_string: str | None = None, own_numbers: Iterable[str] = (),
                         ocr: Callable[[Image.Image], str] | None = None) -> CoverCheck:
    """Whether a submitted first page is a cover sheet and, if so, whether the destination fax
    number printed on it is the one being dialled.

    The text layer is read first; a page without one goes to `ocr` (if given). A number counts
    as the destination's when a fax label (FAX, ファクス…) stands right before it and it does not
    sit under a sender heading (発信元, 差出人, From…) — or, unlabelled, right under a destination
    heading. The office's own numbers (`own_numbers`) never count. The dialled number printed
    anywhere as a fax number is a match: only a cover sheet that names another number blocks."""
    text = first_page_text if first_page_text and first_page_text.strip() else None
    if text is None and ocr is not None and page_image is not None:
        text = ocr(page_image) or None
    dialled_display = display_number(dialled_e164)
    if text is None:
        return CoverCheck("unreadable", dialled_e164, (),
                          "1ページ目の文字を読み取れないため、送付状の番号を確認できませんでした。",
                          "the first page has no readable text, so a cover sheet number could not be checked")
    text = _normalise(text)
    if not _COVER_TITLE.search(text):
        return CoverCheck("not_cover", dialled_e164, (), "1ページ目は送付状ではありません。",
                          "the first page is not a cover sheet")
    own = {n for n in (_as_e164(x) for x in own_numbers) if n}
    candidates, fax_numbers = [], []
    previous_end = 0
    for match in phonenumbers.PhoneNumberMatcher(text, "JP", leniency=phonenumbers.Leniency.POSSIBLE):
        window = text[max(previous_end, match.start - _LABEL_REACH):match.start]
        previous_end = match.end
        label = _last_label(window)
        side = _side(text[:match.start])
        printed = match.raw_string.strip()
        if label == "fax":
            fax_numbers.append(printed)
        if _as_e164(printed) in own or side == "from":
            continue
        if (label == "fax" or (label is None and side == "to")) and not _same_number(printed, candidates):
            candidates.append(printed)
    if any(number_matches(n, dialled_e164, dial_string) for n in fax_numbers + candidates):
        return CoverCheck("match", dialled_e164, tuple(candidates),
                          f"送付状のFAX番号は送信先 {dialled_display} と一致しています。",
                          f"the fax number on the cover sheet matches the destination {dialled_e164}")
    if candidates:
        shown = "、".join(candidates)
        return CoverCheck(
            "mismatch", dialled_e164, tuple(candidates),
            f"送付状に書かれた宛先のFAX番号（{shown}）が、送信先の番号（{dialled_display}）と一致しません。"
            "送付状と宛先のどちらが正しいか先方に確認し、古い様式の番号が残っていないか見直してください。",
            f"the cover sheet names fax number {', '.join(candidates)} but {dialled_e164} is being dialled",
        )
    return CoverCheck("no_number", dialled_e164, (),
                      "送付状に宛先のFAX番号が見つかりませんでした。",
                      "the cover sheet shows no destination fax number")


def _last_label(window: str) -> str | None:
    fax = [m.end() for m in _FAX_LABEL.finditer(window)]
    other = [m.end() for m in _OTHER_LABEL.finditer(window)]
    if not fax and not other:
        return None
    return "fax" if max(fax, default=-1) > max(other, default=-1) else "other"


def _side(before: str) -> str | None:
    to = [m.end() for m in _TO_MARK.finditer(before)]
    sender = [m.end() for m in _FROM_MARK.finditer(before)]
    if not to and not sender:
        return None
    return "to" if max(to, default=-1) > max(sender, default=-1) else "from"


def _same_number(number: str, seen: list[str]) -> bool:
    """Whether `number` is already listed (03-5432-1111 and +81 3-5432-1111 are one number)."""
    e164 = _as_e164(number)
    return any(_as_e164(other) == e164 for other in seen)


def _as_e164(number: str) -> str | None:
    try:
        parsed = phonenumbers.parse(_normalise(number), "JP")
    except phonenumbers.NumberParseException:
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)

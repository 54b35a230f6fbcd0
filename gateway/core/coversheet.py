"""Reading cover sheets (送付票), countermeasure 4 of report No. 371: whether the number printed on a submitted
cover sheet is the number being dialled (the Minato City 2022 case: a number copied from an old form), whether
the addressee on the first page is the destination, and the verification code that ties a printed sheet to its job.
faxgate's own sheet is drawn by gateway.services.cover_sheet."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from difflib import SequenceMatcher
import phonenumbers
from directory.dialplan import display_number
from gateway.core.confirmation import number_matches
from policies.labels import ORGANISATION
from policies.screen import DOUBTFUL




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


@dataclass(frozen=True)
class CoverCheck:
    status: str  # match | mismatch | number_unreadable | no_number | not_cover | unreadable
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


def cover_number_matches(first_page_text: str | None, dialled_e164: str, *, dial_string: str | None = None,
                         own_numbers: Iterable[str] = (), confident: bool = True) -> CoverCheck:
    """Whether a submitted first page is a cover sheet and, if so, whether the destination fax
    number printed on it is the one being dialled.

    `first_page_text` is the page as the screening read it (text layer, or OCR of a scan or
    fax TIFF); `confident` False when OCR could not read it with confidence. A number counts
    as the destination's when a fax label (FAX, ファクス…) stands right before it and it does not
    sit under a sender heading (発信元, 差出人, From…) — or, unlabelled, right under a destination
    heading. The office's own numbers (`own_numbers`) never count. The dialled number printed
    anywhere as a fax number is a match: only a cover sheet that names another number blocks,
    and one read without confidence that does not show the dialled number is
    `number_unreadable` (a misread digit must neither block nor pass it)."""
    text = first_page_text if first_page_text and first_page_text.strip() else None
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
    if not confident:
        return CoverCheck(
            "number_unreadable", dialled_e164, tuple(candidates),
            f"1ページ目の送付状を確実に読み取れなかったため、宛先のFAX番号が送信先の番号（{dialled_display}）と"
            "同じか確認できませんでした。鮮明な原稿（ファインモード、または文字情報のあるPDF）で送り直してください。",
            "the cover sheet could not be read with confidence, so its fax number could not be checked "
            f"against {dialled_e164}",
        )
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


_ADDRESSEE_LABEL = re.compile(r"^\s*(?:宛\s*先|宛名|送信先|送付先|あて先|to(?![a-z]))\s*[:：]?\s*(?P<value>.+)$", re.IGNORECASE)


_ONWARD = re.compile(r"\s(?:fax|tel|電話|ファッ?クス)", re.IGNORECASE)  # where a value on a cover-sheet line ends


_HONORIFIC = re.compile(r"\s*(?:御\s*中|様|殿|各位)\s*$")


_BEFORE_ONCHU = re.compile(r"(?P<value>\S.*?)\s*御\s*中")


_BEFORE_SAMA = re.compile(r"(?P<value>\S.*?)\s*様(?:\s|$)")


_BEFORE_TONO = re.compile(r"(?P<value>\S.*?)\s*(?:殿|各位)(?:\s|$)")  # counts only with an organisation word


_CONTACT_PERSON = re.compile(r"\s*(?:ご|御)?担当(?:者)?(?:様|殿)?\s*$")


_HEADS = re.compile(r"(?:区長|市長|町長|村長|知事)$")  # the head of an authority: a form's printed addressee


_LEGAL_FORMS = (("(株)", "株式会社"), ("(有)", "有限会社"), ("(同)", "合同会社"), ("(社福)", "社会福祉法人"),
                ("(医)", "医療法人"), ("(一社)", "一般社団法人"), ("(公財)", "公益財団法人"))


_LEGAL_WORDS = re.compile(r"株式会社|有限会社|合同会社|合資会社|合名会社|一般社団法人|公益社団法人|一般財団法人|公益財団法人|"
                          r"社会福祉法人|医療法人|特定非営利活動法人|NPO法人")


_MUNICIPALITY = re.compile(r"^(?:東京都|北海道|京都府|大阪府|[\u4e00-\u9fff]{2,3}県)?(?:[\u4e00-\u9fff]{1,5}?[市区町村](?=.))?")


_PLACE = re.compile(r"(?:東京都|北海道|京都府|大阪府|[\u4e00-\u9fff]{2,3}県)?(?:[\u4e00-\u9fff]{1,5}?[市区町村])*")


# Two names are the same addressee when one holds the other, or when they share a run of at
# least this share of the shorter's distinctive part (OCR misreads a character or two; a
# section is addressed with or without its division: 子ども家庭課 / 子ども家庭支援係).
_SAME_SHARE = 0.6


# An addressee OCR was unsure of in more characters than this is unknown: at standard
# resolution 株式会社ケアサポート世田谷 comes out as 株?式会社ケアリポ ト?山谷.
_MAX_DOUBTFUL = 1


def addressee_mismatch(text: str | None, entry_name: str, entry_organization: str, *, own_names: Iterable[str] = (),
                       confident: bool = True) -> str | None:
    """The organisation the page (the first: cover sheet or letter) is addressed to, as
    printed, when it is not the directory entry's name or organisation; None when it is,
    or when the page names no organisation, only the office itself, or was not read with
    confidence (an unknown addressee passes)."""
    if not text or not confident:
        return None
    name, organization = _key(entry_name), _key(entry_organization)
    if not (name or organization):
        return None
    own = [_key(n) for n in own_names if _key(n)]
    found = [a for a in addressees(text) if not any(_same_addressee(_key(a), o) for o in own)]
    if not found or any(_names_entry(_key(a), name, organization) for a in found):
        return None
    return found[0].replace(DOUBTFUL, "〓")


def _names_entry(addressee: str, name: str, organization: str) -> bool:
    """Whether an addressee names the entry. The entry's organisation alone covers an
    addressee it holds (世田谷区, 株式会社△△), not one that holds it: 世田谷区 保健福祉課 is
    another section when the entry is 世田谷区's 子ども家庭支援係."""
    specific = [k for k in (name, organization + name if name else organization) if k]
    if any(_same_addressee(addressee, k) for k in specific):
        return True
    if organization and addressee in organization:
        return True
    return bool(organization) and not _is_place(_distinctive(organization)) and _same_addressee(addressee, organization)


def addressees(text: str) -> list[str]:
    """The organisations a page names as its addressee, as printed (honorific left off). A
    cell gap inside a line (OCR splits a long name) does not end the name."""
    found = []
    for line in _normalise(text).splitlines():
        labelled = _ADDRESSEE_LABEL.match(line)
        if labelled:
            value = _ONWARD.split(labelled.group("value"))[0]
            honorific = bool(re.search(r"御\s*中", value))
        elif onchu := _BEFORE_ONCHU.search(line):
            value, honorific = onchu.group("value"), True
        elif sama := _BEFORE_SAMA.search(line) or _BEFORE_TONO.search(line):
            value, honorific = sama.group("value"), False
        else:
            continue
        value = _CONTACT_PERSON.sub("", _HONORIFIC.sub("", value)).strip(" \t:：、,")
        if (len(_key(value)) < 2 or _HEADS.search(value) or value.count(DOUBTFUL) > _MAX_DOUBTFUL
                or not (honorific or ORGANISATION.search(value))):
            continue  # a name OCR was unsure of is an unknown addressee
        found.append(value)
    return found


def _key(name: str) -> str:
    """A name as compared: NFKC, no spaces or middle dots, one spelling of the legal form,
    ー for the 一 OCR reads in katakana; a character OCR was unsure of left out (so it cannot
    make a mismatch)."""
    key = re.sub(r"[\s・·" + DOUBTFUL + "]", "", unicodedata.normalize("NFKC", name or ""))
    for short, full in _LEGAL_FORMS:
        key = key.replace(short, full)
    return re.sub(r"(?<=[\u30a0-\u30ff])[一‐-―−-](?=[\u30a0-\u30ff]|$)", "ー", key)


def _distinctive(key: str) -> str:
    """What tells one organisation from another: no legal form, no leading prefecture or city."""
    core = _LEGAL_WORDS.sub("", key)
    return _MUNICIPALITY.sub("", core, count=1) or core


def _is_place(key: str) -> bool:
    return bool(_PLACE.fullmatch(key))


def _same_addressee(a: str, b: str) -> bool:
    if not a or not b:
        return False
    if a in b or b in a:
        return True
    x, y = _distinctive(a), _distinctive(b)
    if not x or not y or _is_place(x) or _is_place(y):
        return False
    if x in y or y in x:
        return True
    longest = SequenceMatcher(None, x, y, autojunk=False).find_longest_match(0, len(x), 0, len(y)).size
    return longest >= 2 and longest >= _SAME_SHARE * min(len(x), len(y))

"""Read a stored dial string the way the office PBX and the public exchange will read it.

A speed dial is a string of digits; what it reaches depends on who eats which digit. The PBX
takes its outside-line code first (even when the writer meant that ``0`` as the trunk prefix),
the exchange then reads a number and stops listening once the number is complete. This module
simulates both, and when the result differs from what the string evidently meant (report
No. 371: ``03-…`` dialled through an outside-line ``0``) it says so.

phonenumbers only ever sees the reconstructed national number, never the raw string.
"""

from __future__ import annotations

import functools
import unicodedata
from dataclasses import dataclass, replace

import phonenumbers

from directory.digits import ForeignDigitError, ascii_digits
from directory.profile import PbxProfile

BLOCKING_PROBLEMS = frozenset(
    {"missing_outside_line", "leftover_digits", "incomplete", "emergency_or_service_number", "invalid_number"}
)

EMERGENCY_SERVICES = {"110": "警察", "118": "海上保安庁", "119": "消防・救急"}
KNOWN_SERVICES = {"104": "番号案内", "117": "時報", "171": "災害用伝言ダイヤル", "177": "天気予報"}

CLASS_NAMES_JA = {
    "geographic": "固定電話",
    "mobile": "携帯電話",
    "ip": "IP電話",
    "toll_free": "フリーダイヤル",
    "navi_dial": "ナビダイヤル",
    "pager": "M2M・無線呼出し番号",
    "premium": "有料情報サービス番号",
    "international": "国際電話",
    "emergency": "緊急通報番号",
    "service": "特番サービス",
    "incomplete": "不完全な番号",
    "internal": "内線",
}

# National prefixes with a fixed length (digits including the trunk 0); other 0… is geographic.
_NATIONAL_CLASSES = (
    ("0120", "toll_free", 10),
    ("0800", "toll_free", 11),
    ("0570", "navi_dial", 10),
    ("0180", "premium", 10),
    ("0990", "premium", 10),
    ("050", "ip", 11),
    ("060", "mobile", 11),
    ("070", "mobile", 11),
    ("080", "mobile", 11),
    ("090", "mobile", 11),
    ("020", "pager", 11),
)
_GEOGRAPHIC_LENGTH = 10
# Carrier freephone numbers look like carrier codes but are numbers in their own right.
_CARRIER_FREEPHONE = ("00777", "0037", "0066", "0078")

_SEPARATORS = frozenset("- ()")
_PAUSES = frozenset(",pPwW")
_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u30fc\uff0d"


class DialStringError(ValueError):
    """The stored string holds something a device cannot dial."""


@dataclass(frozen=True)
class DialReading:
    dial: str
    outside_line: str
    caller_id: str | None
    carrier: str | None
    number_class: str
    reaches: str | None
    leftover: str
    intended: str | None
    problems: tuple[str, ...]
    extension: str | None = None

    @property
    def blocked(self) -> bool:
        if BLOCKING_PROBLEMS.intersection(self.problems):
            return True
        return self.reaches is None and self.number_class != "internal"

    @property
    def explanation(self) -> str:
        return explain(self)

    def to_json(self) -> dict:
        return {
            "dial": self.dial,
            "outside_line": self.outside_line,
            "caller_id": self.caller_id,
            "carrier": self.carrier,
            "number_class": self.number_class,
            "reaches": self.reaches,
            "leftover": self.leftover,
            "intended": self.intended,
            "problems": list(self.problems),
            "blocked": self.blocked,
            "explanation": self.explanation,
            "extension": self.extension,
        }


def dial_digits(raw: str) -> str:
    """The digits a device sends for ``raw``; separators and pauses are cosmetic."""
    try:
        text = unicodedata.normalize("NFKC", ascii_digits(raw))  # before NFKC, which reads ² and ① as digits
    except ForeignDigitError as exc:
        raise DialStringError(str(exc)) from None
    for dash in _DASHES:
        text = text.replace(dash, "-")
    digits = []
    for position, char in enumerate(text, start=1):
        if char in "0123456789":
            digits.append(char)
        elif char in _SEPARATORS or char in _PAUSES:
            continue
        else:
            raise DialStringError(
                f"{position}文字目の {char!r} はダイヤルできない文字です"
                f" (character {position} {char!r} cannot be dialled: only digits, '-', space, '(', ')'"
                f" and pauses ',', 'p', 'w' are allowed)"
            )
    if not digits:
        raise DialStringError("数字がありません (the dial string holds no digits)")
    return "".join(digits)


def read_dial_string(raw: str, profile: PbxProfile) -> DialReading:
    """Simulate what ``raw`` reaches through the site's PBX and the exchange."""
    digits = dial_digits(raw)
    outside = profile.outside_line
    if outside and digits.startswith(outside):
        reading = _read_exchange(digits[len(outside):], profile, dial=raw, outside_line=outside)
    elif outside:
        reading = _read_internal(digits, profile, dial=raw)
    else:
        reading = _read_exchange(digits, profile, dial=raw, outside_line="")
    return _with_intent(reading, digits, profile)


def _with_intent(reading: DialReading, digits: str, profile: PbxProfile) -> DialReading:
    """When the reading is faulty, find the clean number the string was evidently written for."""
    if not reading.blocked:
        return reading
    outside = profile.outside_line
    if outside:
        # Written as if dialled straight onto an exchange line: the PBX outside code is missing.
        candidate = _read_exchange(digits, profile, dial=reading.dial, outside_line="")
        missing_code = True
    elif digits.startswith("00"):
        # A direct line given a PBX's outside-line 0 it no longer needs.
        candidate = _read_exchange(digits[1:], profile, dial=reading.dial, outside_line="")
        missing_code = False
    else:
        return reading
    if candidate.blocked or candidate.reaches is None or candidate.reaches == reading.reaches:
        return reading
    problems = reading.problems
    if missing_code and "missing_outside_line" not in problems:
        problems = ("missing_outside_line",) + problems
    return replace(reading, intended=candidate.reaches, problems=problems)


def _read_internal(digits: str, profile: PbxProfile, dial: str) -> DialReading:
    """No outside-line code: the PBX routes the digits to an extension."""
    length = profile.extension_length
    if len(digits) < length and digits[:3] in EMERGENCY_SERVICES:
        # PBXs put emergency calls through without the outside-line code: 110 is the police, not a short extension.
        return DialReading(dial, "", None, None, "emergency", None, digits[3:], None, ("emergency_or_service_number",))
    if len(digits) < length:
        return DialReading(dial, "", None, None, "incomplete", None, "", None, ("incomplete",), digits)
    leftover = digits[length:]
    problems = ("leftover_digits",) if leftover else ()
    return DialReading(dial, "", None, None, "internal", None, leftover, None, problems, digits[:length])


def _read_exchange(rest: str, profile: PbxProfile, dial: str, outside_line: str) -> DialReading:
    problems: list[str] = []
    caller_id = None
    if rest[:3] in ("184", "186"):
        caller_id, rest = rest[:3], rest[3:]
        if caller_id == "184":
            problems.append("caller_id_withheld")
    carrier = None
    if rest.startswith("00") and not rest.startswith(_CARRIER_FREEPHONE):
        carrier = _carrier_code(rest)
        if carrier is None or not rest[len(carrier):].startswith("0"):
            if len(rest) < 5:
                return _incomplete(dial, outside_line, caller_id, None, problems)
            return DialReading(
                dial, outside_line, caller_id, None, "geographic", None, "", None, tuple(problems + ["invalid_number"])
            )
        rest = rest[len(carrier):]
        problems.append("carrier_code")

    if not rest:
        return _incomplete(dial, outside_line, caller_id, carrier, problems)
    if rest.startswith("010"):
        number_class, reaches, leftover, status = _international(rest[3:])
        problems.append("international")
    elif rest.startswith("0"):
        number_class, reaches, leftover, status = _national(rest)
    elif rest.startswith("1"):
        number_class, reaches, leftover, status = _special(rest)
    elif profile.local_dialing and profile.area_code:
        number_class, reaches, leftover, status = _local(rest, profile)
    else:
        number_class, reaches, leftover, status = "geographic", None, "", "invalid_number"

    if status == "incomplete":
        return _incomplete(dial, outside_line, caller_id, carrier, problems)
    if status:
        problems.append(status)
    if leftover:
        problems.append("leftover_digits")
    return DialReading(
        dial, outside_line, caller_id, carrier, number_class, reaches, leftover, None, tuple(problems)
    )


def _incomplete(dial, outside_line, caller_id, carrier, problems) -> DialReading:
    return DialReading(
        dial, outside_line, caller_id, carrier, "incomplete", None, "", None, tuple(problems + ["incomplete"])
    )


def _carrier_code(rest: str) -> str | None:
    """Carrier selection codes: 0091xx, 002xx, 001, 00XY (X not 0)."""
    if rest.startswith("0091"):
        return rest[:6] if len(rest) >= 6 else None
    if rest.startswith("002"):
        return rest[:5] if len(rest) >= 5 else None
    if rest.startswith("001"):
        return "001"
    if len(rest) >= 4 and rest[2] != "0":
        return rest[:4]
    return None


def _national(rest: str) -> tuple[str, str | None, str, str | None]:
    if rest.startswith(_CARRIER_FREEPHONE):
        return _shortest_valid(rest, "toll_free", region="JP", prefix="")
    number_class, length = "geographic", _GEOGRAPHIC_LENGTH
    for prefix, cls, size in _NATIONAL_CLASSES:
        if rest.startswith(prefix):
            number_class, length = cls, size
            break
    if len(rest) < length:
        return number_class, None, "", "incomplete"
    reaches = _valid_e164(rest[:length], "JP")
    return number_class, reaches, rest[length:], None if reaches else "invalid_number"


def _international(body: str) -> tuple[str, str | None, str, str | None]:
    return _shortest_valid(body, "international", region=None, prefix="+")


def _shortest_valid(digits: str, number_class: str, region: str | None, prefix: str):
    """For variable-length numbers: the exchange completes at the first valid length."""
    if _valid_e164(prefix + digits, region):
        return number_class, _valid_e164(prefix + digits, region), "", None
    for length in range(4, len(digits)):
        reaches = _valid_e164(prefix + digits[:length], region)
        if reaches:
            return number_class, reaches, digits[length:], None
    parsed = _parse(prefix + digits, region)
    if parsed is None:
        return number_class, None, "", "incomplete" if len(digits) < 4 else "invalid_number"
    reason = phonenumbers.is_possible_number_with_reason(parsed)
    if reason == phonenumbers.ValidationResult.TOO_SHORT:
        return number_class, None, "", "incomplete"
    return number_class, None, "", "invalid_number"


def _special(rest: str) -> tuple[str, str | None, str, str | None]:
    if len(rest) < 3:
        return "service", None, "", "incomplete"
    code = rest[:3]
    number_class = "emergency" if code in EMERGENCY_SERVICES else "service"
    return number_class, None, rest[3:], "emergency_or_service_number"


def _local(rest: str, profile: PbxProfile) -> tuple[str, str | None, str, str | None]:
    length = profile.local_number_length
    if len(rest) < length:
        return "geographic", None, "", "incomplete"
    reaches = _valid_e164(profile.area_code + rest[:length], "JP")
    return "geographic", reaches, rest[length:], None if reaches else "invalid_number"


# phonenumbers is most of the time of reading a number; a city's books hold the same numbers
# many times over (the cross-book audit reads every book), so the pure answers are kept.
@functools.lru_cache(maxsize=1 << 16)
def _valid_e164(number: str, region: str | None) -> str | None:
    parsed = _parse(number, region)
    if parsed is None or not phonenumbers.is_valid_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def national_digits(e164: str | None) -> str:
    """The digits as dialled from a Japanese line: 0354321111, or 010 + the international
    number for other countries; "" for no number."""
    if not e164:
        return ""
    parsed = phonenumbers.parse(e164)
    if parsed.country_code != 81:
        return "010" + e164[1:]
    return "0" + phonenumbers.national_significant_number(parsed)


def display_number(e164: str | None) -> str:
    """03-5432-1111 for Japanese numbers, +1 202-555-0123 for the rest."""
    if not e164:
        return ""
    parsed = phonenumbers.parse(e164)
    if parsed.country_code == 81:
        return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def explain(reading: DialReading) -> str:
    """One Japanese sentence saying what the string reaches and what is wrong with it."""
    lead = []
    if reading.outside_line:
        lead.append(f"PBXが外線発信番号「{reading.outside_line}」を取り")
    if reading.caller_id == "184":
        lead.append("184で発信者番号を非通知にして")
    elif reading.caller_id == "186":
        lead.append("186で発信者番号を通知して")
    if reading.carrier:
        lead.append(f"事業者識別番号「{reading.carrier}」を経由して")
    opening = "、".join(lead) + "、" if lead else ""

    kind = CLASS_NAMES_JA[reading.number_class]
    if reading.number_class in ("emergency", "service"):
        code = _service_code(reading)
        label = EMERGENCY_SERVICES.get(code) or KNOWN_SERVICES.get(code) or "特番"
        return f"{opening}{kind}「{code}」（{label}）に接続されるため、ファクス送信には使えません。"
    if "incomplete" in reading.problems:
        return f"{opening}番号が途中で終わっているため、どこにも接続されません。"
    if reading.number_class == "internal":
        target = f"内線{reading.extension}を呼び出し"
    elif reading.reaches is None:
        return f"{opening}存在しない番号のため、どこにも接続されません。"
    else:
        local = "市内通話として" if "missing_outside_line" in reading.problems else ""
        target = f"{local}{kind} {display_number(reading.reaches)} に接続され"
    if reading.intended:
        leftover = f"、余分な桁「{reading.leftover}」は無視される" if reading.leftover else "る"
        cause = "（外線発信番号が抜けています）" if "missing_outside_line" in reading.problems else ""
        return (
            f"{opening}{target}{leftover}ため、本来の宛先 {display_number(reading.intended)} "
            f"とは別の相手につながります{cause}。"
        )
    if reading.leftover:
        return f"{opening}{target}ますが、余分な桁「{reading.leftover}」は無視されるため、登録の見直しが必要です。"
    return f"{opening}{target}ます。"


def _service_code(reading: DialReading) -> str:
    digits = dial_digits(reading.dial)[len(reading.outside_line):]
    if reading.caller_id:
        digits = digits[3:]
    if reading.carrier:
        digits = digits[len(reading.carrier):]
    return digits[:3]


def extension_for(e164: str, profile: PbxProfile) -> str | None:
    """The internal extension of one of the office's own numbers, or None when not in-house."""
    for did in profile.did_ranges:
        if e164.startswith(did.prefix):
            extension = did.extension_prefix + e164[len(did.prefix):]
            if len(extension) == profile.extension_length:
                return extension
    return None


def in_house_extension(kind: str, extension: str | None, e164: str | None, profile: PbxProfile) -> str | None:
    """The extension an in-house destination is dialled by (never through the public network):
    an internal entry's own, else that of one of the office's own numbers; None for outside ones."""
    own = extension if kind == "internal" else None
    return own or (extension_for(e164, profile) if e164 else None)


@functools.lru_cache(maxsize=1 << 16)
def is_reachable(e164: str) -> bool:
    """A valid number the exchange completes at exactly its length. phonenumbers still knows
    10-digit 060 personal numbers (UPT, withdrawn); the exchange reads 060 as 11-digit mobile."""
    parsed = _parse(e164)
    if parsed is None or not phonenumbers.is_valid_number(parsed):
        return False
    if parsed.country_code != 81:
        return True
    number_class, reaches, leftover, status = _national("0" + phonenumbers.national_significant_number(parsed))
    return reaches == e164 and not leftover and status is None


def _parse(number: str, region: str | None = None):
    try:
        return phonenumbers.parse(number, region)
    except phonenumbers.NumberParseException:
        return None


def dial_string_for(e164: str, profile: PbxProfile, pretty: bool = True) -> str:
    """The string a device must store to reach ``e164`` through this site's PBX.

    Always the full national number (trunk 0 + area code) behind the outside-line code, never a
    local call: the string then stays right when the device moves to another message area.
    """
    parts = list(_number_parts(e164))
    if profile.outside_line:
        parts.insert(0, profile.outside_line)
    text = "-".join(parts)
    return text if pretty else text.replace("-", "")


@functools.lru_cache(maxsize=1 << 16)
def _number_parts(e164: str) -> tuple[str, ...]:
    """The number as dialled after any outside-line code, in its written groups: the same at every site."""
    if not is_reachable(e164):
        raise ValueError(f"not a valid, reachable number: {e164}")
    parsed = phonenumbers.parse(e164)
    if parsed.country_code == 81:
        return (phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL),)
    return ("010", str(parsed.country_code), phonenumbers.national_significant_number(parsed))

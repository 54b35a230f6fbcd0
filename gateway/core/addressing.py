"""Email-to-fax recipient addresses: what destination a device asked for.

Accepted local parts (the domain must be faxgate's own ``[smtp] domain``):

| form | example | meaning |
|---|---|---|
| RFC 3192 global number | ``FAX=+81354321111`` (optional ``/T33S=123``) | E.164 number |
| national number | ``FAX=0354321111``, ``0354321111``, ``03-5432-1111`` | a Japanese number with its trunk 0 |
| raw dial string | ``DIAL=0-03-5432-1111`` | read through the site's PBX profile, as a device would dial it |
| speed dial | ``sd-12``, ``sd-012``, ``SD=12`` | directory entry by its slot |

Impossible destinations are refused here, before any data is sent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import phonenumbers

from directory.dialplan import DialStringError, is_reachable, read_dial_string
from directory.digits import ForeignDigitError, ascii_digits
from directory.profile import PbxProfile
from gateway.core.refusals import Refusal


@dataclass(frozen=True)
class DestinationRequest:
    kind: str  # e164 | national | dial | speed_dial
    text: str  # the local part as given (without the subaddress)
    e164: str | None = None
    slot: int | None = None
    dial: str | None = None
    subaddress: str | None = None


_SUBADDRESS = re.compile(r"/T33S=([0-9#*]{1,20})$", re.IGNORECASE)
_SPEED_DIAL = re.compile(r"^(?:sd-|sd=)([0-9]{1,5})$", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _refuse(code: str, kind: str, english: str, japanese: str):
    raise Refusal(code, kind, japanese, english)


@lru_cache(maxsize=4096)  # devices send to the same few numbers; RCPT and DATA both ask
def parse_recipient(address: str, domain: str, profile: PbxProfile) -> DestinationRequest:
    if _CONTROL.search(address):
        _refuse("address_control_characters", "malformed", "Control characters in the address", "宛先アドレスに制御文字が含まれています")
    local, at, host = address.strip("<>").rpartition("@")
    if not at or not local:
        _refuse("address_malformed", "malformed", "Address must be number@domain", "宛先は 番号@ドメイン の形式で指定してください")
    if host.lower() != domain.lower():
        _refuse("relay_denied", "not_ours", f"Relay denied: faxgate only accepts @{domain}",
                f"このゲートウェイは @{domain} 宛てのファクスだけを受け付けます")
    try:  # one reading of digits for every form below (see directory.digits)
        local = ascii_digits(local)
    except ForeignDigitError as exc:
        _refuse("foreign_digits", "malformed", f"Not a fax number: {exc.message_en}", exc.message_ja)
    subaddress = None
    match = _SUBADDRESS.search(local)
    if match:
        subaddress, local = match.group(1), local[: match.start()]

    speed = _SPEED_DIAL.match(local)
    if speed:
        return DestinationRequest("speed_dial", local, slot=int(speed.group(1)), subaddress=subaddress)
    upper = local.upper()
    if upper.startswith("DIAL="):
        dial = local[5:]
        try:
            reading = read_dial_string(dial, profile)
        except DialStringError as exc:
            _refuse("not_a_dial_string", "not_found", f"Not a dial string: {dial}", str(exc).split(" (")[0])
        if reading.blocked:
            _refuse("undialable", "not_found", f"Dial string {dial} must not be dialled: {', '.join(reading.problems)}",
                    reading.explanation)
        return DestinationRequest("dial", local, e164=reading.reaches, dial=dial, subaddress=subaddress)
    number = local[4:] if upper.startswith("FAX=") else local
    if number.startswith("+"):
        e164 = _number(number, None)
        return DestinationRequest("e164", local, e164=e164, subaddress=subaddress)
    if re.fullmatch(r"0[0-9()\- ]{8,16}", number):
        return DestinationRequest("national", local, e164=_number(number, "JP"), subaddress=subaddress)
    _refuse("unknown_address_form", "not_found", f"Unknown fax address form: {local}",
            "宛先の形式が分かりません（FAX=+81…、0から始まる番号、DIAL=…、sd-登録番号 のいずれか）")


def _number(text: str, region: str | None) -> str:
    try:
        parsed = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        parsed = None
    e164 = parsed and phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    if not e164 or not is_reachable(e164):
        _refuse("no_such_number", "not_found", f"No such fax number: {text}", f"{text} は存在しない番号です")
    return e164

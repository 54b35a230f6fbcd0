"""Who answered the call: the receiver ID (CSI) a remote fax machine announces, compared with
the one expected for the directory entry, or else with the number that was dialled.

In the Setagaya case (report No. 371) the PBX and the exchange connected a company instead of
the sister section; that company's machine announced its own ID during the handshake. A CSI
is free text of up to 20 characters, usually the machine's own number ("+81 3 5432 1111",
"0354321111"), sometimes a name: numbers are compared as numbers, names as text.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

import phonenumbers

# Verdicts that mean "this fax may have gone to the wrong place": each opens a draft incident.
ALERTS = frozenset({"mismatch", "unexpected", "absent"})


@dataclass(frozen=True)
class CsiCheck:
    verdict: str  # match | mismatch | unexpected | absent | unchecked
    reported: str
    expected: str
    explanation_ja: str
    explanation_en: str

    @property
    def alert(self) -> bool:
        return self.verdict in ALERTS


def csi_number(csi: str) -> str | None:
    """The E.164 number a CSI spells, or None when it is not a (Japanese-readable) number."""
    text = unicodedata.normalize("NFKC", csi).strip()
    digits = "".join(ch for ch in text if ch.isdigit())
    if len(digits) < 6 or any(ch.isalpha() for ch in text):
        return None
    candidate = "+" + digits if text.startswith("+") else digits
    try:
        number = phonenumbers.parse(candidate, "JP")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _same_text(a: str, b: str) -> bool:
    def norm(value: str) -> str:
        return "".join(unicodedata.normalize("NFKC", value).casefold().split()).replace("-", "")

    return norm(a) == norm(b)


def check_receiver(reported: str | None, expected: str | None, dialled_e164: str | None) -> CsiCheck:
    reported, expected = (reported or "").strip(), (expected or "").strip()

    def verdict(name: str, ja: str, en: str) -> CsiCheck:
        return CsiCheck(name, reported, expected, ja, en)

    if not reported:
        if expected:
            return verdict("absent", f"相手機は受信機ID を名乗りませんでした（登録では「{expected}」）",
                           f"the remote machine announced no receiver ID (expected {expected!r})")
        return verdict("unchecked", "相手機は受信機ID を名乗らず、登録にも期待値がないため照合できません",
                       "no receiver ID announced and none expected: not checked")
    reported_number = csi_number(reported)
    if expected:
        expected_number = csi_number(expected)
        same = (reported_number == expected_number) if reported_number and expected_number else _same_text(reported, expected)
        if same:
            return verdict("match", f"受信機ID「{reported}」は登録どおりです", f"receiver ID {reported!r} as expected")
        return verdict("mismatch", f"受信機ID「{reported}」が登録の「{expected}」と違います。別の相手に届いたおそれがあります",
                       f"receiver ID {reported!r} differs from the expected {expected!r}: the fax may have reached someone else")
    if reported_number is None:
        return verdict("unchecked", f"受信機ID「{reported}」は番号ではなく、登録に期待値がないため照合できません",
                       f"receiver ID {reported!r} is not a number and none is expected: not checked")
    if reported_number == dialled_e164:
        return verdict("match", f"受信機ID「{reported}」は送信先の番号と一致します", f"receiver ID {reported!r} is the dialled number")
    return verdict("unexpected", f"受信機ID「{reported}」は送信先の番号ではありません。別の相手に届いたおそれがあります",
                   f"receiver ID {reported!r} is not the destination's number: the fax may have reached someone else")

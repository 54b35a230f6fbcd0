"""In-house destinations are dialled by extension, never through the public network
(countermeasure 3)."""

from __future__ import annotations

from directory.dialplan import in_house_extension
from gateway.core.screening.rule import Code, Hit, Rule

INTERNAL_WITHOUT_EXTENSION = Code(
    "internal_without_extension", "庁内の宛先に内線番号がない", "in-house destination without an extension",
    "宛先表の登録に内線番号を加えるよう管理者に依頼してください。",
    "Ask an administrator to add the extension to the directory entry.")


def check(subject, tools) -> Hit | None:
    entry = subject.entry
    extension = in_house_extension(entry.kind, entry.extension, subject.e164, tools.profile)
    if extension:
        subject.dial_string = extension
    elif entry.kind == "internal":
        return Hit(INTERNAL_WITHOUT_EXTENSION.code, f"庁内の宛先 {entry.name} に内線番号が登録されていません",
                   "in-house destination without an extension")
    if subject.e164 is None:
        subject.e164 = entry.e164
    return None


RULE = Rule("internal_uses_extension", check, "block", (INTERNAL_WITHOUT_EXTENSION,))

"""The number is in the approved directory: among several entries with it, a usable one is taken."""

from __future__ import annotations

from gateway.core.screening.rule import Hit, Rule
from gateway.core.screening.rules.destination_dialable import NOT_IN_DIRECTORY

_STATUS_ORDER = {"active": 0, "needs_review": 1, "retired": 2}


def check(subject, tools) -> Hit | None:
    if subject.entry is None and subject.e164:
        entries = sorted(tools.entries_by_number(subject.e164),
                         key=lambda e: (e.pending_change is not None, _STATUS_ORDER[e.status], e.slot))
        subject.entry = entries[0] if entries else None
    if subject.entry is None:
        return Hit(
            NOT_IN_DIRECTORY.code,
            "この番号は承認済みの宛先表にありません。宛先表への登録（管理者による確認）を依頼してください",
            "the number is not in the approved directory",
        )
    return None


RULE = Rule("in_directory", check, "block", (NOT_IN_DIRECTORY,), refused_at_rcpt=True)

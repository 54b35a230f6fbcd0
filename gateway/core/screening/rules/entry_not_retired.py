"""A retired entry is never dialled (countermeasure 1: stale speed dials are retired)."""

from __future__ import annotations

from gateway.core.screening.rule import Code, Hit, Rule

RETIRED = Code(
    "retired", "宛先表の登録が廃止済み", "directory entry retired",
    "先方に現在の番号を確認し、宛先表の更新を管理者に依頼してください。",
    "Confirm the current number with the recipient and ask an administrator to update the directory.")


def check(subject, tools) -> Hit | None:
    if subject.entry.status == "retired":
        return Hit(RETIRED.code, f"宛先表の登録 {subject.entry.slot}（{subject.entry.name}）は廃止されています。"
                   "現在の番号を先方に確認してください", "the directory entry is retired")
    return None


RULE = Rule("entry_not_retired", check, "block", (RETIRED,), refused_at_rcpt=True)

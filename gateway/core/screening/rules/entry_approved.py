"""An entry added, sent elsewhere or made usable again is not dialled until a second
administrator approves that change."""

from __future__ import annotations

from gateway.core.screening.rule import Code, Hit, Rule

ENTRY_PENDING_APPROVAL = Code(
    "entry_pending_approval", "宛先表の登録の変更が承認待ち", "directory entry with a change waiting for approval",
    "別の管理者に宛先表の変更の承認を依頼し、承認後に送り直してください。",
    "Ask a second administrator to approve the directory change, then send again.")


def check(subject, tools) -> Hit | None:
    if subject.entry.pending_change is not None:
        return Hit(ENTRY_PENDING_APPROVAL.code,
                   f"宛先表の登録 {subject.entry.slot}（{subject.entry.name}）は変更 #{subject.entry.pending_change} が"
                   "別の管理者の承認待ちのため使えません。承認後にもう一度送信してください",
                   "the directory entry has a change waiting for a second administrator")
    return None


RULE = Rule("entry_approved", check, "block", (ENTRY_PENDING_APPROVAL,))

"""An entry the audit marked for review is not dialled until an administrator has looked at it."""

from __future__ import annotations

from gateway.core.screening.rule import Code, Hit, Rule

NEEDS_REVIEW = Code(
    "needs_review", "宛先表の登録が要確認", "directory entry needs review",
    "宛先表の登録内容の確認を管理者に依頼し、確認後に送り直してください。",
    "Ask an administrator to review the directory entry, then send again.")


def check(subject, tools) -> Hit | None:
    if subject.entry.status == "needs_review":
        return Hit(NEEDS_REVIEW.code,
                   f"宛先表の登録 {subject.entry.slot}（{subject.entry.name}）は要確認（登録内容の確認が済んでいない）のため使えません。"
                   "管理者に登録内容の確認を依頼してください", "the directory entry awaits review")
    return None


RULE = Rule("entry_reviewed", check, "block", (NEEDS_REVIEW,))

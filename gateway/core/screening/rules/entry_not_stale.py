"""An entry neither used nor checked with its recipient within the policy's `stale_days` is not
dialled: the number may have changed (countermeasure 1)."""

from __future__ import annotations

from gateway.core.screening.rule import Code, Hit, Rule

STALE = Code(
    "stale", "宛先表の登録が長期間未使用・未確認", "directory entry not used or verified for long",
    "番号が変わっていないか先方に確認し、確認日の記録を管理者に依頼してください。",
    "Confirm with the recipient that the number has not changed, and ask an administrator to record the "
    "confirmation.")


def check(subject, tools) -> Hit | None:
    entry = subject.entry
    last = max((d for d in (entry.last_used, entry.verified_on) if d), default=None)
    if last is None or (subject.today - last).days > tools.policy.stale_days:
        since = f"{last.isoformat()} 以降" if last else "これまで"
        return Hit(STALE.code,
                   f"登録 {entry.slot}（{entry.name}）は{since}使用・確認されていません（基準 {tools.policy.stale_days} 日）。"
                   "番号が変わっていないか先方に確認し、管理者に確認日の記録を依頼してください",
                   f"the entry was not used or verified within {tools.policy.stale_days} days")
    return None


RULE = Rule("entry_not_stale", check, "block", (STALE,))

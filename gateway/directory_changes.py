"""Directory changes as every door (CLI, API, web) meets them: who the administrator is, the
decision by directory.changes, and an audit event for each step."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from directory import changes
from directory.changes import Decision
from directory.dialplan import display_number
from directory.schema import ChangeRequest
from gateway import auditlog
from gateway.models import User

ORIGINS_JA = {"import": "取り込み", "set": "登録の修正", "reactivate": "再有効化", "web": "ウェブでの提案",
              "first_install": "初回導入"}
MESSAGES_JA = {
    "approved": "承認しました。登録は送信に使えます",
    "rejected": "却下しました。登録は変更前に戻りました",
    "not_admin": "宛先表の変更を承認・却下できるのは管理者だけです",
    "self_decision": "自分が行った変更は承認・却下できません。別の管理者が判断します",
    "decided": "この変更はすでに承認または却下されています",
    "entry_changed": "変更の後に登録が別の理由で変わったため承認できません。却下してやり直してください",
    "reason_missing": "却下の理由を書いてください",
    "no_such_change": "その変更はありません",
}


class NotAnAdmin(ValueError):
    pass


def refuse_first_install_once_admins_exist(session: Session) -> None:
    """The setup's own import needs no administrator only while there is none: once one exists,
    every import is theirs and waits for a second one."""
    if session.scalar(select(User.id).where(User.role == "admin").limit(1)) is not None:
        raise NotAnAdmin("管理者が登録されているため、初回導入としては取り込めません。--by で管理者を指定してください "
                         "(administrators exist: import with --by ADMIN, a second admin approves)")


def actor_of(user: User) -> str:
    return f"user:{user.name}"


def active_admin(session: Session, name: str) -> User:
    """The user `--by` names: an administrator whose account is active, or a clear refusal."""
    user = session.scalar(select(User).where(User.name == name))
    if user is None:
        raise NotAnAdmin(f"利用者 {name} はいません。--by には有効な管理者を指定してください (no such user: {name})")
    if not user.active or user.role != "admin":
        raise NotAnAdmin(f"{name} は有効な管理者ではありません。宛先表の変更は管理者だけが行えます "
                         f"({name} is not an active admin)")
    return user


def audit_requested(session: Session, request: ChangeRequest | None) -> None:
    if request is None:
        return
    held = changes.items(session, request)
    action = "directory.first_install_import" if request.origin == "first_install" else "directory.change_requested"
    auditlog.append(session, request.requested_by, action, f"directory_change:{request.id}", request.summary,
                    origin=request.origin, slots=[item.entry.slot for item in held], state=request.state)


def settle(session: Session, change_id: int, user: User, approve: bool, note: str, now: dt.datetime) -> Decision:
    request = session.get(ChangeRequest, change_id)
    if request is None:
        return Decision(404, "no_such_change")
    actor = actor_of(user)
    decision = changes.settle(session, request, actor, user.active and user.role == "admin", approve, note, now)
    auditlog.append(session, actor, "directory.change_approved" if approve else "directory.change_rejected",
                    f"directory_change:{request.id}", note, status=decision.status, code=decision.code,
                    requested_by=request.requested_by)
    return decision


def change_json(session: Session, request: ChangeRequest) -> dict:
    return {
        "id": request.id,
        "origin": request.origin,
        "state": request.state,
        "summary": request.summary,
        "requested_by": request.requested_by,
        "requested_at": request.requested_at.isoformat(),
        "decided_by": request.decided_by,
        "decided_at": request.decided_at.isoformat() if request.decided_at else None,
        "decision_note": request.decision_note,
        "entries": [
            {"slot": item.entry.slot, "name": item.after["name"], "added": item.before is None,
             "before": _where(item.before), "after": _where(item.after)}
            for item in changes.items(session, request)
        ],
    }


def _where(state: dict | None) -> dict | None:
    if state is None:
        return None
    return {"e164": state["e164"], "number": display_number(state["e164"]), "extension": state["extension"],
            "kind": state["kind"], "status": state["status"], "verified_on": state["verified_on"]}

"""Directory changes as every door (CLI, API, web) meets them: who the administrator is, the
decision by directory.changes, and an audit event for each step. Every function takes a unit of
work."""

from __future__ import annotations

import datetime as dt

from directory import changes
from directory.changes import Decision
from directory.dialplan import display_number
from gateway.storage.tables import User
from gateway.storage.directory_tables import ChangeRequest
from gateway.storage.uow import UnitOfWork

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


def refuse_first_install_once_admins_exist(uow: UnitOfWork) -> None:
    """The setup's own import needs no administrator only while there is none: once one exists,
    every import is theirs and waits for a second one."""
    if uow.users.any_admin():
        raise NotAnAdmin("管理者が登録されているため、初回導入としては取り込めません。--by で管理者を指定してください "
                         "(administrators exist: import with --by ADMIN, a second admin approves)")


def actor_of(user: User) -> str:
    return f"user:{user.name}"


def active_admin(uow: UnitOfWork, name: str) -> User:
    """The user `--by` names: an administrator whose account is active, or a clear refusal."""
    user = uow.users.by_name(name)
    if user is None:
        raise NotAnAdmin(f"利用者 {name} はいません。--by には有効な管理者を指定してください (no such user: {name})")
    if not user.active or user.role != "admin":
        raise NotAnAdmin(f"{name} は有効な管理者ではありません。宛先表の変更は管理者だけが行えます "
                         f"({name} is not an active admin)")
    return user


def audit_requested(uow: UnitOfWork, request: ChangeRequest | None) -> None:
    if request is None:
        return
    held = changes.items(uow, request)
    action = "directory.first_install_import" if request.origin == "first_install" else "directory.change_requested"
    uow.audit.append(request.requested_by, action, f"directory_change:{request.id}", request.summary,
                    origin=request.origin, slots=[item.entry.slot for item in held], state=request.state)


def settle(uow: UnitOfWork, change_id: int, user: User, approve: bool, note: str, now: dt.datetime) -> Decision:
    request = uow.directory.request(change_id)
    if request is None:
        return Decision(404, "no_such_change")
    actor = actor_of(user)
    decision = changes.settle(uow, request, actor, user.active and user.role == "admin", approve, note, now)
    uow.audit.append(actor, "directory.change_approved" if approve else "directory.change_rejected",
                     f"directory_change:{request.id}", note, status=decision.status, code=decision.code,
                     requested_by=request.requested_by)
    return decision


def change_json(uow: UnitOfWork, request: ChangeRequest) -> dict:
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
            {"slot": item.entry.slot, "book": item.entry.book, "name": item.after["name"], "added": item.before is None,
             "before": _where(item.before), "after": _where(item.after)}
            for item in changes.items(uow, request)
        ],
    }


def _where(state: dict | None) -> dict | None:
    if state is None:
        return None
    return {"e164": state["e164"], "number": display_number(state["e164"]), "extension": state["extension"],
            "kind": state["kind"], "status": state["status"], "verified_on": state["verified_on"],
            "inbox": state.get("inbox")}  # 庁内便: the section whose inbox takes it (older snapshots have none)

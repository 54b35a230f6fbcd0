"""Account changes from the web app against the database: the rules of
gateway.web.user_editor, each change an audit event."""

from __future__ import annotations

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from gateway import auditlog
from gateway.confirmation import Person
from gateway.models import User
from gateway.users import add_user, hash_password
from gateway.web import user_editor
from gateway.web.models import WebSession
from gateway.web.user_editor import Account, Settings


class Refused(Exception):
    def __init__(self, problems: list[str]):
        super().__init__(", ".join(problems))
        self.problems = problems


def account_of(user: User) -> Account:
    return Account(user.id, user.source, Settings(user.role, user.department, user.privacy_officer, user.active))


def _active_admins(session: Session) -> int:
    """Counted with the administrators' rows locked: two admins demoting each other at the same
    moment cannot both see the other still there (PostgreSQL; SQLite writers are serialized)."""
    rows = session.scalars(select(User.id).where(User.role == "admin", User.active.is_(True)).with_for_update())
    return len(list(rows))


def _end_sessions(session: Session, user_id: int) -> None:
    session.execute(delete(WebSession).where(WebSession.user_id == user_id))


def create(session: Session, editor: Person, editor_name: str, name: str, email: str, settings: Settings,
           password: str) -> User:
    if editor.role != "admin":
        raise Refused(["not_admin"])
    email = email.strip().lower()
    name_taken = session.scalar(select(func.count()).select_from(User).where(User.name == name)) > 0
    email_taken = session.scalar(select(func.count()).select_from(User).where(func.lower(User.email) == email)) > 0
    problems = user_editor.new_account_problems(name, email, settings, password, name_taken, email_taken)
    if problems:
        raise Refused(problems)
    user = add_user(session, name, settings.role, email, settings.department, password or None,
                    f"user:{editor_name}", privacy_officer=settings.privacy_officer)
    return user


def change(session: Session, editor: Person, editor_name: str, user: User, new: Settings) -> dict[str, list]:
    """Apply ``new`` to ``user``; returns what changed. A switched-off account's sessions end at once."""
    account = account_of(user)
    problems = user_editor.change_problems(editor, account, new, _active_admins(session))
    if problems:
        raise Refused(problems)
    changed = user_editor.changes(account.settings, new)
    if not changed:
        return changed
    user.role, user.department, user.privacy_officer, user.active = new.role, new.department, new.privacy_officer, new.active
    if not new.active:
        _end_sessions(session, user.id)
    auditlog.append(session, f"user:{editor_name}", "user.changed", f"user:{user.name}", "", changes=changed)
    return changed


def reset_password(session: Session, editor: Person, editor_name: str, user: User, password: str) -> None:
    """A new password chosen by an administrator; whoever was signed in with the old one is signed out."""
    problems = user_editor.reset_problems(editor, account_of(user), password)
    if problems:
        raise Refused(problems)
    set_password(session, user, password, f"user:{editor_name}")


def set_password(session: Session, user: User, password: str, actor: str) -> None:
    """Store a password already checked (the web app's reset above, `faxgate users passwd`)."""
    user.password_hash = hash_password(password)
    _end_sessions(session, user.id)
    auditlog.append(session, actor, "user.password_reset", f"user:{user.name}")

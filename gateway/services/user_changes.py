"""Account changes from the web app against the database: the rules of
gateway.core.user_editor, each change an audit event."""

from __future__ import annotations

from gateway.core.confirmation import Person
from gateway.storage.tables import User
from gateway.services.users import add_user, hash_password
from gateway.core import user_editor
from gateway.core.user_editor import Account, Settings
from gateway.storage.uow import UnitOfWork


class Refused(Exception):
    def __init__(self, problems: list[str]):
        super().__init__(", ".join(problems))
        self.problems = problems


def account_of(user: User) -> Account:
    return Account(user.id, user.source, Settings(user.role, user.department, user.privacy_officer, user.active))


def create(uow: UnitOfWork, editor: Person, editor_name: str, name: str, email: str, settings: Settings,
           password: str) -> User:
    if editor.role != "admin":
        raise Refused(["not_admin"])
    email = email.strip().lower()
    name_taken = uow.users.by_name(name) is not None
    email_taken = uow.users.with_email(email) is not None
    problems = user_editor.new_account_problems(name, email, settings, password, name_taken, email_taken)
    if problems:
        raise Refused(problems)
    user = add_user(uow, name, settings.role, email, settings.department, password or None,
                    f"user:{editor_name}", privacy_officer=settings.privacy_officer)
    return user


def change(uow: UnitOfWork, editor: Person, editor_name: str, user: User, new: Settings) -> dict[str, list]:
    """Apply ``new`` to ``user``; returns what changed. A switched-off account's sessions end at once."""
    account = account_of(user)
    problems = user_editor.change_problems(editor, account, new, uow.users.active_admin_count())
    if problems:
        raise Refused(problems)
    changed = user_editor.changes(account.settings, new)
    if not changed:
        return changed
    user.role, user.department, user.privacy_officer, user.active = new.role, new.department, new.privacy_officer, new.active
    if not new.active:
        uow.web_sessions.remove_of_user(user.id)
    uow.audit.append(f"user:{editor_name}", "user.changed", f"user:{user.name}", "", changes=changed)
    return changed


def reset_password(uow: UnitOfWork, editor: Person, editor_name: str, user: User, password: str) -> None:
    """A new password chosen by an administrator; whoever was signed in with the old one is signed out."""
    problems = user_editor.reset_problems(editor, account_of(user), password)
    if problems:
        raise Refused(problems)
    set_password(uow, user, password, f"user:{editor_name}")


def set_password(uow: UnitOfWork, user: User, password: str, actor: str) -> None:
    """Store a password already checked (the web app's reset above, `faxgate users passwd`)."""
    user.password_hash = hash_password(password)
    uow.web_sessions.remove_of_user(user.id)
    uow.audit.append(actor, "user.password_reset", f"user:{user.name}")

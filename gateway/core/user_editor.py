"""Administrators editing staff accounts, as plain rules: what a new account needs, which
changes are refused, and why. Nobody locks faxgate out of administration: an administrator
cannot switch off or demote themselves, and no change leaves it without an active
administrator. Accounts from the directory server (LDAP) take their role, department and
privacy officer from its groups at every sign-in, so only switching them off is done here."""

from __future__ import annotations

from dataclasses import dataclass

from gateway.core.confirmation import Person
from gateway.core.access import ROLES

NAME_MAX = 100
EMAIL_MAX = 254
DEPARTMENT_MAX = 100
PASSWORD_MIN = 12  # as `faxgate users add --password-stdin`
PASSWORD_MAX = 1024


@dataclass(frozen=True)
class Settings:
    """What the editor sets on an account."""

    role: str
    department: str
    privacy_officer: bool
    active: bool


@dataclass(frozen=True)
class Account:
    """An account as it is now."""

    user_id: int
    source: str  # local | ldap
    settings: Settings


def settings_problems(settings: Settings) -> list[str]:
    problems = []
    if settings.role not in ROLES:
        problems.append("role_invalid")
    elif settings.privacy_officer and settings.role != "approver":
        problems.append("privacy_officer_not_approver")
    if len(settings.department) > DEPARTMENT_MAX:
        problems.append("department_too_long")
    return problems


def password_problems(password: str) -> list[str]:
    if len(password) < PASSWORD_MIN:
        return ["password_short"]
    if len(password) > PASSWORD_MAX:
        return ["password_long"]
    return []


def new_account_problems(name: str, email: str, settings: Settings, password: str,
                         name_taken: bool, email_taken: bool) -> list[str]:
    """A new local account: a name and an e-mail address nobody has, valid settings, and a
    password of PASSWORD_MIN characters when one is given (without one it cannot sign in with
    a password, e.g. an account that only submits faxes)."""
    problems = []
    if not name or len(name) > NAME_MAX or any(c.isspace() or not c.isprintable() for c in name):
        problems.append("name_invalid")
    elif name_taken:
        problems.append("name_taken")
    if len(email) > EMAIL_MAX or email.count("@") != 1 or any(c.isspace() for c in email) or \
            not all(email.split("@")):
        problems.append("email_invalid")
    elif email_taken:
        problems.append("email_taken")
    problems += settings_problems(settings)
    if password:
        problems += password_problems(password)
    return problems


def change_problems(editor: Person, account: Account, new: Settings, active_admins: int) -> list[str]:
    """Codes of everything wrong with changing ``account`` to ``new``; empty when allowed.
    ``active_admins`` counts the active administrators now, ``account`` included."""
    if editor.role != "admin":
        return ["not_admin"]
    problems = settings_problems(new)
    old = account.settings
    if account.source == "ldap" and (new.role, new.department, new.privacy_officer) != \
            (old.role, old.department, old.privacy_officer):
        problems.append("directory_managed")
    stops_being_admin = old.role == "admin" and old.active and (new.role != "admin" or not new.active)
    if account.user_id == editor.user_id and (new.role != old.role or not new.active):
        problems.append("self_lockout")
    elif stops_being_admin and active_admins <= 1:
        problems.append("last_admin")
    return problems


def reset_problems(editor: Person, account: Account, password: str) -> list[str]:
    if editor.role != "admin":
        return ["not_admin"]
    if account.source == "ldap":
        return ["password_directory"]
    return password_problems(password)


def changes(old: Settings, new: Settings) -> dict[str, list]:
    """What changed, for the audit trail: field → [before, after]."""
    return {field: [getattr(old, field), getattr(new, field)]
            for field in ("role", "department", "privacy_officer", "active") if getattr(old, field) != getattr(new, field)}

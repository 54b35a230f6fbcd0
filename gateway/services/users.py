"""Staff accounts and API tokens (argon2 for passwords; tokens stored only as SHA-256)."""

from __future__ import annotations

import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import VerificationError, InvalidHashError

from gateway.core.access import ROLES
from gateway.storage.tables import User
from gateway.storage.uow import UnitOfWork

_hasher = PasswordHasher()


PRIVACY_OFFICER_NOT_APPROVER = ("個人情報保護責任者は承認者（approver）でなければなりません "
                                "(a privacy officer confirms as an approver: give the approver role)")


class UserError(ValueError):
    pass


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def password_matches(stored: str | None, password: str) -> bool:
    if not stored:
        return False
    try:
        return _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False




def add_user(uow: UnitOfWork, name: str, role: str, email: str, department: str, password: str | None, actor: str,
             privacy_officer: bool = False) -> User:
    if role not in ROLES:
        raise UserError(f"role must be one of {', '.join(ROLES)}")
    if privacy_officer and role != "approver":
        raise UserError(PRIVACY_OFFICER_NOT_APPROVER)
    email = email.strip().lower()
    if "@" not in email or any(c.isspace() for c in email):
        raise UserError(f"{email!r} はメールアドレスではありません (not an e-mail address)")
    if uow.users.by_name_or_email(name, email):
        raise UserError(f"利用者 {name} またはメールアドレス {email} は登録済みです (already exists)")
    user = uow.users.add(name=name, role=role, email=email, department=department, privacy_officer=privacy_officer,
                         password_hash=hash_password(password) if password else None)
    uow.audit.append(actor, "user.added", f"user:{name}", "", role=role, department=department, email=email,
                     privacy_officer=privacy_officer)
    return user


def user_by_name(uow: UnitOfWork, name: str) -> User:
    user = uow.users.by_name(name)
    if user is None:
        raise UserError(f"利用者 {name} はいません (no such user)")
    return user


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


def new_token(uow: UnitOfWork, user: User, actor: str) -> str:
    token = "fgt_" + secrets.token_urlsafe(32)
    uow.users.add_token(user, _digest(token))
    uow.audit.append(actor, "user.token_issued", f"user:{user.name}")
    return token


def user_for_token(uow: UnitOfWork, token: str) -> User | None:
    user = uow.users.by_token(_digest(token))
    return user if user is not None and user.active else None


def sync_directory_account(uow: UnitOfWork, name: str, email: str, member, actor: str) -> tuple[User | None, str | None]:
    """Create or update the local row of a person the directory server just signed in
    (``member``: their gateway.adapters.ldap_config.Membership, or None when no group gives them a
    role). Returns the user who may sign in, or None and why not: ``no_access`` (the account
    is switched off here too), ``deactivated`` (switched off in faxgate: an administrator
    switches it on again), ``conflict`` (the name or the e-mail address is a local account's)."""
    user = uow.users.by_name(name, for_update=True)
    if user is not None and user.source == "local" and user.password_hash:
        return None, "conflict"  # a local account (the break-glass admin) is never taken over
    email = email.strip().lower()
    if uow.users.other_with_email(email, name) is not None:
        return None, "conflict"
    if user is None:
        if member is None:
            return None, "no_access"
        user = uow.users.add(name=name, email=email, role=member.role, department=member.department,
                             privacy_officer=member.privacy_officer, source="ldap", password_hash=None, active=True)
        uow.audit.append(actor, "user.added", f"user:{name}", "from the directory server", role=member.role,
                         department=member.department, email=email, privacy_officer=member.privacy_officer)
        return user, None
    if not user.active:
        return None, "deactivated"
    if member is None:
        user.active = False
        uow.audit.append(actor, "user.changed", f"user:{name}", "in no faxgate group of the directory server",
                         changes={"active": [True, False]})
        return None, "no_access"
    now = {"role": member.role, "department": member.department, "privacy_officer": member.privacy_officer,
           "email": email, "source": "ldap"}
    changes = {key: [getattr(user, key), value] for key, value in now.items() if getattr(user, key) != value}
    if changes:
        for key, value in now.items():
            setattr(user, key, value)
        uow.audit.append(actor, "user.changed", f"user:{name}", "from the directory server's groups",
                         changes=changes)
    return user, None

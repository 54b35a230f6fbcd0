"""Staff accounts and API tokens (argon2 for passwords; tokens stored only as SHA-256)."""

from __future__ import annotations

import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import VerificationError, InvalidHashError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gateway import auditlog
from gateway.models import ApiToken, User

ROLES = ("staff", "approver", "admin", "auditor")
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


def add_user(session: Session, name: str, role: str, email: str, department: str, password: str | None, actor: str,
             privacy_officer: bool = False) -> User:
    if role not in ROLES:
        raise UserError(f"role must be one of {', '.join(ROLES)}")
    if privacy_officer and role != "approver":
        raise UserError(PRIVACY_OFFICER_NOT_APPROVER)
    email = email.strip().lower()
    if "@" not in email or any(c.isspace() for c in email):
        raise UserError(f"{email!r} はメールアドレスではありません (not an e-mail address)")
    if session.scalar(select(User).where((User.name == name) | (User.email == email))):
        raise UserError(f"利用者 {name} またはメールアドレス {email} は登録済みです (already exists)")
    user = User(name=name, role=role, email=email, department=department, privacy_officer=privacy_officer,
                password_hash=hash_password(password) if password else None)
    session.add(user)
    session.flush()
    auditlog.append(session, actor, "user.added", f"user:{name}", "", role=role, department=department, email=email,
                    privacy_officer=privacy_officer)
    return user


def user_by_name(session: Session, name: str) -> User:
    user = session.scalar(select(User).where(User.name == name))
    if user is None:
        raise UserError(f"利用者 {name} はいません (no such user)")
    return user


def user_by_email(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(func.lower(User.email) == email.strip().lower(), User.active.is_(True)))


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


def new_token(session: Session, user: User, actor: str) -> str:
    token = "fgt_" + secrets.token_urlsafe(32)
    session.add(ApiToken(user_id=user.id, token_sha256=_digest(token)))
    auditlog.append(session, actor, "user.token_issued", f"user:{user.name}")
    return token


def user_for_token(session: Session, token: str) -> User | None:
    row = session.scalar(select(ApiToken).where(ApiToken.token_sha256 == _digest(token), ApiToken.revoked.is_(False)))
    if row is None or not row.user.active:
        return None
    return row.user


def sync_directory_account(session: Session, name: str, email: str, member, actor: str) -> tuple[User | None, str | None]:
    """Create or update the local row of a person the directory server just signed in
    (``member``: their gateway.ldap_config.Membership, or None when no group gives them a
    role). Returns the user who may sign in, or None and why not: ``no_access`` (the account
    is switched off here too), ``deactivated`` (switched off in faxgate: an administrator
    switches it on again), ``conflict`` (the name or the e-mail address is a local account's)."""
    user = session.scalar(select(User).where(User.name == name).with_for_update())
    if user is not None and user.source == "local" and user.password_hash:
        return None, "conflict"  # a local account (the break-glass admin) is never taken over
    email = email.strip().lower()
    other = session.scalar(select(User).where(func.lower(User.email) == email, User.name != name))
    if other is not None:
        return None, "conflict"
    if user is None:
        if member is None:
            return None, "no_access"
        user = User(name=name, email=email, role=member.role, department=member.department,
                    privacy_officer=member.privacy_officer, source="ldap", password_hash=None, active=True)
        session.add(user)
        session.flush()
        auditlog.append(session, actor, "user.added", f"user:{name}", "from the directory server", role=member.role,
                        department=member.department, email=email, privacy_officer=member.privacy_officer)
        return user, None
    if not user.active:
        return None, "deactivated"
    if member is None:
        user.active = False
        auditlog.append(session, actor, "user.changed", f"user:{name}", "in no faxgate group of the directory server",
                        changes={"active": [True, False]})
        return None, "no_access"
    now = {"role": member.role, "department": member.department, "privacy_officer": member.privacy_officer,
           "email": email, "source": "ldap"}
    changes = {key: [getattr(user, key), value] for key, value in now.items() if getattr(user, key) != value}
    if changes:
        for key, value in now.items():
            setattr(user, key, value)
        auditlog.append(session, actor, "user.changed", f"user:{name}", "from the directory server's groups",
                        changes=changes)
    return user, None

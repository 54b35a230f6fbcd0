"""Checking a login, throttled per account name: against the stored argon2 hash for local
accounts, or against the directory server (LDAP) when one is configured.

A local account with a password (the break-glass administrator) always signs in locally, even
while the directory server is down, and no directory account can take its name. Everyone else
signs in through the directory server when there is one: it checks the password, and the
person's groups there decide their role, department and privacy officer here at every sign-in
(gateway.users.sync_directory_account). A server that cannot be asked refuses the sign-in.
Every refused password, and every sign-in the server could not check, counts for the lockout.

The password is checked between two short transactions, never inside one: argon2 takes a good
fraction of a second on purpose, a directory server may take seconds to answer, and on SQLite
an open transaction holds the write lock that the SMTP intake needs."""

from __future__ import annotations

import datetime as dt
import functools
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Callable

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from gateway import auditlog
from gateway.jobs import as_utc
from gateway.ldap_client import DirectoryAccount, DirectoryUnavailable, LdapDirectory
from gateway.ldap_config import membership
from gateway.models import User
from gateway.users import hash_password, password_matches, sync_directory_account
from gateway.web import throttle, user_editor
from gateway.web.models import LoginThrottle

ACCOUNT_MAX = 100


@dataclass(frozen=True)
class LoginResult:
    user_id: int | None
    wait: dt.timedelta | None = None  # set while the account is locked
    # Why a sign-in was refused beyond a wrong name or password: directory_unavailable,
    # no_access, deactivated, conflict, incomplete (see gateway.users.sync_directory_account)
    problem: str | None = None


UnitOfWork = Callable[[], AbstractContextManager[Session]]


@functools.cache
def _decoy_hash() -> str:
    """Checked for unknown names and accounts without a password, so they cost as long as a
    wrong password and the answer's timing tells nothing."""
    return hash_password("faxgate decoy password")


def _attempts(row: LoginThrottle | None) -> throttle.Attempts:
    if row is None:
        return throttle.Attempts()
    return throttle.Attempts(row.failures, as_utc(row.last_failure_at), row.locked_until and as_utc(row.locked_until))


def attempt(unit_of_work: UnitOfWork, account: str, password: str, now: dt.datetime,
            directory: LdapDirectory | None = None) -> LoginResult:
    key = account.strip().lower()[:ACCOUNT_MAX]
    subject = f"user:{key}"[:100]  # the audit subject column's width
    with unit_of_work() as session:
        wait = throttle.wait_left(_attempts(session.get(LoginThrottle, key)), now)
        if wait:
            auditlog.append(session, "web", "user.login_locked", subject, "login refused while locked")
            return LoginResult(None, wait)
        user = session.scalar(select(User).where(
            or_(User.name == account.strip(), func.lower(User.email) == key)
        ))
        local = user is not None and user.source == "local" and bool(user.password_hash)
        user_id, stored = (user.id, user.password_hash) if local and user.active else (None, None)
    if directory is not None and not local:
        return _through_directory(unit_of_work, directory, key, subject, account.strip(), password, now)
    matches = password_matches(stored or _decoy_hash(), password)
    return _settle(unit_of_work, key, subject, now, user_id if stored and matches else None)


def _through_directory(unit_of_work: UnitOfWork, directory: LdapDirectory, key: str, subject: str, account: str,
                       password: str, now: dt.datetime) -> LoginResult:
    try:
        found = directory.authenticate(account, password)
    except DirectoryUnavailable as exc:
        return _settle(unit_of_work, key, subject, now, None, problem="directory_unavailable", detail=str(exc))
    if found is None:
        return _settle(unit_of_work, key, subject, now, None)
    return _settle(unit_of_work, key, subject, now, None, account=found, rules=directory.config.rules())


def _settle(unit_of_work: UnitOfWork, key: str, subject: str, now: dt.datetime, user_id: int | None, *,
            problem: str | None = None, detail: str = "", account: DirectoryAccount | None = None,
            rules=()) -> LoginResult:
    """Record the outcome: a success (``user_id``, or a directory ``account`` whose password
    was right), or a failure counted for the lockout."""
    with unit_of_work() as session:
        row = session.get(LoginThrottle, key, with_for_update=True)
        attempts = _attempts(row)
        # Failures recorded while the password was being checked may have locked the account since.
        wait = throttle.wait_left(attempts, now)
        if account is not None and not wait:
            if not account.name or not account.email or len(account.name) > user_editor.NAME_MAX or \
                    len(account.email) > user_editor.EMAIL_MAX:
                problem = "incomplete"
            else:
                user, problem = sync_directory_account(session, account.name, account.email,
                                                       membership(account.groups, rules), "system:ldap")
                user_id = user.id if user else None
            if problem:  # the password was right: a refusal for who they are, not a guess
                auditlog.append(session, "web", "user.login_refused", subject, problem, dn=account.dn)
                return LoginResult(None, problem=problem)
        if user_id is not None and not wait:
            if row is not None:
                session.delete(row)
            name = session.get(User, user_id).name
            auditlog.append(session, f"user:{name}", "user.login", f"user:{name}")
            return LoginResult(user_id)
        failed = throttle.after_failure(attempts, now)
        if row is None:
            row = LoginThrottle(account=key)
            session.add(row)
        row.failures, row.last_failure_at, row.locked_until = failed.failures, failed.last_failure_at, failed.locked_until
        session.execute(delete(LoginThrottle).where(LoginThrottle.last_failure_at < now - throttle.FORGET_AFTER,
                                                    LoginThrottle.account != key))
        auditlog.append(session, "web", "user.login_failed", subject, detail, failures=failed.failures,
                        **({"problem": problem} if problem else {}))
        return LoginResult(None, throttle.wait_left(failed, now), problem)

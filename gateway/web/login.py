"""Checking a login against the stored argon2 hash, throttled per account name.

The hash is checked between two short transactions, never inside one: argon2 takes a good
fraction of a second on purpose, and on SQLite an open transaction holds the write lock that
the SMTP intake needs."""

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
from gateway.models import User
from gateway.users import hash_password, password_matches
from gateway.web import throttle
from gateway.web.models import LoginThrottle

ACCOUNT_MAX = 100


@dataclass(frozen=True)
class LoginResult:
    user_id: int | None
    wait: dt.timedelta | None = None  # set while the account is locked


@functools.cache
def _decoy_hash() -> str:
    """Checked for unknown names and accounts without a password, so they cost as long as a
    wrong password and the answer's timing tells nothing."""
    return hash_password("faxgate decoy password")


def _attempts(row: LoginThrottle | None) -> throttle.Attempts:
    if row is None:
        return throttle.Attempts()
    return throttle.Attempts(row.failures, as_utc(row.last_failure_at), row.locked_until and as_utc(row.locked_until))


def attempt(unit_of_work: Callable[[], AbstractContextManager[Session]], account: str, password: str,
            now: dt.datetime) -> LoginResult:
    key = account.strip().lower()[:ACCOUNT_MAX]
    subject = f"user:{key}"[:100]  # the audit subject column's width
    with unit_of_work() as session:
        wait = throttle.wait_left(_attempts(session.get(LoginThrottle, key)), now)
        if wait:
            auditlog.append(session, "web", "user.login_locked", subject, "login refused while locked")
            return LoginResult(None, wait)
        user = session.scalar(select(User).where(
            User.active.is_(True), or_(User.name == account.strip(), func.lower(User.email) == key)
        ))
        user_id, stored = (user.id, user.password_hash) if user is not None else (None, None)
    matches = password_matches(stored or _decoy_hash(), password)
    with unit_of_work() as session:
        row = session.get(LoginThrottle, key, with_for_update=True)
        attempts = _attempts(row)
        # Failures recorded while the hash was being checked may have locked the account since.
        wait = throttle.wait_left(attempts, now)
        if stored and matches and not wait:
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
        auditlog.append(session, "web", "user.login_failed", subject, "", failures=failed.failures)
        return LoginResult(None, throttle.wait_left(failed, now))

"""Signed-in browsers: a fresh random session id at every login (the id a browser had before
is dropped, so a planted id is worthless), an idle limit and an absolute limit, logout, and a
CSRF token bound to the session."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from gateway.storage.tables import User
from gateway.storage.uow import UnitOfWork
from gateway.storage.web_tables import WebSession

COOKIE = "faxgate_session"
IDLE_LIMIT = dt.timedelta(minutes=30)
ABSOLUTE_LIMIT = dt.timedelta(hours=10)  # a working day; then sign in again
# Writing last_seen on every request would make each page a write; a minute's slack is harmless.
TOUCH_EVERY = dt.timedelta(minutes=1)


def alive(created_at: dt.datetime, last_seen_at: dt.datetime, now: dt.datetime) -> bool:
    return now - last_seen_at <= IDLE_LIMIT and now - created_at <= ABSOLUTE_LIMIT


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


def start(uow: UnitOfWork, user: User, now: dt.datetime, previous_token: str | None) -> str:
    """A new session for ``user``; returns the token for the cookie."""
    if previous_token:
        uow.web_sessions.remove(_digest(previous_token))
    uow.web_sessions.remove_expired(seen_before=now - IDLE_LIMIT, created_before=now - ABSOLUTE_LIMIT)
    token = secrets.token_urlsafe(32)
    uow.web_sessions.add(token_sha256=_digest(token), user_id=user.id, csrf_token=secrets.token_urlsafe(32), at=now)
    return token


def resume(uow: UnitOfWork, token: str, now: dt.datetime) -> WebSession | None:
    row = uow.web_sessions.get(_digest(token))
    if row is None:
        return None
    if not alive(row.created_at, row.last_seen_at, now) or not row.user.active:
        uow.web_sessions.remove(row.token_sha256)
        return None
    if now - row.last_seen_at > TOUCH_EVERY:
        row.last_seen_at = now
    return row


def end(uow: UnitOfWork, token: str) -> None:
    uow.web_sessions.remove(_digest(token))


def tokens_match(expected: str, given: str) -> bool:
    return bool(expected) and secrets.compare_digest(expected.encode(), given.encode())

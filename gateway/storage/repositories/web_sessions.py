"""Signed-in browsers (gateway.entrypoints.web.sessions): rows keyed by the SHA-256 of their token."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete

from gateway.storage.repositories import Repository
from gateway.storage.web_tables import WebSession


class WebSessionRepository(Repository):
    def get(self, token_sha256: str) -> WebSession | None:
        return self._session.get(WebSession, token_sha256)

    def add(self, *, token_sha256: str, user_id: int, csrf_token: str, at: dt.datetime) -> None:
        """A new session, flushed: a clash of tokens fails here, not at commit."""
        self._session.add(WebSession(token_sha256=token_sha256, user_id=user_id, csrf_token=csrf_token,
                                     created_at=at, last_seen_at=at))
        self._session.flush()

    def remove(self, token_sha256: str) -> None:
        self._session.execute(delete(WebSession).where(WebSession.token_sha256 == token_sha256))

    def remove_of_user(self, user_id: int) -> None:
        """Every session of one account (switched off, or its password reset)."""
        self._session.execute(delete(WebSession).where(WebSession.user_id == user_id))

    def remove_expired(self, *, seen_before: dt.datetime, created_before: dt.datetime) -> None:
        self._session.execute(delete(WebSession).where(
            (WebSession.last_seen_at < seen_before) | (WebSession.created_at < created_before)))

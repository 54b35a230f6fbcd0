"""Failed logins per account name as typed (gateway.services.login)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete

from gateway.storage.repositories import Repository
from gateway.storage.web_tables import LoginThrottle


class LoginThrottleRepository(Repository):
    def get(self, account: str, *, for_update: bool = False) -> LoginThrottle | None:
        """With ``for_update``: locked until this unit of work ends (PostgreSQL)."""
        return self._session.get(LoginThrottle, account, with_for_update=for_update or None)

    def add(self, account: str) -> LoginThrottle:
        row = LoginThrottle(account=account)
        self._session.add(row)
        return row

    def forget(self, account: str) -> None:
        self._session.execute(delete(LoginThrottle).where(LoginThrottle.account == account))

    def forget_older(self, last_failure_before: dt.datetime, *, keep: str) -> None:
        """Drop the counts nobody added to since ``last_failure_before``, except ``keep``'s."""
        self._session.execute(delete(LoginThrottle).where(LoginThrottle.last_failure_at < last_failure_before,
                                                          LoginThrottle.account != keep))

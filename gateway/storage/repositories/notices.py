"""The notices waiting to go: queued with the change that calls for them, taken one at a time
by whichever worker is free (a try holds the notice, so two processes never mail it twice)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select, update

from gateway.storage.directory_tables import utcnow
from gateway.storage.notice_tables import Notice
from gateway.storage.repositories import Repository

# WITHDRAWN: an approver's mail whose job no longer waits for a confirmation when its turn came
PENDING, SENT, SET_ASIDE, WITHDRAWN = "pending", "sent", "set_aside", "withdrawn"


class NoticeRepository(Repository):
    def add(self, *, job_id: str | None, kind: str, recipients: list[str], subject: str, body: str) -> None:
        self._session.add(Notice(job_id=job_id, kind=kind, recipients=recipients, subject=subject, body=body,
                                 state=PENDING, tries=0, next_attempt_at=utcnow(), last_error=""))

    def claim_due(self, hold: dt.timedelta) -> Notice | None:
        """The oldest notice due for a try, counted as tried and held for `hold` (a process that
        dies mid-try leaves it to be tried again after that); None when none is due."""
        now = utcnow()
        for notice_id in self._session.scalars(
                select(Notice.id).where(Notice.state == PENDING, Notice.next_attempt_at <= now)
                .order_by(Notice.next_attempt_at, Notice.id).limit(5)):
            taken = self._session.execute(
                update(Notice).where(Notice.id == notice_id, Notice.state == PENDING, Notice.next_attempt_at <= now)
                .values(tries=Notice.tries + 1, next_attempt_at=now + hold)
                .execution_options(synchronize_session=False))
            if taken.rowcount == 1:
                return self._session.get(Notice, notice_id, populate_existing=True)
        return None

    def get(self, notice_id: int) -> Notice | None:
        return self._session.get(Notice, notice_id)

    def of_job(self, job_id: str) -> list[Notice]:
        return list(self._session.scalars(select(Notice).where(Notice.job_id == job_id).order_by(Notice.id)))

    def set_aside_count(self) -> int:
        return self._session.scalar(select(func.count()).select_from(Notice).where(Notice.state == SET_ASIDE)) or 0

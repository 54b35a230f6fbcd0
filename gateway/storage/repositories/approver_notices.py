"""Which approver was told about which waiting job, and reminded."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from gateway.storage.notice_tables import ApproverNotice


class ApproverNoticeRepository:
    def __init__(self, session):
        self._session = session

    def given(self, job_ids: list[str]) -> set[tuple[str, int, str]]:
        """(job id, user id, kind) of the notices already given for these jobs."""
        if not job_ids:
            return set()
        rows = self._session.execute(select(ApproverNotice.job_id, ApproverNotice.user_id, ApproverNotice.kind)
                                     .where(ApproverNotice.job_id.in_(job_ids)))
        return {tuple(row) for row in rows}

    def claim(self, job_id: str, user_id: int, kind: str, mailed: bool) -> bool:
        """Record the notice as given; False when it already was (by another worker, say)."""
        try:
            with self._session.begin_nested():
                self._session.add(ApproverNotice(job_id=job_id, user_id=user_id, kind=kind, mailed=mailed))
        except IntegrityError:
            return False
        return True

"""Which pages of a job each person was shown, at a size that can be read (one record for the
web's page previews and the API's page images)."""

from __future__ import annotations

from sqlalchemy import select

from gateway.storage.repositories import Repository
from gateway.storage.web_tables import PageView


class PageViewRepository(Repository):
    def record(self, user_id: int, job_id: str, content_sha256: str, page: int) -> None:
        """Once per person, job, document and page (looking again changes nothing)."""
        seen = self._session.scalar(select(PageView.id).where(
            PageView.user_id == user_id, PageView.job_id == job_id,
            PageView.content_sha256 == content_sha256, PageView.page == page,
        ))
        if seen is None:
            self._session.add(PageView(user_id=user_id, job_id=job_id, content_sha256=content_sha256, page=page))

    def pages_seen(self, user_id: int, job_id: str, content_sha256: str) -> set[int]:
        return set(self._session.scalars(select(PageView.page).where(
            PageView.user_id == user_id, PageView.job_id == job_id, PageView.content_sha256 == content_sha256,
        )))

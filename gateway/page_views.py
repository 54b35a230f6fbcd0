"""Which pages of a job each person was shown, at a size that can be read: confirming needs
every page of the document as it will be sent (gateway.approvals.confirm), whichever door the
pages were looked at through (web page preview or `GET /api/jobs/{id}/pages/{n}.png`)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.web.models import PageView  # the table predates the API's page door; one record for both


def record_view(session: Session, user_id: int, job_id: str, content_sha256: str, page: int) -> None:
    seen = session.scalar(select(PageView.id).where(
        PageView.user_id == user_id, PageView.job_id == job_id,
        PageView.content_sha256 == content_sha256, PageView.page == page,
    ))
    if seen is None:
        session.add(PageView(user_id=user_id, job_id=job_id, content_sha256=content_sha256, page=page))


def pages_seen(session: Session, user_id: int, job_id: str, content_sha256: str) -> set[int]:
    return set(session.scalars(select(PageView.page).where(
        PageView.user_id == user_id, PageView.job_id == job_id, PageView.content_sha256 == content_sha256,
    )))


def all_pages_seen(seen: set[int], pages: int | None) -> bool:
    """Viewing the pages is part of confirming: every page of the document as screened."""
    return bool(pages) and set(range(1, pages + 1)) <= seen

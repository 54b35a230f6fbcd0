"""Which pages of a job each person was shown, at a size that can be read: confirming needs
every page of the document as it will be sent (gateway.services.confirm.confirm), whichever door the
pages were looked at through (web page preview or `GET /api/jobs/{id}/pages/{n}.png`), each
recorded with ``uow.page_views.record``."""

from __future__ import annotations


def all_pages_seen(seen: set[int], pages: int | None) -> bool:
    """Viewing the pages is part of confirming: every page of the document as screened."""
    return bool(pages) and set(range(1, pages + 1)) <= seen

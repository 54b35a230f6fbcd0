"""The in-house deliveries (庁内便): what each section's inbox holds and what waits too long."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from gateway.storage.inbox_tables import InboxDelivery
from gateway.storage.repositories import Repository
from gateway.storage.tables import Job


class InboxRepository(Repository):
    def add(self, job_id: str, department: str) -> InboxDelivery:
        delivery = InboxDelivery(job_id=job_id, department=department)
        self._session.add(delivery)
        self._session.flush()
        return delivery

    def get(self, job_id: str) -> InboxDelivery | None:
        return self._session.get(InboxDelivery, job_id)

    def of_department(self, department: str, limit: int = 200) -> list[tuple[InboxDelivery, Job]]:
        """Newest first, with each delivery's job."""
        rows = self._session.execute(
            select(InboxDelivery, Job).join(Job, Job.id == InboxDelivery.job_id)
            .where(InboxDelivery.department == department)
            .order_by(InboxDelivery.delivered_at.desc()).limit(limit))
        return [tuple(row) for row in rows]

    def unacknowledged(self, department: str) -> int:
        return self._session.scalar(select(func.count()).select_from(InboxDelivery).where(
            InboxDelivery.department == department, InboxDelivery.acknowledged_at.is_(None))) or 0

    def unacknowledged_before(self, before: dt.datetime) -> list[InboxDelivery]:
        """Not acknowledged, delivered before `before` and not yet reminded."""
        return list(self._session.scalars(select(InboxDelivery).where(
            InboxDelivery.acknowledged_at.is_(None), InboxDelivery.reminded_at.is_(None),
            InboxDelivery.delivered_at < before)))

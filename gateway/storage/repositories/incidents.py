"""Incidents (wrong or possibly wrong sends), the fax server's delivery reports and how far its
log has been read."""

from __future__ import annotations

from sqlalchemy import select

from gateway.storage.tables import DeliveryReportRow, Incident, ReportCursor
from gateway.storage.repositories import Repository


class IncidentRepository(Repository):
    def report_cursor(self, path: str, inode: int) -> ReportCursor:
        """How far the log at `path` was read, locked until this unit of work ends (a new log
        starts at offset 0)."""
        cursor = self._session.get(ReportCursor, path, with_for_update=True)
        if cursor is None:
            cursor = ReportCursor(path=path, inode=inode, offset=0)
            self._session.add(cursor)
        return cursor

    def get(self, incident_id: int) -> Incident | None:
        return self._session.get(Incident, incident_id)

    def add(self, **fields) -> Incident:
        """A new incident, flushed: it has its id."""
        incident = Incident(**fields)
        self._session.add(incident)
        self._session.flush()
        return incident

    def open_for_job(self, job_id: str, open_states: tuple[str, ...]) -> Incident | None:
        return self._session.scalars(select(Incident).where(Incident.job_id == job_id,
                                                            Incident.state.in_(open_states))).first()

    def in_states(self, states: tuple[str, ...]) -> list[Incident]:
        return list(self._session.scalars(select(Incident).where(Incident.state.in_(states))))

    def newest_first(self) -> list[Incident]:
        return list(self._session.scalars(select(Incident).order_by(Incident.id.desc())))

    def add_delivery_report(self, **fields) -> None:
        self._session.add(DeliveryReportRow(**fields))

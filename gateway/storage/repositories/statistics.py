"""The questions the privacy office's statistics ask of the jobs, the audit trail, the incidents
and the destinations refused before any job existed."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select

from gateway.storage.near_miss_tables import RefusedRecipient
from gateway.storage.tables import AuditEvent, Incident, Job, User


@dataclass(frozen=True)
class JobFacts:
    id: str
    created_at: dt.datetime
    department: str
    state: str
    reason_codes: tuple[str, ...]  # of the latest screening
    identity_source: str
    was_blocked: bool
    wrong_numbers: int  # numbers re-entered at confirmation that were not the destination
    rejected_by_person: bool  # rejected, not replaced by its masked version
    incidents: int
    route: str  # fax | inbox


class StatisticsRepository:
    def __init__(self, session):
        self._session = session

    def record_refused(self, door: str, code: str, sender: str) -> None:
        department = self._session.scalar(select(User.department).where(func.lower(User.email) == sender.lower())) \
            if sender else None
        self._session.add(RefusedRecipient(door=door, code=code[:64], department=department or ""))

    def refused(self, start: dt.datetime, end: dt.datetime) -> list[tuple[dt.datetime, str, str]]:
        """(at, department, code) of the destinations refused at once in [start, end)."""
        rows = self._session.execute(select(RefusedRecipient.at, RefusedRecipient.department, RefusedRecipient.code)
                                     .where(RefusedRecipient.at >= start, RefusedRecipient.at < end))
        return [tuple(row) for row in rows]

    def jobs(self, start: dt.datetime, end: dt.datetime) -> list[JobFacts]:
        """The jobs received in [start, end), with what their audit events and incidents say."""
        rows = list(self._session.execute(
            select(Job.id, Job.created_at, Job.department, Job.state, Job.reasons, Job.identity_source, Job.route)
            .where(Job.created_at >= start, Job.created_at < end)))
        if not rows:
            return []
        in_period = select(Job.id).where(Job.created_at >= start, Job.created_at < end)
        events = self._session.execute(
            select(AuditEvent.subject, AuditEvent.action, AuditEvent.data)
            .where(AuditEvent.subject.in_(in_period),
                   AuditEvent.action.in_(("job.blocked", "job.confirm_attempt", "job.rejected"))))
        blocked, wrong, masked = set(), {}, set()
        for subject, action, data in events:
            data = data or {}
            if action == "job.blocked":
                blocked.add(subject)
            elif action == "job.confirm_attempt" and data.get("status") == 422:
                wrong[subject] = wrong.get(subject, 0) + 1
            elif action == "job.rejected" and (data.get("masked_job") or data.get("inbox_job")):  # replaced, not refused
                masked.add(subject)
        incidents = dict(self._session.execute(
            select(Incident.job_id, func.count(Incident.id)).where(Incident.job_id.in_(in_period),
                                                                    Incident.state != "dismissed")
            .group_by(Incident.job_id)).all())
        return [JobFacts(row.id, row.created_at, row.department or "", row.state,
                         tuple(r.get("code", "") for r in row.reasons or []), row.identity_source or "",
                         row.id in blocked, wrong.get(row.id, 0), row.state == "rejected" and row.id not in masked,
                         incidents.get(row.id, 0), row.route)
                for row in rows]

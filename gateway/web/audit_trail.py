"""Searching the audit trail for auditors (by office-time date range, person, job) and writing
it as CSV for a spreadsheet."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.models import AuditEvent
from gateway.web.core import OFFICE_TIME, office_time

PAGE_LIMIT = 500
CSV_COLUMNS = ("id", "at", "actor", "action", "subject", "reason", "data", "hash")


@dataclass(frozen=True)
class AuditQuery:
    since: dt.date | None = None
    until: dt.date | None = None  # inclusive
    person: str = ""
    job: str = ""

    def as_params(self) -> dict[str, str]:
        return {"since": self.since.isoformat() if self.since else "", "until": self.until.isoformat() if self.until else "",
                "person": self.person, "job": self.job}


def _utc_midnight(day: dt.date) -> dt.datetime:
    """The start of an office day in the naive UTC the audit trail stores."""
    local = dt.datetime.combine(day, dt.time(), OFFICE_TIME)
    return local.astimezone(dt.timezone.utc).replace(tzinfo=None)


def _select(query: AuditQuery):
    statement = select(AuditEvent).order_by(AuditEvent.id.desc())
    if query.since:
        statement = statement.where(AuditEvent.at >= _utc_midnight(query.since))
    if query.until:
        statement = statement.where(AuditEvent.at < _utc_midnight(query.until + dt.timedelta(days=1)))
    if query.person:
        statement = statement.where(AuditEvent.actor.contains(query.person, autoescape=True))
    if query.job:
        statement = statement.where(AuditEvent.subject.contains(query.job, autoescape=True))
    return statement


def search(session: Session, query: AuditQuery, limit: int = PAGE_LIMIT) -> list[AuditEvent]:
    return list(session.scalars(_select(query).limit(limit)))


def csv_text(session: Session, query: AuditQuery) -> str:
    """The matching events, newest first; a BOM so spreadsheet programs read the Japanese as UTF-8."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for event in session.scalars(_select(query)).yield_per(1000):
        writer.writerow([event.id, office_time(event.at), *map(_inert, (event.actor, event.action, event.subject, event.reason)),
                         _inert(json.dumps(event.data, ensure_ascii=False, sort_keys=True)), event.hash])
    return out.getvalue()


def _inert(text: str) -> str:
    """Text that a spreadsheet shows rather than runs: anyone can put a typed login name in the
    trail, and a cell starting with = + - @ would be taken as a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text

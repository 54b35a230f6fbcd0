"""Searching the audit trail for auditors (by office-time date range, person, job) and writing
it as CSV for a spreadsheet."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from dataclasses import dataclass

from gateway.core.office_time import OFFICE_TIME, office_clock
from gateway.storage.tables import AuditEvent
from gateway.storage.uow import UnitOfWork

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


def _office_midnight(day: dt.date | None) -> dt.datetime | None:
    """The start of an office day."""
    return dt.datetime.combine(day, dt.time(), OFFICE_TIME) if day else None


def _matching(uow: UnitOfWork, query: AuditQuery, limit: int | None = None):
    return uow.audit.search(since=_office_midnight(query.since),
                            before=_office_midnight(query.until and query.until + dt.timedelta(days=1)),
                            actor=query.person, subject=query.job, limit=limit)


def search(uow: UnitOfWork, query: AuditQuery, limit: int = PAGE_LIMIT) -> list[AuditEvent]:
    return list(_matching(uow, query, limit))


def csv_text(uow: UnitOfWork, query: AuditQuery) -> str:
    """The matching events, newest first; a BOM so spreadsheet programs read the Japanese as UTF-8."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for event in _matching(uow, query):
        writer.writerow([event.id, office_clock(event.at), *map(_inert, (event.actor, event.action, event.subject, event.reason)),
                         _inert(json.dumps(event.data, ensure_ascii=False, sort_keys=True)), event.hash])
    return out.getvalue()


def _inert(text: str) -> str:
    """Text that a spreadsheet shows rather than runs: anyone can put a typed login name in the
    trail, and a cell starting with = + - @ would be taken as a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text

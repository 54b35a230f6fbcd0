"""How long a job's content is kept (the policy's [retention]), as plain rules: which of a job's
kinds of content are due for deletion. The job row, its audit events and its signed record stay:
they say what happened without the pages themselves."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from gateway.core.states import JobState

DAY = dt.timedelta(days=1)
# Incidents in these states keep their job's pages: the evidence for the report to the commission.
INCIDENT_HOLDS = ("draft", "open")


@dataclass(frozen=True)
class Retention:
    sent_document_days: int = 365  # sent (and delivery_unknown): as long as the office keeps its fax log
    blocked_document_days: int = 7  # stopped: the submitter has had time to look and send a corrected one
    unsent_document_days: int = 30  # rejected, expired or failed: never went out
    message_days: int = 7  # the message as received (MIME, envelope), once the job has ended
    preview_days: int = 7  # page previews of an ended job are shown this long (the document may stay longer)

    def document_days(self, state: str) -> int | None:
        """Days after its end a document in `state` is kept; None while the job has not ended."""
        return {JobState.SENT: self.sent_document_days, JobState.DELIVERY_UNKNOWN: self.sent_document_days,
                JobState.BLOCKED: self.blocked_document_days, JobState.REJECTED: self.unsent_document_days,
                JobState.EXPIRED: self.unsent_document_days, JobState.FAILED: self.unsent_document_days}.get(state)

    def due(self, state: str, ended_at: dt.datetime, now: dt.datetime, *, has_message: bool,
            has_document: bool) -> tuple[str, ...]:
        """The kinds ("message", "document") of an ended job to delete now."""
        days = self.document_days(state)
        if days is None:
            return ()
        kinds = []
        if has_message and now - ended_at >= self.message_days * DAY:
            kinds.append("message")
        if has_document and now - ended_at >= days * DAY:
            kinds.append("document")
        return tuple(kinds)

    def previews_shown(self, state: str, ended_at: dt.datetime, now: dt.datetime) -> bool:
        return self.document_days(state) is None or now - ended_at < self.preview_days * DAY


def retention_from_table(table: dict) -> Retention:
    for name, value in table.items():
        if name not in Retention.__dataclass_fields__:
            raise ValueError(f"unknown key {name!r} (known: {', '.join(Retention.__dataclass_fields__)})")
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"{name} must be a number of days, 0 or more")
    return Retention(**table)

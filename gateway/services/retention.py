"""The purge: content whose retention period (the policy's [retention]) is over is deleted and
each deletion is an audit event. Only content goes: the job row, its audit trail and its signed
record stay, so `faxgate audit verify` and `faxgate records verify` still pass. A job with an
open incident keeps everything until the incident is closed."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from gateway.core.retention import DAY, INCIDENT_HOLDS
from gateway.core.states import JobState

ENDED = (JobState.SENT, JobState.DELIVERY_UNKNOWN, JobState.BLOCKED, JobState.REJECTED, JobState.EXPIRED,
         JobState.FAILED)
BATCH = 200


@dataclass(frozen=True)
class Purge:
    job_id: str
    state: str
    ended_at: dt.datetime
    kinds: tuple[str, ...]  # "message", "document"

    def to_json(self) -> dict:
        return {"job": self.job_id, "state": self.state, "ended_at": self.ended_at.isoformat(), "deleted": list(self.kinds)}


def due(uow, policy, now: dt.datetime, limit: int = BATCH) -> list[Purge]:
    retention, found = policy.retention, []
    document_before = {state: now - retention.document_days(state) * DAY for state in ENDED}
    candidates = uow.jobs.ended_with_content(document_before, now - retention.message_days * DAY, INCIDENT_HOLDS, limit)
    for job_id, state, ended_at, has_message, has_document in candidates:
        kinds = policy.retention.due(state, ended_at, now, has_message=has_message, has_document=has_document)
        if kinds:
            found.append(Purge(job_id, state, ended_at, kinds))
    return found


def purge(app, actor: str, *, dry_run: bool = False, now: dt.datetime | None = None) -> list[Purge]:
    """Everything due now, deleted (or with ``dry_run`` only listed), in batches."""
    now = now or dt.datetime.now(dt.timezone.utc)
    if dry_run:
        with app.unit_of_work(read_only=True) as uow:
            return due(uow, app.policy, now, limit=100_000)
    done: list[Purge] = []
    while True:
        with app.unit_of_work() as uow:
            batch = due(uow, app.policy, now)
            for item in batch:
                uow.jobs.purge_content(item.job_id, item.kinds)
                days = {"message": app.policy.retention.message_days,
                        "document": app.policy.retention.document_days(item.state)}
                uow.audit.append(actor, "retention.purged", item.job_id,
                                 f"retention period over: {', '.join(item.kinds)} deleted",
                                 deleted=list(item.kinds), state=item.state, ended_at=item.ended_at.isoformat(),
                                 kept_days={kind: days[kind] for kind in item.kinds}, policy=app.policy.version)
        done += batch
        if len(batch) < BATCH:
            return done

"""The tamper-evident audit trail: every event's hash covers its content and its predecessor's
hash, so an edited, removed or inserted row breaks the chain at that row."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.orm import Session

from gateway.models import AuditEvent, AuditHead

GENESIS = "0" * 64


def _timestamp(at: dt.datetime) -> str:
    if at.tzinfo is not None:
        at = at.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return at.isoformat(timespec="microseconds")


def event_hash(event_id: int, at: dt.datetime, actor: str, action: str, subject: str, reason: str, data: dict, prev: str) -> str:
    body = json.dumps(
        [event_id, _timestamp(at), actor, action, subject, reason, data, prev],
        ensure_ascii=False, sort_keys=True, separators=(",", ":"),
    )
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def append(session: Session, actor: str, action: str, subject: str, reason: str = "", **data) -> None:
    """Add one event in the caller's transaction."""
    append_many(session, [(actor, action, subject, reason, data)])


def append_many(session: Session | Connection, events: list[tuple[str, str, str, str, dict]]) -> None:
    """Add events (actor, action, subject, reason, data) in order, in the caller's transaction.
    The head row is locked and written with plain SQL, never cached, so every appender in any
    process sees the true end of the chain."""
    last_id, last_hash = session.execute(
        select(AuditHead.last_id, AuditHead.last_hash).where(AuditHead.id == 1).with_for_update()
    ).one()
    at = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    rows = []
    for actor, action, subject, reason, data in events:
        last_id += 1
        digest = event_hash(last_id, at, actor, action, subject, reason, data, last_hash)
        rows.append({"id": last_id, "at": at, "actor": actor, "action": action, "subject": subject,
                     "reason": reason, "data": data, "prev_hash": last_hash, "hash": digest})
        last_hash = digest
    session.execute(insert(AuditEvent), rows)
    session.execute(update(AuditHead).where(AuditHead.id == 1).values(last_id=last_id, last_hash=last_hash))


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    events: int
    problem: str = ""
    event_id: int | None = None


def verify(session: Session) -> ChainReport:
    previous_hash, expected_id, count = GENESIS, 1, 0
    for event in session.scalars(select(AuditEvent).order_by(AuditEvent.id)).yield_per(1000):
        count += 1
        if event.id != expected_id:
            return ChainReport(False, count, f"event {expected_id} was removed (next present is {event.id})", expected_id)
        if event.prev_hash != previous_hash:
            return ChainReport(False, count, f"event {event.id} does not follow its predecessor (inserted or reordered)", event.id)
        digest = event_hash(event.id, event.at, event.actor, event.action, event.subject, event.reason, event.data, event.prev_hash)
        if digest != event.hash:
            return ChainReport(False, count, f"event {event.id} was altered", event.id)
        previous_hash, expected_id = event.hash, expected_id + 1
    head = session.get(AuditHead, 1)
    if head is None or head.last_id != count or head.last_hash != previous_hash:
        return ChainReport(False, count, f"the chain ends at event {count} but its head says {head and head.last_id}: events after it were removed", count + 1)
    return ChainReport(True, count)

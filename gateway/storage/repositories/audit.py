"""The tamper-evident audit trail: every event's hash covers its content and its predecessor's
hash, so an edited, removed or inserted row breaks the chain at that row."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Iterable, Iterator

from sqlalchemy import and_, insert, or_, select, update

from gateway.storage.tables import AuditEvent, AuditHead
from gateway.storage.repositories import Repository

GENESIS = "0" * 64


def _timestamp(at: dt.datetime) -> str:
    # The hash covers the UTC wall time without an offset, as the first events were written.
    return at.astimezone(dt.timezone.utc).replace(tzinfo=None).isoformat(timespec="microseconds")


def event_hash(event_id: int, at: dt.datetime, actor: str, action: str, subject: str, reason: str, data: dict, prev: str) -> str:
    body = json.dumps(
        [event_id, _timestamp(at), actor, action, subject, reason, data, prev],
        ensure_ascii=False, sort_keys=True, separators=(",", ":"),
    )
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    events: int
    problem: str = ""
    event_id: int | None = None


class AuditRepository(Repository):
    def append(self, actor: str, action: str, subject: str, reason: str = "", **data) -> None:
        """Add one event in this unit of work."""
        self.append_many([(actor, action, subject, reason, data)])

    def append_many(self, events: list[tuple[str, str, str, str, dict]]) -> None:
        """Add events (actor, action, subject, reason, data) in order, in this unit of work.
        The head row is locked and written with plain SQL, never cached, so every appender in
        any process sees the true end of the chain."""
        session = self._session
        last_id, last_hash = session.execute(
            select(AuditHead.last_id, AuditHead.last_hash).where(AuditHead.id == 1).with_for_update()
        ).one()
        at = dt.datetime.now(dt.timezone.utc)
        rows = []
        for actor, action, subject, reason, data in events:
            last_id += 1
            digest = event_hash(last_id, at, actor, action, subject, reason, data, last_hash)
            rows.append({"id": last_id, "at": at, "actor": actor, "action": action, "subject": subject,
                         "reason": reason, "data": data, "prev_hash": last_hash, "hash": digest})
            last_hash = digest
        # Core statements on the session's connection: the intake's hot path stores many at once.
        connection = session.connection()
        connection.execute(insert(AuditEvent.__table__), rows)
        connection.execute(update(AuditHead.__table__).where(AuditHead.id == 1)
                           .values(last_id=last_id, last_hash=last_hash))

    def verify(self) -> ChainReport:
        previous_hash, expected_id, count = GENESIS, 1, 0
        for event in self.events():
            count += 1
            if event.id != expected_id:
                return ChainReport(False, count, f"event {expected_id} was removed (next present is {event.id})", expected_id)
            if event.prev_hash != previous_hash:
                return ChainReport(False, count, f"event {event.id} does not follow its predecessor (inserted or reordered)", event.id)
            digest = event_hash(event.id, event.at, event.actor, event.action, event.subject, event.reason, event.data, event.prev_hash)
            if digest != event.hash:
                return ChainReport(False, count, f"event {event.id} was altered", event.id)
            previous_hash, expected_id = event.hash, expected_id + 1
        head = self.head()
        if head is None or head.last_id != count or head.last_hash != previous_hash:
            return ChainReport(False, count, f"the chain ends at event {count} but its head says {head and head.last_id}: events after it were removed", count + 1)
        return ChainReport(True, count)

    def events(self) -> Iterator[AuditEvent]:
        """Every event in chain order (read in batches: the trail is long)."""
        return iter(self._session.scalars(select(AuditEvent).order_by(AuditEvent.id)).yield_per(1000))

    def search(self, *, since: dt.datetime | None = None, before: dt.datetime | None = None, actor: str = "",
               subject: str = "", limit: int | None = None) -> Iterator[AuditEvent]:
        """The events from ``since`` up to ``before`` whose actor and subject contain the texts
        given (taken literally), newest first (read in batches without a limit)."""
        query = select(AuditEvent).order_by(AuditEvent.id.desc())
        if since:
            query = query.where(AuditEvent.at >= since)
        if before:
            query = query.where(AuditEvent.at < before)
        if actor:
            query = query.where(AuditEvent.actor.contains(actor, autoescape=True))
        if subject:
            query = query.where(AuditEvent.subject.contains(subject, autoescape=True))
        if limit is not None:
            return iter(list(self._session.scalars(query.limit(limit))))
        return iter(self._session.scalars(query).yield_per(1000))

    def hashes(self) -> dict[int, str]:
        return dict(self._session.execute(select(AuditEvent.id, AuditEvent.hash)).all())

    def at_of(self, event_id: int) -> dt.datetime | None:
        """When one event was written (None when there is no such event)."""
        return self._session.scalar(select(AuditEvent.at).where(AuditEvent.id == event_id))

    def head(self) -> AuditHead | None:
        return self._session.get(AuditHead, 1)

    def about(self, subject: str) -> list[AuditEvent]:
        """The events of one subject (a job id, `user:NAME`, ...) in order."""
        return list(self._session.scalars(select(AuditEvent).where(AuditEvent.subject == subject)
                                          .order_by(AuditEvent.id)))

    def first_data(self, subject: str, action: str) -> dict | None:
        """The data of a subject's first event of one kind (e.g. a job's `job.received`)."""
        return self._session.scalar(select(AuditEvent.data)
                                    .where(AuditEvent.subject == subject, AuditEvent.action == action)
                                    .order_by(AuditEvent.id).limit(1))

    def data_of(self, subject: str, action: str, actor: str | None = None) -> list[dict]:
        """The data of a subject's events of one kind (with `actor`: by that actor only), in order."""
        query = select(AuditEvent.data).where(AuditEvent.subject == subject, AuditEvent.action == action)
        if actor is not None:
            query = query.where(AuditEvent.actor == actor)
        return [data or {} for data in self._session.scalars(query.order_by(AuditEvent.id))]

    def of_subjects(self, subjects: Iterable[str], actions: Iterable[str], *,
                    or_action_by: tuple[str, str] | None = None) -> list:
        """(id, subject, action, actor, reason) of these subjects' events of `actions`, and of
        `or_action_by`'s action by its actor (say, who was shown what), in order."""
        wanted = AuditEvent.action.in_(tuple(actions))
        if or_action_by is not None:
            action, actor = or_action_by
            wanted = or_(wanted, and_(AuditEvent.action == action, AuditEvent.actor == actor))
        return list(self._session.execute(
            select(AuditEvent.id, AuditEvent.subject, AuditEvent.action, AuditEvent.actor, AuditEvent.reason)
            .where(AuditEvent.subject.in_(tuple(subjects)), wanted).order_by(AuditEvent.id)))

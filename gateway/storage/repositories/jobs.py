"""Jobs, their bytes and screening results."""

from __future__ import annotations

import datetime as dt
from typing import Iterable

from sqlalchemy import and_, func, insert, literal, or_, select, union_all, update
from sqlalchemy.orm import selectinload

from gateway.storage.tables import AuditEvent, Confirmation, Incident, Job, JobBlob, Record, RuleResult
from gateway.storage.repositories import Repository
from gateway.storage.sealing import sealer_in
from gateway.core.states import JobState


RECORD_SET_ASIDE = "record.set_aside"  # the audit action of a record the worker gave up on


def unstorable_field(fields: dict) -> tuple[str, int | None] | None:
    """The first of a received job's values its column can never hold, as (column, the column's
    length; None for a NUL, which PostgreSQL text never holds), or None. The intake checks this
    before a group commit: one such message must not roll back the others stored with it."""
    columns = Job.__table__.columns
    for name, value in fields.items():
        if not isinstance(value, str) or name not in columns:
            continue
        if "\x00" in value:
            return name, None
        limit = columns[name].info.get("plain_length") or getattr(columns[name].type, "length", None)
        if limit is not None and len(value) > limit:
            return name, limit
    return None


class JobRepository(Repository):
    def get(self, job_id: str, fresh: bool = False) -> Job | None:
        """`fresh`: read again, after a claim (a conditional UPDATE) in this unit of work moved it."""
        return self._session.get(Job, job_id, populate_existing=fresh)

    def insert(self, job_rows: list[dict], blob_rows: list[dict]) -> None:
        """Many received jobs with one statement per table (the intake's group commit); each
        job's message and document sealed under a new data key of its own."""
        sealer = sealer_in(self._session)
        sealer.new_data_keys([row["id"] for row in job_rows])
        job_rows = [row | {"filename": sealer.seal_json(row["id"], "filename", row["filename"])} for row in job_rows]
        sealed = [{"job_id": row["job_id"], "document": sealer.seal(row["job_id"], "document", row["document"]),
                   # None: a masked replacement of a job whose message was already purged
                   "message": None if row["message"] is None else sealer.seal(row["job_id"], "message", row["message"])}
                  for row in blob_rows]
        connection = self._session.connection()
        connection.execute(insert(Job.__table__), job_rows)
        connection.execute(insert(JobBlob.__table__), sealed)

    def claim(self, job_id: str, from_state: str, to_state: str, owner: str | None = None,
              until: dt.datetime | None = None) -> bool:
        """One conditional UPDATE: of any number of workers or processes, exactly one wins; the
        winner holds the job under `owner`'s lease until `until` (see renew_leases)."""
        result = self._session.execute(
            update(Job)
            .where(Job.id == job_id, Job.state == from_state)
            .values(state=to_state, version=Job.version + 1, updated_at=dt.datetime.now(dt.timezone.utc),
                    lease_owner=owner, lease_until=until)
            .execution_options(synchronize_session=False)
        )
        return result.rowcount == 1

    def renew_leases(self, owner: str, states: Iterable[str], until: dt.datetime) -> int:
        """The heartbeat: every job `owner` holds in `states` is held until `until`. Neither the
        version nor updated_at change (nobody moved the job)."""
        result = self._session.execute(
            update(Job).where(Job.lease_owner == owner, Job.state.in_(tuple(states)))
            .values(lease_until=until, updated_at=Job.updated_at)
            .execution_options(synchronize_session=False))
        return result.rowcount

    def expired_leases(self, states: Iterable[str], now: dt.datetime) -> list[tuple[str, str]]:
        """(id, state) of the jobs in `states` whose lease ran out (or that never had one)."""
        return list(self._session.execute(
            select(Job.id, Job.state).where(Job.state.in_(tuple(states)), _lease_expired(now))).all())

    def take_over(self, job_id: str, from_state: str, to_state: str, now: dt.datetime) -> bool:
        """Move a job whose lease ran out; a conditional UPDATE, so a holder that renewed in the
        meantime keeps it and of several recovering processes one wins."""
        result = self._session.execute(
            update(Job).where(Job.id == job_id, Job.state == from_state, _lease_expired(now))
            .values(state=to_state, version=Job.version + 1, updated_at=now)
            .execution_options(synchronize_session=False))
        return result.rowcount == 1

    def due_ids(self, state: str, limit: int = 10, now: dt.datetime | None = None) -> list[str]:
        """The oldest jobs in `state` (with `now`: whose next attempt is due); on PostgreSQL rows
        another worker holds are skipped."""
        query = select(Job.id).where(Job.state == state).order_by(Job.created_at).limit(limit)
        if now is not None:
            query = query.where((Job.next_attempt_at.is_(None)) | (Job.next_attempt_at <= now))
        if self._session.bind.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        return list(self._session.scalars(query))

    def newest(self, limit: int, state: str | None = None) -> list[Job]:
        query = select(Job).order_by(Job.created_at.desc()).limit(limit)
        return list(self._session.scalars(query.where(Job.state == state) if state else query))

    def newest_theirs(self, limit: int, submitter_id: int, department: str | None = None,
                      state: str | None = None) -> list[Job]:
        """A person's jobs, newest first; with `department` (an approver's) their department's too."""
        query = select(Job).where(_theirs(submitter_id, department)).order_by(Job.created_at.desc()).limit(limit)
        return list(self._session.scalars(query.where(Job.state == state) if state else query))

    def awaiting_confirmation(self, submitter_id: int, department: str | None = None) -> list[Job]:
        """The jobs waiting for confirmation among a person's (see newest_theirs), oldest first,
        with their confirmations and who gave them (the rules read them all)."""
        return list(self._session.scalars(
            select(Job).where(Job.state == JobState.AWAITING_CONFIRMATION, _theirs(submitter_id, department))
            .options(selectinload(Job.confirmations).selectinload(Confirmation.user)).order_by(Job.created_at)))

    def last_moved_of(self, submitter_id: int, states: Iterable[str], limit: int) -> list[Job]:
        """A submitter's jobs in `states`, the last moved first."""
        return list(self._session.scalars(select(Job).where(Job.submitter_id == submitter_id,
                                                            Job.state.in_(tuple(states)))
                                          .order_by(Job.updated_at.desc()).limit(limit)))

    def in_states(self, states: Iterable[str]) -> list[Job]:
        return list(self._session.scalars(select(Job).where(Job.state.in_(tuple(states)))))

    def unchanged_since(self, states: Iterable[str], before: dt.datetime) -> list[Job]:
        """Jobs in `states` nobody moved since `before` (waited too long)."""
        return list(self._session.scalars(select(Job).where(Job.state.in_(tuple(states)), Job.updated_at < before)))

    def next_without_record(self, states: Iterable[str], skip: Iterable[str] = ()) -> Job | None:
        """The job that has waited longest, in one of `states`, for a record of the state it is in;
        not one of `skip` (waiting before another try), nor one whose record was set aside since it
        reached that state (see without_record_set_aside)."""
        newer = (select(Record.id).where(Record.job_id == Job.id, Record.state == Job.state,
                                         Record.created_at >= Job.updated_at).exists())
        query = select(Job).where(Job.state.in_(tuple(states)), ~newer, ~self._record_set_aside())
        skip = tuple(skip)
        if skip:
            query = query.where(Job.id.not_in(skip))
        return self._session.scalars(query.order_by(Job.updated_at).limit(1)).first()

    def without_record_set_aside(self, states: Iterable[str]) -> list[str]:
        """Jobs whose signed record failed so often that the worker set it aside (audit event
        ``record.set_aside`` since the job reached its state), oldest first: a person must look."""
        newer = (select(Record.id).where(Record.job_id == Job.id, Record.state == Job.state,
                                         Record.created_at >= Job.updated_at).exists())
        return list(self._session.scalars(select(Job.id).where(Job.state.in_(tuple(states)), ~newer,
                                                               self._record_set_aside()).order_by(Job.updated_at)))

    @staticmethod
    def _record_set_aside():
        return (select(AuditEvent.id).where(AuditEvent.subject == Job.id, AuditEvent.action == RECORD_SET_ASIDE,
                                            AuditEvent.at >= Job.updated_at).exists())

    def oldest_since(self, column: str, keys: set[tuple[str, str, str]], since: dt.datetime) -> dict[tuple[str, str, str], Job]:
        """For each (device, recipient, value of `column`: 'message_id' or 'content_sha256') in
        `keys`, the oldest job since `since` from that device to that recipient with that value:
        one query for a whole batch of messages, each key's first job read from its own index
        entries (however many jobs share the key: a document faxed again and again)."""
        if not keys:
            return {}
        value = Job.__table__.columns[column]
        ordered = sorted(keys)
        firsts = [select(select(Job.id, literal(number).label("key"))
                         .where(Job.device == device, Job.recipient == recipient, value == wanted, Job.created_at >= since)
                         .order_by(Job.created_at).limit(1).subquery())
                  for number, (device, recipient, wanted) in enumerate(ordered)]
        oldest = {row.id: ordered[row.key] for row in self._session.execute(union_all(*firsts))}
        if not oldest:
            return {}
        return {oldest[job.id]: job for job in self._session.scalars(select(Job).where(Job.id.in_(oldest)))}

    def by_relay_receipt(self, receipt: str) -> Job | None:
        """The newest job the fax server took under this receipt (its own job id)."""
        return self._session.scalars(select(Job).where(Job.relay_receipt == receipt)
                                     .order_by(Job.created_at.desc())).first()

    def blob(self, job_id: str) -> JobBlob | None:
        return self._session.get(JobBlob, job_id)

    def document_of(self, job_id: str) -> bytes | None:
        """The plain document (None once purged)."""
        stored = self._session.scalar(select(JobBlob.stored_document).where(JobBlob.job_id == job_id))
        return None if stored is None else sealer_in(self._session).open(job_id, "document", stored)

    def ended_with_content(self, document_before: dict[str, dt.datetime], message_before: dt.datetime,
                           incident_holds: Iterable[str], limit: int = 500) -> list[tuple[str, str, dt.datetime, bool, bool]]:
        """(job id, state, when it got there, message kept, document kept) of jobs in the states of
        `document_before` that got there before its time (their document is due) or before
        `message_before` (their message is due) and still hold that content; only those whose
        record for that state is signed (its thumbnails come from the pages) and that no incident
        in `incident_holds` keeps; oldest first."""
        signed = (select(Record.id).where(Record.job_id == Job.id, Record.state == Job.state,
                                          Record.created_at >= Job.updated_at).exists())
        held = select(Incident.id).where(Incident.job_id == Job.id, Incident.state.in_(tuple(incident_holds))).exists()
        due = or_(*(and_(Job.state == state, or_(
            and_(JobBlob.stored_document.is_not(None), Job.updated_at <= before),
            and_(JobBlob.stored_message.is_not(None), Job.updated_at <= message_before)))
            for state, before in document_before.items()))
        query = (select(Job.id, Job.state, Job.updated_at, JobBlob.stored_message.is_not(None),
                        JobBlob.stored_document.is_not(None))
                 .join(JobBlob, JobBlob.job_id == Job.id).where(due, signed, ~held)
                 .order_by(Job.updated_at).limit(limit))
        return [tuple(row) for row in self._session.execute(query)]

    def purge_content(self, job_id: str, kinds: Iterable[str]) -> None:
        """Delete a job's message and/or document (with the document as submitted): gone, not
        sealed (on SQLite, secure_delete overwrites the freed pages; gateway.storage.db)."""
        values = {}
        if "message" in kinds:
            values["message"] = None
        if "document" in kinds:
            values |= {"document": None, "submitted_document": None}
        if values:
            self._session.execute(update(JobBlob.__table__).where(JobBlob.__table__.c.job_id == job_id).values(**values))

    def add_rule_result(self, job: Job, **fields) -> None:
        job.rule_results.append(RuleResult(**fields))

    def add_confirmation(self, job: Job, **fields) -> None:
        """Flushed: the rules then read who gave it (their privacy officer role as it is now)."""
        job.confirmations.append(Confirmation(**fields))
        self._session.flush()

    def counts_by_state(self) -> dict[str, int]:
        return dict(self._session.execute(select(Job.state, func.count()).group_by(Job.state)).all())

    def oldest_created(self, states: Iterable[str]) -> dt.datetime | None:
        return self._session.scalar(select(func.min(Job.created_at)).where(Job.state.in_(tuple(states))))

    def oldest_updated(self, state: str) -> dt.datetime | None:
        return self._session.scalar(select(func.min(Job.updated_at)).where(Job.state == state))


def _lease_expired(now: dt.datetime):
    return or_(Job.lease_until.is_(None), Job.lease_until < now)


def _theirs(submitter_id: int, department: str | None):
    mine = Job.submitter_id == submitter_id
    return or_(mine, Job.department == department) if department is not None else mine

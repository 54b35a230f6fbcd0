"""The lists a person works from: their own jobs, what waits for their confirmation, what was
stopped, and what of theirs was not sent (until they have seen it: the header counts it)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session, selectinload

from gateway.confirmation import Person
from gateway.jobs import binding_of, given_of, needs_of
from gateway import auditlog
from gateway.models import AuditEvent, Confirmation, Job
from gateway.web import access

LIST_LIMIT = 200


def _mine_or_department(person: Person):
    if person.role == "approver":
        return or_(Job.submitter_id == person.user_id, Job.department == person.department)
    return Job.submitter_id == person.user_id


def my_jobs(session: Session, person: Person) -> list[Job]:
    return list(session.scalars(select(Job).where(Job.submitter_id == person.user_id)
                                .order_by(Job.created_at.desc()).limit(LIST_LIMIT)))


def waiting_for(session: Session, person: Person, now: dt.datetime, policy) -> list[Job]:
    candidates = session.scalars(
        select(Job).where(Job.state == "awaiting_confirmation", _mine_or_department(person))
        .options(selectinload(Job.confirmations).selectinload(Confirmation.user)).order_by(Job.created_at)
    )
    return [
        job for job in candidates
        if access.awaits(person, state=job.state, submitter_id=job.submitter_id, department=job.department,
                         given=given_of(job), binding=binding_of(job), now=now,
                         ttl_hours=policy.confirmation_ttl_hours, needs=needs_of(job, policy))
    ]


def blocked_for(session: Session, person: Person) -> list[Job]:
    return list(session.scalars(select(Job).where(Job.state == "blocked", _mine_or_department(person))
                                .order_by(Job.created_at.desc()).limit(LIST_LIMIT)))


# Where a fax of theirs ended without going out (or maybe without): its submitter must learn it,
# with or without a mail server (nobody may be left believing a fax went out).
NOT_SENT = ("blocked", "failed", "rejected", "expired", "delivery_unknown")
NOTICE_SEEN = "job.notice_seen"  # an audit event: the submitter was shown that the fax was not sent


@dataclass(frozen=True)
class NotSent:
    job: Job
    unseen: bool
    by: str  # who moved the job to its state (system:worker, user:…)
    note: str  # the reason given for that move, e.g. why an approver rejected it


def not_sent_for(session: Session, user_id: int, name: str) -> list[NotSent]:
    """The person's own faxes that were not sent, newest first, from the jobs and their audit
    trail: unseen until they have been shown the job in this state (a move they made themselves,
    such as replacing a stopped fax by its masked version, needs no telling)."""
    jobs = list(session.scalars(select(Job).where(Job.submitter_id == user_id, Job.state.in_(NOT_SENT))
                                .order_by(Job.updated_at.desc()).limit(LIST_LIMIT)))
    if not jobs:
        return []
    me = f"user:{name}"
    state_of = {job.id: job.state for job in jobs}
    moved, seen = {}, {}
    for event in session.execute(
        select(AuditEvent.id, AuditEvent.subject, AuditEvent.action, AuditEvent.actor, AuditEvent.reason)
        .where(AuditEvent.subject.in_(state_of), or_(AuditEvent.action.in_([f"job.{s}" for s in NOT_SENT]),
                                                     and_(AuditEvent.action == NOTICE_SEEN, AuditEvent.actor == me)))
        .order_by(AuditEvent.id)
    ):
        if event.action == NOTICE_SEEN:
            seen[event.subject] = event.id
        elif event.action == f"job.{state_of[event.subject]}":
            moved[event.subject] = event
    rows = []
    for job in jobs:
        move = moved.get(job.id)
        told = move is not None and (move.actor == me or seen.get(job.id, 0) > move.id)
        rows.append(NotSent(job, not told, move.actor if move else "", move.reason if move else ""))
    return rows


def mark_seen(session: Session, name: str, rows: list[NotSent]) -> int:
    """Record that the person was shown these (unseen ones only); returns how many."""
    unseen = [row for row in rows if row.unseen]
    if unseen:
        auditlog.append_many(session, [(f"user:{name}", NOTICE_SEEN, row.job.id, "", {"state": row.job.state})
                                       for row in unseen])
    return len(unseen)

"""The lists a person works from: their own jobs, what waits for their confirmation, what was
stopped, and what of theirs was not sent (until they have seen it: the header counts it)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from gateway.core.confirmation import Person
from gateway.services.jobs import binding_of, given_of, needs_of
from gateway.storage.tables import Job
from gateway.storage.uow import UnitOfWork
from gateway.core import access
from gateway.core.states import JobState

LIST_LIMIT = 200


def _department(person: Person) -> str | None:
    """An approver works from their department's jobs as well as their own."""
    return person.department if person.role == "approver" else None


def my_jobs(uow: UnitOfWork, person: Person) -> list[Job]:
    return uow.jobs.newest_theirs(LIST_LIMIT, person.user_id)


def waiting_for(uow: UnitOfWork, person: Person, now: dt.datetime, policy) -> list[Job]:
    # unit_of: gateway/entrypoints/web/core.py (the other web helper's) still hands a Session.
    candidates = uow.jobs.awaiting_confirmation(person.user_id, _department(person))
    return [
        job for job in candidates
        if access.awaits(person, state=job.state, submitter_id=job.submitter_id, department=job.department,
                         given=given_of(job), binding=binding_of(job), now=now,
                         ttl_hours=policy.confirmation_ttl_hours, needs=needs_of(job, policy))
    ]


def blocked_for(uow: UnitOfWork, person: Person) -> list[Job]:
    """Admins and auditors may see every job (access.may_see_job), so they see every department's."""
    if person.role in ("admin", "auditor"):
        return uow.jobs.newest(LIST_LIMIT, JobState.BLOCKED)
    return uow.jobs.newest_theirs(LIST_LIMIT, person.user_id, _department(person), state=JobState.BLOCKED)


# Where a fax of theirs ended without going out (or maybe without): its submitter must learn it,
# with or without a mail server (nobody may be left believing a fax went out).
NOT_SENT = (JobState.BLOCKED, JobState.FAILED, JobState.REJECTED, JobState.EXPIRED, JobState.DELIVERY_UNKNOWN)
NOTICE_SEEN = "job.notice_seen"  # an audit event: the submitter was shown that the fax was not sent


@dataclass(frozen=True)
class NotSent:
    job: Job
    unseen: bool
    by: str  # who moved the job to its state (system:worker, user:…)
    note: str  # the reason given for that move, e.g. why an approver rejected it


def not_sent_for(uow: UnitOfWork, user_id: int, name: str) -> list[NotSent]:
    """The person's own faxes that were not sent, newest first, from the jobs and their audit
    trail: unseen until they have been shown the job in this state (a move they made themselves,
    such as replacing a stopped fax by its masked version, needs no telling)."""
    jobs = uow.jobs.last_moved_of(user_id, NOT_SENT, LIST_LIMIT)
    if not jobs:
        return []
    me = f"user:{name}"
    state_of = {job.id: job.state for job in jobs}
    moved, seen = {}, {}
    for event in uow.audit.of_subjects(state_of, [f"job.{s}" for s in NOT_SENT], or_action_by=(NOTICE_SEEN, me)):
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


def mark_seen(uow: UnitOfWork, name: str, rows: list[NotSent]) -> int:
    """Record that the person was shown these (unseen ones only); returns how many."""
    unseen = [row for row in rows if row.unseen]
    if unseen:
        uow.audit.append_many([(f"user:{name}", NOTICE_SEEN, row.job.id, "", {"state": row.job.state})
                               for row in unseen])
    return len(unseen)

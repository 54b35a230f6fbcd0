"""The lists a person works from: their own jobs, what waits for their confirmation, and what
was stopped."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from gateway.confirmation import Person
from gateway.jobs import binding_of, given_of, needs_of
from gateway.models import Confirmation, Job
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

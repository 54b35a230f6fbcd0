"""What the job pages show, gathered from the stored job: the destination number only to those
gateway.approvals.may_see_number allows, and hidden from every text shown to anyone else."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from directory.dialplan import display_number
from directory.schema import DirectoryEntry
from gateway import approvals, confirmation
from gateway.confirmation import Person
from gateway.jobs import binding_of, given_of, needs_of
from gateway.models import AuditEvent, Job
from gateway.web import access, labels


@dataclass(frozen=True)
class EntryShown:
    slot: int
    name: str
    organization: str
    status: str
    verified_on: dt.date | None
    verified_by: str | None


@dataclass(frozen=True)
class ReasonShown:
    code: str
    message_ja: str
    message_en: str
    advice: str  # a catalog message


@dataclass(frozen=True)
class ConfirmationShown:
    user: str
    role: str
    at: dt.datetime
    valid: bool
    privacy_officer: bool


@dataclass
class JobShown:
    id: str
    state: str
    created_at: dt.datetime
    submitter: str
    department: str
    filename: str
    pages: int
    number: str | None  # None while hidden
    entry: EntryShown | None
    reasons: list[ReasonShown] = field(default_factory=list)
    findings: list[dict] = field(default_factory=list)
    confirmations: list[ConfirmationShown] = field(default_factory=list)
    mismatches: int = 0
    awaits_me: bool = False
    may_reject: bool = False
    may_send_masked: bool = False
    needs_privacy_officer: bool = False
    privacy_officer_missing: bool = False  # needed, and no valid confirmation by one yet


def _entry(entry: DirectoryEntry | None) -> EntryShown | None:
    if entry is None:
        return None
    return EntryShown(entry.slot, entry.name, entry.organization, entry.status, entry.verified_on, entry.verified_by)


def _number(job: Job, shown: bool) -> str | None:
    if not shown:
        return None
    if job.e164:
        return display_number(job.e164)
    return f"内線 {job.dial_string}" if job.dial_string else job.destination_input


def summaries(session: Session, jobs: list[Job], person: Person, now: dt.datetime, policy) -> list[JobShown]:
    """The lines of a job list: entries fetched at once, not one query per job."""
    entry_ids = {job.entry_id for job in jobs if job.entry_id}
    entries = {e.id: e for e in session.scalars(select(DirectoryEntry).where(DirectoryEntry.id.in_(entry_ids)))} if entry_ids else {}
    rows = []
    for job in jobs:
        shown = approvals.may_see_number(job, person.user_id, policy, now)
        rows.append(JobShown(job.id, job.state, job.created_at, job.submitter_email, job.department, job.filename,
                             job.pages or 0, _number(job, shown), _entry(entries.get(job.entry_id)),
                             _reasons(session, job, shown)))
    return rows


def _reasons(session: Session, job: Job, shown: bool) -> list[ReasonShown]:
    hide = (lambda text: text) if shown else approvals.number_hider(session, job)
    return [ReasonShown(r.get("code", ""), hide(r.get("message_ja", "")), hide(r.get("message_en", "")),
                        labels.block_advice(r.get("code", ""))) for r in job.reasons or []]


def detail(session: Session, job: Job, person: Person, now: dt.datetime, policy) -> JobShown:
    entry = session.get(DirectoryEntry, job.entry_id) if job.entry_id else None
    binding, given, needs = binding_of(job), given_of(job), needs_of(job, policy)
    valid_given = confirmation.valid_confirmations(given, binding, now, policy.confirmation_ttl_hours)
    valid = {(g.user_id, g.role) for g in valid_given}
    attempts = session.scalars(select(AuditEvent).where(AuditEvent.subject == job.id,
                                                        AuditEvent.action == "job.confirm_attempt"))
    shown = approvals.may_see_number(job, person.user_id, policy, now)
    return JobShown(
        id=job.id, state=job.state, created_at=job.created_at, submitter=job.submitter_email,
        department=job.department, filename=job.filename, pages=job.pages or 0, number=_number(job, shown),
        entry=_entry(entry), reasons=_reasons(session, job, shown), findings=list(job.findings or []),
        confirmations=[ConfirmationShown(c.user.name, c.role, c.at, (c.user_id, c.role) in valid,
                                         c.role == "approver" and c.user.privacy_officer) for c in job.confirmations],
        mismatches=sum(1 for event in attempts if event.data.get("status") == 422),
        awaits_me=access.awaits(person, state=job.state, submitter_id=job.submitter_id, department=job.department,
                                given=given, binding=binding, now=now, ttl_hours=policy.confirmation_ttl_hours,
                                needs=needs),
        may_reject=access.may_reject(person, job.state, job.submitter_id, job.department),
        may_send_masked=access.may_send_masked(person, job.state, job.submitter_id, job.reasons or [], job.findings or []),
        needs_privacy_officer=needs.privacy_officer,
        privacy_officer_missing=confirmation.outstanding(valid_given, needs).privacy_officer,
    )

"""What the job pages show, gathered from the stored job: the destination number only to those
gateway.services.confirm.may_see_number allows, and hidden from every text shown to anyone else."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from directory.dialplan import display_number
from gateway.services import confirm as approvals, resends
from gateway.core import confirmation
from gateway.core.confirmation import Person
from gateway.services.jobs import binding_of, given_of, needs_of
from gateway.storage.directory_tables import DirectoryEntry
from gateway.storage.tables import Job
from gateway.storage.uow import UnitOfWork
from gateway.core import access
from gateway.core.screening import CODES, code_of
from gateway.core.states import JobState


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
    advice: str  # a catalog message (gateway.core.screening's advice, in English; the catalog has its Japanese)


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
    mine: bool = False  # the viewer submitted it
    masked_from: str | None = None  # the stopped job this is the auto-masked version of
    masked_as: str | None = None  # the auto-masked job that replaced this stopped one
    resend_of: str | None = None  # the job a device's resend after a crash repeats (services.resends)
    resends_received: int = 0  # copies of this job a device sent again while it was under way
    route: str = "fax"  # fax | inbox (庁内便)
    inbox: str | None = None  # the destination section whose faxgate inbox takes 庁内便, if it has one
    delivery: object | None = None  # gateway.storage.inbox_tables.InboxDelivery once delivered in-house
    may_send_by_inbox: bool = False  # stopped for personal data, and the destination has an inbox
    inbox_as: str | None = None  # the in-house delivery that replaced this stopped job

    @property
    def screened(self) -> bool:
        """Before the checks have run there is nothing to say about destination, findings or pages."""
        return self.state not in (JobState.RECEIVED, JobState.SCREENING)


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


def summaries(uow: UnitOfWork, jobs: list[Job], person: Person, now: dt.datetime, policy) -> list[JobShown]:
    """The lines of a job list: entries fetched at once, not one query per job."""
    entries = uow.directory.by_ids({job.entry_id for job in jobs if job.entry_id})
    rows = []
    for job in jobs:
        shown = approvals.may_see_number(uow, job, person.user_id, policy, now)
        rows.append(JobShown(job.id, job.state, job.created_at, job.submitter_email, job.department, job.filename,
                             job.pages or 0, _number(job, shown), _entry(entries.get(job.entry_id)),
                             _reasons(uow, job, shown)))
    return rows


def _reasons(uow: UnitOfWork, job: Job, shown: bool) -> list[ReasonShown]:
    hide = (lambda text: text) if shown else approvals.number_hider(uow, job)
    return [ReasonShown(code, hide(_why(code, r.get("message_ja", ""), "。")), hide(_why(code, r.get("message_en", ""), ". ")),
                        code_of(code).advice_en) for r in job.reasons or [] for code in [r.get("code", "")]]


def _why(code: str, message: str, full_stop: str) -> str:
    """The screening's reasons go on to say what to do; where the page gives its own advice for
    this kind of stop, the reason keeps only why, so that nobody reads the same advice twice."""
    if code not in CODES or full_stop not in message.rstrip(full_stop.strip()):
        return message
    return message.split(full_stop, 1)[0] + full_stop.strip()


def detail(uow: UnitOfWork, job: Job, person: Person, now: dt.datetime, policy) -> JobShown:
    entry = uow.directory.get(job.entry_id) if job.entry_id else None
    binding, given, needs = binding_of(job), given_of(job), needs_of(job, policy)
    valid_given = confirmation.valid_confirmations(given, binding, now, policy.confirmation_ttl_hours)
    valid = {(g.user_id, g.role) for g in valid_given}
    attempts = uow.audit.data_of(job.id, "job.confirm_attempt")
    shown = approvals.may_see_number(uow, job, person.user_id, policy, now)
    return JobShown(
        id=job.id, state=job.state, created_at=job.created_at, submitter=job.submitter_email,
        department=job.department, filename=job.filename, pages=job.pages or 0, number=_number(job, shown),
        entry=_entry(entry), reasons=_reasons(uow, job, shown), findings=list(job.findings or []),
        confirmations=[ConfirmationShown(c.user.name, c.role, c.at, (c.user_id, c.role) in valid,
                                         c.role == "approver" and c.user.privacy_officer) for c in job.confirmations],
        mismatches=sum(1 for data in attempts if data.get("status") == 422),
        awaits_me=access.awaits(person, state=job.state, submitter_id=job.submitter_id, department=job.department,
                                given=given, binding=binding, now=now, ttl_hours=policy.confirmation_ttl_hours,
                                needs=needs),
        may_reject=access.may_reject(person, job.state, job.submitter_id, job.department),
        may_send_masked=access.may_send_masked(person, job.state, job.submitter_id, job.reasons or [], job.findings or []),
        needs_privacy_officer=needs.privacy_officer,
        privacy_officer_missing=confirmation.outstanding(valid_given, needs).privacy_officer,
        mine=job.submitter_id == person.user_id,
        masked_from=approvals.masked_original(job), masked_as=approvals.masked_replacement(uow, job),
        resend_of=job.resend_of, resends_received=resends.copies_received(uow, job.id),
        route=job.route, inbox=entry.inbox if entry else None, delivery=uow.inbox.get(job.id),
        may_send_by_inbox=bool(entry and entry.inbox) and access.may_send_masked(
            person, job.state, job.submitter_id, job.reasons or [], job.findings or []),
        inbox_as=approvals.inbox_replacement(uow, job),
    )

"""The one owner of job state: creation, every transition (each an audit event), atomic claims."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from gateway.core import confirmation
from gateway.core.states import JobState, check_transition
from gateway.services.leases import Lease
from gateway.storage.tables import Job
from gateway.storage.uow import UnitOfWork


JOB_ID_PATTERN = r"\d{8}-[0-9a-f]{12}"  # what new_job_id makes


def new_job_id() -> str:
    """Date for people reading it, 48 random bits so concurrent gateways never collide."""
    return f"{dt.datetime.now(dt.timezone.utc):%Y%m%d}-{secrets.token_hex(6)}"




def create_jobs(uow: UnitOfWork, specs: list[dict]) -> list[str]:
    """Store received jobs in the caller's unit of work with one statement per table: the intake
    commits many at once (one fsync for all the devices waiting). Each spec holds the Job
    columns plus ``message``, ``document`` and ``actor``."""
    if not specs:
        return []
    job_rows, blob_rows, events = [], [], []
    for spec in specs:
        fields = dict(spec)
        message, document, actor = fields.pop("message"), fields.pop("document"), fields.pop("actor")
        job_id = new_job_id()
        job_rows.append({**fields, "id": job_id, "state": JobState.RECEIVED})
        blob_rows.append({"job_id": job_id, "message": message, "document": document})
        events.append((actor, "job.received", job_id, "", {
            "recipient": fields["recipient"], "sha256": fields["content_sha256"], "size": fields["size"],
            "device": fields["device"], "submitter": fields["submitter_email"], "identity": fields["identity_source"],
        }))
    uow.jobs.insert(job_rows, blob_rows)
    uow.audit.append_many(events)
    return [row["id"] for row in job_rows]


def move(uow: UnitOfWork, job: Job, new_state: str, actor: str, reason: str = "", **data) -> None:
    check_transition(job.state, new_state)
    old = job.state
    job.state = new_state
    uow.audit.append(actor, f"job.{new_state}", job.id, reason, previous=old, **data)


def claim(uow: UnitOfWork, job_id: str, from_state: str, to_state: str, actor: str, reason: str = "",
          lease: Lease | None = None) -> bool:
    """Of any number of workers or processes, exactly one wins (uow.jobs.claim); with `lease`,
    it holds the job under that lease (services.leases)."""
    check_transition(from_state, to_state)
    owner, until = (lease.owner, lease.until) if lease else (None, None)
    if not uow.jobs.claim(job_id, from_state, to_state, owner, until):
        return False
    uow.audit.append(actor, f"job.{to_state}", job_id, reason, previous=from_state,
                     **({"lease_owner": owner} if lease else {}))
    return True



def replace_document(uow: UnitOfWork, job: Job, data: bytes, actor: str, reason: str) -> None:
    """The document faxgate itself made of the submitted one while screening (its cover sheet
    prepended), before anyone confirmed: from now on the bytes screened, confirmed and relayed.
    The message as received stays as it was; the event keeps both hashes."""
    previous = job.content_sha256
    blob = uow.jobs.blob(job.id)
    if blob.submitted_document is None:
        blob.submitted_document = blob.document
    blob.document = data
    job.content_sha256, job.size = hashlib.sha256(data).hexdigest(), len(data)
    uow.audit.append(actor, "job.document_replaced", job.id, reason, previous_sha256=previous,
                     sha256=job.content_sha256, size=job.size)


def screened_against_the_past(uow: UnitOfWork, job: Job, policy) -> bool:
    """Whether the job was screened against a directory entry or a policy that has changed since:
    its destination, cover sheet and confirmations then stand for something that no longer is."""
    entry = uow.directory.get(job.entry_id) if job.entry_id else None
    return entry is None or entry.version != job.entry_version or job.policy_version != policy.version


def screen_again(uow: UnitOfWork, job: Job, actor: str, reason: str) -> None:
    """Back to the start with the document as submitted (faxgate's cover sheet, naming the old
    destination, comes off): every confirmation given so far no longer counts, since the new
    screening binds the job to the new destination (and usually a new cover sheet)."""
    blob = uow.jobs.blob(job.id)
    if blob.submitted_document is not None:
        blob.document, blob.submitted_document = blob.submitted_document, None
        job.content_sha256, job.size = hashlib.sha256(blob.document).hexdigest(), len(blob.document)
    job.next_attempt_at = None
    move(uow, job, JobState.RECEIVED, actor, reason, sha256=job.content_sha256)


def cover_generated(rule_results) -> bool:
    """Whether the job's latest screening put faxgate's cover sheet in front of its document
    (the code gateway.core.screening.rules.cover_sheet_prepend records; `rule_results`: the job's
    RuleResult rows, or their JSON form)."""
    rows = [(r["run"], r["code"]) if isinstance(r, dict) else (r.run, r.code) for r in rule_results]
    last = max((run for run, _ in rows), default=None)
    return any(run == last and code == "cover_sheet_generated" for run, code in rows)


def received_sha256(uow: UnitOfWork, job: Job) -> str:
    """The SHA-256 of the document as submitted: the job's content hash unless faxgate replaced
    the document, then the one its intake event recorded."""
    if not cover_generated(job.rule_results):
        return job.content_sha256
    data = uow.audit.first_data(job.id, "job.received")
    return (data or {}).get("sha256") or job.content_sha256


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)



def binding_of(job: Job) -> confirmation.Binding:
    return confirmation.Binding(job.content_sha256, job.e164 or "", job.entry_version, job.policy_version)


def given_of(job: Job) -> list[confirmation.Given]:
    """The job's confirmations for the rules. Whether a person is a privacy officer is taken as
    it is now: a privacy officer who lost the role no longer counts as one."""
    return [
        confirmation.Given(c.user_id, c.role,
                           confirmation.Binding(c.content_sha256, c.e164, c.entry_version, c.policy_version), c.at,
                           privacy_officer=c.user.privacy_officer)
        for c in job.confirmations
    ]


def needs_of(job: Job, policy) -> confirmation.Needs:
    """The policy's approvers, plus any the screening findings asked for, and whether one of
    them must be a privacy officer."""
    return confirmation.Needs(policy.approvers + (job.extra_approvers or 0), bool(job.needs_privacy_officer))

"""The one owner of job state: creation, every transition (each an audit event), atomic claims."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.orm import Session

from directory.schema import DirectoryEntry
from gateway import auditlog, confirmation
from gateway.jobstates import check_transition
from gateway.models import AuditEvent, Job, JobBlob


JOB_ID_PATTERN = r"\d{8}-[0-9a-f]{12}"  # what new_job_id makes


def new_job_id() -> str:
    """Date for people reading it, 48 random bits so concurrent gateways never collide."""
    return f"{dt.datetime.now(dt.timezone.utc):%Y%m%d}-{secrets.token_hex(6)}"


def create_jobs(session: Session | Connection, specs: list[dict]) -> list[str]:
    """Store received jobs in the caller's transaction with one statement per table: the intake
    commits many at once (one fsync for all the devices waiting). Each spec holds the Job
    columns plus ``message``, ``document`` and ``actor``."""
    if not specs:
        return []
    job_rows, blob_rows, events = [], [], []
    for spec in specs:
        fields = dict(spec)
        message, document, actor = fields.pop("message"), fields.pop("document"), fields.pop("actor")
        job_id = new_job_id()
        job_rows.append({**fields, "id": job_id, "state": "received"})
        blob_rows.append({"job_id": job_id, "message": message, "document": document})
        events.append((actor, "job.received", job_id, "", {
            "recipient": fields["recipient"], "sha256": fields["content_sha256"], "size": fields["size"],
            "device": fields["device"], "submitter": fields["submitter_email"], "identity": fields["identity_source"],
        }))
    session.execute(insert(Job), job_rows)
    session.execute(insert(JobBlob), blob_rows)
    auditlog.append_many(session, events)
    return [row["id"] for row in job_rows]


def move(session: Session, job: Job, new_state: str, actor: str, reason: str = "", **data) -> None:
    check_transition(job.state, new_state)
    old = job.state
    job.state = new_state
    auditlog.append(session, actor, f"job.{new_state}", job.id, reason, previous=old, **data)


def claim(session: Session, job_id: str, from_state: str, to_state: str, actor: str, reason: str = "") -> bool:
    """One conditional UPDATE: of any number of workers or processes, exactly one wins."""
    check_transition(from_state, to_state)
    result = session.execute(
        update(Job)
        .where(Job.id == job_id, Job.state == from_state)
        .values(state=to_state, version=Job.version + 1, updated_at=dt.datetime.now(dt.timezone.utc))
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return False
    auditlog.append(session, actor, f"job.{to_state}", job_id, reason, previous=from_state)
    return True


def due_ids(session: Session, state: str, limit: int = 10, now: dt.datetime | None = None) -> list[str]:
    query = select(Job.id).where(Job.state == state).order_by(Job.created_at).limit(limit)
    if now is not None:
        query = query.where((Job.next_attempt_at.is_(None)) | (Job.next_attempt_at <= now))
    if session.bind.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return list(session.scalars(query))


def document_of(session: Session, job_id: str) -> bytes:
    return session.scalar(select(JobBlob.document).where(JobBlob.job_id == job_id))


def replace_document(session: Session, job: Job, data: bytes, actor: str, reason: str) -> None:
    """The document faxgate itself made of the submitted one while screening (its cover sheet
    prepended), before anyone confirmed: from now on the bytes screened, confirmed and relayed.
    The message as received stays as it was; the event keeps both hashes."""
    previous = job.content_sha256
    blob = session.get(JobBlob, job.id)
    if blob.submitted_document is None:
        blob.submitted_document = blob.document
    blob.document = data
    job.content_sha256, job.size = hashlib.sha256(data).hexdigest(), len(data)
    auditlog.append(session, actor, "job.document_replaced", job.id, reason, previous_sha256=previous,
                    sha256=job.content_sha256, size=job.size)


def screened_against_the_past(session: Session, job: Job, policy) -> bool:
    """Whether the job was screened against a directory entry or a policy that has changed since:
    its destination, cover sheet and confirmations then stand for something that no longer is."""
    entry = session.get(DirectoryEntry, job.entry_id) if job.entry_id else None
    return entry is None or entry.version != job.entry_version or job.policy_version != policy.version


def screen_again(session: Session, job: Job, actor: str, reason: str) -> None:
    """Back to the start with the document as submitted (faxgate's cover sheet, naming the old
    destination, comes off): every confirmation given so far no longer counts, since the new
    screening binds the job to the new destination (and usually a new cover sheet)."""
    blob = session.get(JobBlob, job.id)
    if blob.submitted_document is not None:
        blob.document, blob.submitted_document = blob.submitted_document, None
        job.content_sha256, job.size = hashlib.sha256(blob.document).hexdigest(), len(blob.document)
    job.next_attempt_at = None
    move(session, job, "received", actor, reason, sha256=job.content_sha256)


def cover_generated(rule_results) -> bool:
    """Whether the job's latest screening put faxgate's cover sheet in front of its document
    (the code gateway.screening.cover_sheet_prepend records; `rule_results`: the job's
    RuleResult rows, or their JSON form)."""
    rows = [(r["run"], r["code"]) if isinstance(r, dict) else (r.run, r.code) for r in rule_results]
    last = max((run for run, _ in rows), default=None)
    return any(run == last and code == "cover_sheet_generated" for run, code in rows)


def received_sha256(session: Session, job: Job) -> str:
    """The SHA-256 of the document as submitted: the job's content hash unless faxgate replaced
    the document, then the one its intake event recorded."""
    if not cover_generated(job.rule_results):
        return job.content_sha256
    data = session.scalar(select(AuditEvent.data)
                          .where(AuditEvent.subject == job.id, AuditEvent.action == "job.received")
                          .order_by(AuditEvent.id).limit(1))
    return (data or {}).get("sha256") or job.content_sha256


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def as_utc(value: dt.datetime) -> dt.datetime:
    """SQLite hands back naive datetimes; everything faxgate writes is UTC."""
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)


def binding_of(job: Job) -> confirmation.Binding:
    return confirmation.Binding(job.content_sha256, job.e164 or "", job.entry_version, job.policy_version)


def given_of(job: Job) -> list[confirmation.Given]:
    """The job's confirmations for the rules. Whether a person is a privacy officer is taken as
    it is now: a privacy officer who lost the role no longer counts as one."""
    return [
        confirmation.Given(c.user_id, c.role,
                           confirmation.Binding(c.content_sha256, c.e164, c.entry_version, c.policy_version), as_utc(c.at),
                           privacy_officer=c.user.privacy_officer)
        for c in job.confirmations
    ]


def needs_of(job: Job, policy) -> confirmation.Needs:
    """The policy's approvers, plus any the screening findings asked for, and whether one of
    them must be a privacy officer."""
    return confirmation.Needs(policy.approvers + (job.extra_approvers or 0), bool(job.needs_privacy_officer))

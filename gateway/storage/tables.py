"""Tables of the gateway: staff, devices, jobs with their bytes, screening results,
confirmations and the hash-chained audit trail."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, BigInteger, Boolean, Date, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gateway.storage.directory_tables import Base, utcnow
from gateway.storage.sealing import SealedField
from gateway.storage.types import UTCDateTime


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    department: Mapped[str] = mapped_column(String(100), default="")
    password_hash: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # May be the one approver that a job with personal data needs (see gateway.core.confirmation).
    privacy_officer: Mapped[bool] = mapped_column(Boolean, default=False)
    # local: password kept here (argon2); ldap: the directory server checks the password and
    # decides role, department and privacy officer at every sign-in.
    source: Mapped[str] = mapped_column(String(16), default="local")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)

    user: Mapped[User] = relationship()


class Device(Base):
    """An MFD or fax server allowed to submit: by SMTP AUTH, by address, or both."""

    __tablename__ = "devices"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(200))
    addresses: Mapped[list] = mapped_column(JSON, default=list)
    # The site whose PBX reads this device's dial strings (sites.name); None in a single-site install.
    site: Mapped[str | None] = mapped_column(String(100))
    # Its own speed-dial book (directory_entries.book) once one was imported for it; None: the shared book.
    book: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Site(Base):
    """A building behind its own PBX: the profile its devices' dial strings are read with
    (directory.sites). No row at all: the single site of `[pbx]`."""

    __tablename__ = "sites"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    outside_line: Mapped[str] = mapped_column(String(8))
    area_code: Mapped[str] = mapped_column(String(8))
    local_dialing: Mapped[bool] = mapped_column(Boolean, default=True)
    extension_length: Mapped[int] = mapped_column(Integer, default=4)
    did_ranges: Mapped[list] = mapped_column(JSON, default=list)
    tie_prefix: Mapped[str] = mapped_column(String(8), default="")  # directory.sites.Site
    site_code: Mapped[str] = mapped_column(String(8), default="")
    # A change to how the site's numbers are read, waiting for a second administrator
    # (gateway.services.sites): the site is read as it was until it is approved.
    proposed: Mapped[dict | None] = mapped_column(JSON)
    proposed_by: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Job(Base):
    __tablename__ = "jobs"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    state: Mapped[str] = mapped_column(String(24), index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    submitter_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    submitter_email: Mapped[str] = mapped_column(String(254))
    identity_source: Mapped[str] = mapped_column(String(100))  # how the submitter is known
    device: Mapped[str] = mapped_column(String(100))
    site: Mapped[str | None] = mapped_column(String(100))  # whose PBX profile reads its dial string
    book: Mapped[str] = mapped_column(String(100), default="")  # the speed-dial book its sd-<slot> is in
    route: Mapped[str] = mapped_column(String(8), default="fax")  # fax | inbox (庁内便, gateway.core.in_house)
    client_address: Mapped[str] = mapped_column(String(64))
    envelope_from: Mapped[str] = mapped_column(String(254))
    department: Mapped[str] = mapped_column(String(100), default="")

    recipient: Mapped[str] = mapped_column(String(254))  # the RCPT address as given
    destination_kind: Mapped[str] = mapped_column(String(16))
    destination_input: Mapped[str] = mapped_column(String(64))
    subaddress: Mapped[str | None] = mapped_column(String(32))
    e164: Mapped[str | None] = mapped_column(String(32))
    dial_string: Mapped[str | None] = mapped_column(String(64))
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("directory_entries.id"))
    entry_version: Mapped[int | None] = mapped_column(Integer)

    content_sha256: Mapped[str] = mapped_column(String(64))
    content_type: Mapped[str] = mapped_column(String(64))
    # Sealed: a file name can name a person (山田花子_申請書.pdf). Text, as sealing lengthens it;
    # the intake still holds the name itself to 255 characters (plain_length).
    stored_filename: Mapped[str] = mapped_column("filename", Text, info={"plain_length": 255})
    filename = SealedField("stored_filename", lambda job: job.id, as_json=True)
    size: Mapped[int] = mapped_column(Integer)
    pages: Mapped[int | None] = mapped_column(Integer)

    policy_version: Mapped[str | None] = mapped_column(String(64))
    reasons: Mapped[list] = mapped_column(JSON, default=list)
    # Sealed (gateway.storage.sealing): the values found on the pages, even with their middle hidden.
    stored_findings: Mapped[list | str] = mapped_column("findings", JSON, default=list)
    findings = SealedField("stored_findings", lambda job: job.id, as_json=True)
    extra_approvers: Mapped[int] = mapped_column(Integer, default=0)  # raised by screening findings
    needs_privacy_officer: Mapped[bool] = mapped_column(Boolean, default=False)  # set by screening findings
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    relay_receipt: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # Who holds the job while it is screened or sent (host:pid:random), and until when: renewed
    # while the holder lives; recovery takes over only a lease that ran out.
    lease_owner: Mapped[str | None] = mapped_column(String(100))
    lease_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # The message's Message-ID header, and the job this one is a resend of (same device, same
    # Message-ID or same document to the same address within minutes: services.resends).
    message_id: Mapped[str | None] = mapped_column(String(250))
    resend_of: Mapped[str | None] = mapped_column(String(32))

    blobs: Mapped[JobBlob] = relationship(cascade="all, delete-orphan", uselist=False, lazy="raise")
    rule_results: Mapped[list[RuleResult]] = relationship(order_by="RuleResult.id", cascade="all, delete-orphan")
    confirmations: Mapped[list[Confirmation]] = relationship(order_by="Confirmation.id", cascade="all, delete-orphan")
    submitter: Mapped[User | None] = relationship()

    __table_args__ = (
        Index("ix_jobs_device_created", "device", "created_at"),
        # a resend found by its Message-ID or its document without reading the device's other jobs
        Index("ix_jobs_resend_message", "device", "recipient", "message_id", "created_at"),
        Index("ix_jobs_resend_document", "device", "recipient", "content_sha256", "created_at"),
    )
    __mapper_args__ = {"version_id_col": version}


class JobBlob(Base):
    """The message exactly as received and the fax document in it (the bytes that get relayed),
    each sealed under the job's data key (gateway.storage.sealing): read and assign the plain
    attributes; the stored_* columns hold ciphertext."""

    __tablename__ = "job_blobs"

    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), primary_key=True)
    # None once the retention period of the job's kind is over (gateway.services.retention).
    stored_message: Mapped[bytes | None] = mapped_column("message", LargeBinary)
    stored_document: Mapped[bytes | None] = mapped_column("document", LargeBinary)
    # The document as submitted, once faxgate put its cover sheet in front of it: a new
    # screening (the destination changed) starts from it, never from the old cover sheet.
    stored_submitted_document: Mapped[bytes | None] = mapped_column("submitted_document", LargeBinary)

    message = SealedField("stored_message", lambda blob: blob.job_id)
    document = SealedField("stored_document", lambda blob: blob.job_id)
    submitted_document = SealedField("stored_submitted_document", lambda blob: blob.job_id)


class DataKey(Base):
    """A job's data key, wrapped by the key-encryption key named by ``kek_id`` (never stored here)."""

    __tablename__ = "data_keys"

    owner: Mapped[str] = mapped_column(String(64), primary_key=True)  # the job id
    kek_id: Mapped[str] = mapped_column(String(32), index=True)
    wrapped: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    rotated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class RuleResult(Base):
    __tablename__ = "rule_results"

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), index=True)
    run: Mapped[int] = mapped_column(Integer)
    rule: Mapped[str] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(16))  # pass | hit | shadow | error
    action: Mapped[str] = mapped_column(String(16))  # continue | block | hold
    code: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Confirmation(Base):
    """One person's re-entry of the destination, bound to what the job was at that moment."""

    __tablename__ = "confirmations"

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    role: Mapped[str] = mapped_column(String(16))  # submitter | approver
    entered: Mapped[str] = mapped_column(String(64))
    content_sha256: Mapped[str] = mapped_column(String(64))
    e164: Mapped[str] = mapped_column(String(32))
    entry_version: Mapped[int | None] = mapped_column(Integer)
    policy_version: Mapped[str | None] = mapped_column(String(64))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    user: Mapped[User] = relationship()


class AuditEvent(Base):
    """Append-only; each event's hash covers its content and the previous event's hash."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(String(100), index=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class AuditHead(Base):
    """One row: the chain's last hash. Appenders lock it, so concurrent writers cannot fork the chain."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    last_id: Mapped[int] = mapped_column(Integer, default=0)
    last_hash: Mapped[str] = mapped_column(String(64))


class Record(Base):
    """A signed PDF: a job's transmission record (one per state it ended in) or a directory
    audit report. Records outlive their jobs."""

    __tablename__ = "records"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(24))  # transmission | directory_audit
    job_id: Mapped[str | None] = mapped_column(ForeignKey("jobs.id", ondelete="RESTRICT"), index=True)
    state: Mapped[str | None] = mapped_column(String(24))  # the job state this record documents
    stored_pdf: Mapped[bytes] = mapped_column("pdf", LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64))
    # Sealed under its job's data key (kept when the job's documents are purged), bound to its hash.
    pdf = SealedField("stored_pdf", lambda record: record_owner(record.job_id), aad="record",
                      bind=lambda record: record.sha256)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


def record_owner(job_id: str | None) -> str:
    """Records without a job (directory audit reports) share one data key."""
    return job_id or "records"


class AuditCheckpoint(Base):
    """The audit chain's head, signed: rewriting the whole events table still fails here."""

    __tablename__ = "audit_checkpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    last_id: Mapped[int] = mapped_column(Integer, index=True)
    last_hash: Mapped[str] = mapped_column(String(64))
    cms: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Incident(Base):
    """A fax that went, or may have gone, to the wrong place: the facts taken from the job and
    its signed record, the office's judgements, deadlines and the draft reports' texts."""

    __tablename__ = "incidents"

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id", ondelete="RESTRICT"), index=True)
    state: Mapped[str] = mapped_column(String(16))  # draft (raised by a check) | open | dismissed | closed
    source: Mapped[str] = mapped_column(String(24))  # staff_report | receiver_id
    opened_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    opened_by: Mapped[str] = mapped_column(String(200))
    learned_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    reached: Mapped[str] = mapped_column(Text, default="")  # where the fax went, as far as known
    detail: Mapped[str] = mapped_column(Text, default="")
    csi_reported: Mapped[str | None] = mapped_column(String(64))
    csi_expected: Mapped[str | None] = mapped_column(String(64))
    record_sha256: Mapped[str | None] = mapped_column(String(64))  # the signed record the facts come from
    categories: Mapped[list] = mapped_column(JSON, default=list)
    sensitive: Mapped[list] = mapped_column(JSON, default=list)
    persons_estimate: Mapped[int] = mapped_column(Integer, default=0)
    persons: Mapped[int] = mapped_column(Integer, default=0)  # the office's figure; starts at the estimate
    malicious: Mapped[bool] = mapped_column(Boolean, default=False)
    financial_risk: Mapped[bool | None] = mapped_column(Boolean)  # None: judged from the categories
    preliminary_due: Mapped[dt.date | None] = mapped_column(Date)  # None: the policy's default
    preliminary_filed_on: Mapped[dt.date | None] = mapped_column(Date)
    final_filed_on: Mapped[dt.date | None] = mapped_column(Date)
    narrative: Mapped[dict] = mapped_column(JSON, default=dict)  # rule 44(1) items as the officer wrote them
    recurrence: Mapped[dict] = mapped_column(JSON, default=dict)  # entry suspended, directory audit attached
    reminded_on: Mapped[dt.date | None] = mapped_column(Date)
    closed_reason: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class DeliveryReportRow(Base):
    """What the fax server reported after taking a job, and how its receiver ID compared."""

    __tablename__ = "delivery_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[str | None] = mapped_column(ForeignKey("jobs.id", ondelete="RESTRICT"), index=True)
    source: Mapped[str] = mapped_column(String(16))
    outcome: Mapped[str] = mapped_column(String(16))
    receipt: Mapped[str | None] = mapped_column(String(64))
    csi: Mapped[str | None] = mapped_column(String(64))
    verdict: Mapped[str] = mapped_column(String(16))  # receiver_id verdict, or unmatched (no such job)
    reason: Mapped[str] = mapped_column(Text, default="")
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ReportCursor(Base):
    """How far a fax server's log file has been read (a log rotated to a new inode starts over)."""

    __tablename__ = "report_cursors"

    path: Mapped[str] = mapped_column(String(500), primary_key=True)
    inode: Mapped[int] = mapped_column(BigInteger)
    offset: Mapped[int] = mapped_column(BigInteger)

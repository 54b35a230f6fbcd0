"""Tables of the gateway: staff, devices, jobs with their bytes, screening results,
confirmations and the hash-chained audit trail."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, BigInteger, Boolean, Date, DateTime, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from directory.schema import Base, utcnow


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    department: Mapped[str] = mapped_column(String(100), default="")
    password_hash: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # May be the one approver that a job with personal data needs (see gateway.confirmation).
    privacy_officer: Mapped[bool] = mapped_column(Boolean, default=False)
    # local: password kept here (argon2); ldap: the directory server checks the password and
    # decides role, department and privacy officer at every sign-in.
    source: Mapped[str] = mapped_column(String(16), default="local")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)

    user: Mapped[User] = relationship()


class Device(Base):
    """An MFD or fax server allowed to submit: by SMTP AUTH, by address, or both."""

    __tablename__ = "devices"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(200))
    addresses: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Job(Base):
    __tablename__ = "jobs"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    state: Mapped[str] = mapped_column(String(24), index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)

    submitter_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    submitter_email: Mapped[str] = mapped_column(String(254))
    identity_source: Mapped[str] = mapped_column(String(100))  # how the submitter is known
    device: Mapped[str] = mapped_column(String(100))
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
    filename: Mapped[str] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(Integer)
    pages: Mapped[int | None] = mapped_column(Integer)

    policy_version: Mapped[str | None] = mapped_column(String(64))
    reasons: Mapped[list] = mapped_column(JSON, default=list)
    findings: Mapped[list] = mapped_column(JSON, default=list)
    extra_approvers: Mapped[int] = mapped_column(Integer, default=0)  # raised by screening findings
    needs_privacy_officer: Mapped[bool] = mapped_column(Boolean, default=False)  # set by screening findings
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    relay_receipt: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))

    blobs: Mapped[JobBlob] = relationship(cascade="all, delete-orphan", uselist=False, lazy="raise")
    rule_results: Mapped[list[RuleResult]] = relationship(order_by="RuleResult.id", cascade="all, delete-orphan")
    confirmations: Mapped[list[Confirmation]] = relationship(order_by="Confirmation.id", cascade="all, delete-orphan")
    submitter: Mapped[User | None] = relationship()

    __mapper_args__ = {"version_id_col": version}


class JobBlob(Base):
    """The message exactly as received and the fax document in it (the bytes that get relayed)."""

    __tablename__ = "job_blobs"

    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), primary_key=True)
    message: Mapped[bytes] = mapped_column(LargeBinary)
    document: Mapped[bytes] = mapped_column(LargeBinary)
    # The document as submitted, once faxgate put its cover sheet in front of it: a new
    # screening (the destination changed) starts from it, never from the old cover sheet.
    submitted_document: Mapped[bytes | None] = mapped_column(LargeBinary)


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
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


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
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    user: Mapped[User] = relationship()


class AuditEvent(Base):
    """Append-only; each event's hash covers its content and the previous event's hash."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
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
    pdf: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class AuditCheckpoint(Base):
    """The audit chain's head, signed: rewriting the whole events table still fails here."""

    __tablename__ = "audit_checkpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    last_id: Mapped[int] = mapped_column(Integer, index=True)
    last_hash: Mapped[str] = mapped_column(String(64))
    cms: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Incident(Base):
    """A fax that went, or may have gone, to the wrong place: the facts taken from the job and
    its signed record, the office's judgements, deadlines and the draft reports' texts."""

    __tablename__ = "incidents"

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id", ondelete="RESTRICT"), index=True)
    state: Mapped[str] = mapped_column(String(16))  # draft (raised by a check) | open | dismissed | closed
    source: Mapped[str] = mapped_column(String(24))  # staff_report | receiver_id
    opened_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    opened_by: Mapped[str] = mapped_column(String(200))
    learned_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
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
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


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
    received_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ReportCursor(Base):
    """How far a fax server's log file has been read (a log rotated to a new inode starts over)."""

    __tablename__ = "report_cursors"

    path: Mapped[str] = mapped_column(String(500), primary_key=True)
    inode: Mapped[int] = mapped_column(BigInteger)
    offset: Mapped[int] = mapped_column(BigInteger)

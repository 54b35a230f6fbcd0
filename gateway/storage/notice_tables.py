"""The mail notices waiting to go to staff: written in the same transaction as the job's change
that calls for them, so a notice survives the mail server being down and the process dying; and
which approver was told about which waiting job, so each is told once and reminded once."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from gateway.storage.directory_tables import Base, utcnow
from gateway.storage.types import UTCDateTime


class Notice(Base):
    __tablename__ = "notices"

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[str | None] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(24))  # the job state it tells of
    recipients: Mapped[list] = mapped_column(JSON, default=list)
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16), default="pending", index=True)  # pending | sent | set_aside | withdrawn
    tries: Mapped[int] = mapped_column(Integer, default=0)
    # When it may be tried (again); a try in progress holds it for a while (NoticeRepository.claim).
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_error: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class ApproverNotice(Base):
    """An approver told that a job waits for them (`kind` waiting), or reminded before it
    expires (`kind` reminder)."""

    __tablename__ = "approver_notices"
    __table_args__ = (UniqueConstraint("job_id", "user_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    mailed: Mapped[bool] = mapped_column(Boolean, default=False)  # the mail server took it
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

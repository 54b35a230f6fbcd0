"""Tables of "Beyond the MFD": the destinations refused before any job existed (the near misses
the statistics count), and which approver was told about which waiting job (so each is told once,
and reminded once)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from gateway.storage.directory_tables import Base, utcnow
from gateway.storage.types import UTCDateTime


class RefusedRecipient(Base):
    """A destination refused at once (SMTP RCPT 550, or an upload's slot): no job, so this row
    is all that remembers the wrong number that was caught. The number itself is not kept."""

    __tablename__ = "refused_recipients"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    door: Mapped[str] = mapped_column(String(16))  # smtp | upload
    code: Mapped[str] = mapped_column(String(64))
    department: Mapped[str] = mapped_column(String(100), default="")  # the sender's, when known


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

"""The near misses: destinations refused before any job existed, which the statistics count."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import String
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

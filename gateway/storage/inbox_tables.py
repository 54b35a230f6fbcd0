"""In-house delivery (庁内便): a job approved for an in-house section's inbox, delivered there
instead of being faxed; who of the section acknowledged it, and when it was reminded."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from gateway.storage.directory_tables import Base, utcnow
from gateway.storage.types import UTCDateTime


class InboxDelivery(Base):
    __tablename__ = "inbox_deliveries"

    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), primary_key=True)
    department: Mapped[str] = mapped_column(String(100), index=True)  # the section whose staff receive it
    delivered_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    acknowledged_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    acknowledged_by: Mapped[str | None] = mapped_column(String(200))  # the user's name
    reminded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

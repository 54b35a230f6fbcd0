"""Tables of the approved speed-dial directory (SQLAlchemy 2; SQLite and PostgreSQL), in the
one metadata every faxgate table belongs to."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Date, ForeignKey, Integer, MetaData, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from gateway.storage.types import UTCDateTime

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """The one metadata every faxgate table belongs to (gateway tables extend it)."""

    metadata = MetaData(naming_convention=NAMING)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class DirectoryEntry(Base):
    __tablename__ = "directory_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The speed-dial book the slot belongs to: a device's own (its name), or "" the shared book
    # every device without its own dials from (the only one of a single-site install).
    book: Mapped[str] = mapped_column(String(100), default="")
    slot: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    organization: Mapped[str] = mapped_column(String(200), default="")
    kind: Mapped[str] = mapped_column(String(16), default="external")
    e164: Mapped[str | None] = mapped_column(String(32), index=True)
    extension: Mapped[str | None] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="needs_review")
    review_reasons: Mapped[list] = mapped_column(JSON, default=list)
    source_dial: Mapped[str | None] = mapped_column(String(64))
    # The ID (CSI) the remote machine announces; a sent fax that hears another raises an incident.
    expected_csi: Mapped[str | None] = mapped_column(String(64))
    last_used: Mapped[dt.date | None] = mapped_column(Date)
    # The day the entry's number (or extension) last changed: a use or a verification the devices
    # report from before it belongs to the old number.
    number_since: Mapped[dt.date | None] = mapped_column(Date)
    verified_on: Mapped[dt.date | None] = mapped_column(Date)
    verified_by: Mapped[str | None] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer, default=1)
    # Set while a change to where this entry goes awaits a second administrator: no fax goes to
    # it until the change is approved (directory.changes).
    pending_change_id: Mapped[int | None] = mapped_column(ForeignKey("directory_change_requests.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    changes: Mapped[list[DirectoryChange]] = relationship(
        back_populates="entry", order_by="DirectoryChange.id", cascade="all, delete-orphan"
    )

    # A concurrent edit of the same entry fails instead of silently overwriting it; approvals
    # bind to this version.
    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (UniqueConstraint("book", "slot", name="uq_directory_entries_book_slot"),)


class DirectoryChange(Base):
    """Every change to an entry: who, when, what it was before and after."""

    __tablename__ = "directory_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("directory_entries.id", ondelete="CASCADE"), index=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(32))
    before: Mapped[dict | None] = mapped_column(JSON)
    after: Mapped[dict | None] = mapped_column(JSON)
    note: Mapped[str] = mapped_column(Text, default="")
    request_id: Mapped[int | None] = mapped_column(ForeignKey("directory_change_requests.id"), index=True)

    entry: Mapped[DirectoryEntry] = relationship(back_populates="changes")


class ChangeRequest(Base):
    """Changes to the directory that make entries dialable or change where they go, made by one
    administrator (or the first-install setup) and held until another approves or rejects them."""

    __tablename__ = "directory_change_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    origin: Mapped[str] = mapped_column(String(16))  # import | set | reactivate | web | first_install
    summary: Mapped[str] = mapped_column(Text, default="")  # what and why, as the maker gave it
    state: Mapped[str] = mapped_column(String(16), default="pending", index=True)  # pending | approved | rejected
    requested_by: Mapped[str] = mapped_column(String(200))  # actor, e.g. user:yamada
    requested_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    decided_by: Mapped[str | None] = mapped_column(String(200))
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    decision_note: Mapped[str] = mapped_column(Text, default="")

"""Tables of the approved speed-dial directory (SQLAlchemy 2; SQLite and PostgreSQL), in the
one metadata every faxgate table belongs to."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Date, ForeignKey, Integer, MetaData, String, Text, UniqueConstraint, event, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship
from sqlalchemy.orm.attributes import flag_dirty

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


class Destination(Base):
    """Where a fax goes, stored once however many books have a slot for it: the E.164 number
    and the in-house extension; an extension without a number is known only inside its site's
    PBX, so its site is part of what it is."""

    __tablename__ = "directory_destinations"

    id: Mapped[int] = mapped_column(primary_key=True)
    # One row per destination (a unique key over nullable columns would let NULLs repeat).
    identity: Mapped[str] = mapped_column(String(200), unique=True)
    e164: Mapped[str | None] = mapped_column(String(32), index=True)
    extension: Mapped[str | None] = mapped_column(String(16))
    site: Mapped[str | None] = mapped_column(String(100))


def destination_identity(e164: str | None, extension: str | None, site: str | None) -> str:
    if e164:
        return f"{e164}#{extension}" if extension else e164
    return f"ext:{extension}@{site or ''}"


class DirectoryEntry(Base):
    """A slot of one speed-dial book and what it is known by there; where it goes is its
    destination (`e164`, `extension`: read and set here, stored in directory_destinations)."""

    __tablename__ = "directory_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The speed-dial book the slot belongs to: a device's own (its name), or "" the shared book
    # every device without its own dials from (the only one of a single-site install).
    book: Mapped[str] = mapped_column(String(100), default="")
    slot: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    organization: Mapped[str] = mapped_column(String(200), default="")
    kind: Mapped[str] = mapped_column(String(16), default="external")
    # An in-house section with faxgate users: their department, whose inbox takes its 庁内便.
    inbox: Mapped[str | None] = mapped_column(String(100))
    destination_id: Mapped[int | None] = mapped_column(ForeignKey("directory_destinations.id"), index=True)
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
    destination: Mapped[Destination | None] = relationship(lazy="joined")

    # The number being set is held on the entry until the session flushes, where it is matched to
    # its destination row (_resolve_destinations): the book's site is known only there.
    @property
    def e164(self) -> str | None:
        return self._number()[0]

    @e164.setter
    def e164(self, value: str | None) -> None:
        self._want(value or None, self._number()[1])

    @property
    def extension(self) -> str | None:
        return self._number()[1]

    @extension.setter
    def extension(self, value: str | None) -> None:
        self._want(self._number()[0], value or None)

    def _number(self) -> tuple[str | None, str | None]:
        wanted = self.__dict__.get("_wanted_number")
        if wanted is not None:
            return wanted
        return (self.destination.e164, self.destination.extension) if self.destination else (None, None)

    def _want(self, e164: str | None, extension: str | None) -> None:
        self.__dict__["_wanted_number"] = (e164, extension)
        flag_dirty(self)  # so the flush that places it runs even when nothing else changed

    # A concurrent edit of the same entry fails instead of silently overwriting it; approvals
    # bind to this version.
    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (UniqueConstraint("book", "slot", name="uq_directory_entries_book_slot"),)


@event.listens_for(Session, "before_flush")
def _resolve_destinations(session: Session, flush_context, instances) -> None:
    """Each entry given a number points to that number's one destination row, made if new (one
    query per flush, however many entries an import places)."""
    placed: list[tuple[DirectoryEntry, str | None]] = []
    sites: dict[str, str | None] = {}
    wanted: dict[str, tuple[str | None, str | None, str | None]] = {}
    for entry in [*session.new, *session.dirty]:
        number = entry.__dict__.pop("_wanted_number", None) if isinstance(entry, DirectoryEntry) else None
        if number is None:
            continue
        e164, extension = number
        if not (e164 or extension):
            placed.append((entry, None))
            continue
        book = entry.book or ""
        if not e164 and book not in sites:
            sites[book] = _site_of_book(session, book)
        site = None if e164 else sites[book]
        identity = destination_identity(e164, extension, site)
        wanted[identity] = (e164, extension, site)
        placed.append((entry, identity))
    if not placed:
        return
    known = {d.identity: d for chunk in _chunks(list(wanted), 500)
             for d in session.scalars(select(Destination).where(Destination.identity.in_(chunk)))}
    for identity, (e164, extension, site) in wanted.items():
        if identity not in known:
            known[identity] = Destination(identity=identity, e164=e164, extension=extension, site=site)
            session.add(known[identity])
    for entry, identity in placed:
        destination = known[identity] if identity else None
        if entry.destination is not destination:
            entry.destination = destination


def _chunks(items: list, size: int):
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _site_of_book(session: Session, book: str) -> str | None:
    """The site of the devices that dial from `book` (None: the shared book, or a single site)."""
    if not book:
        return None
    devices = Base.metadata.tables["devices"]
    return session.scalar(select(devices.c.site).where(devices.c.book == book)
                          .order_by(devices.c.id).limit(1))


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

"""The approved speed-dial directory: entries, their history and the change requests awaiting a
second administrator."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select, update

from gateway.storage.directory_tables import ChangeRequest, Destination, DirectoryChange, DirectoryEntry
from gateway.storage.repositories import Repository

# What the destination rules see of an entry (gateway.core.screening.EntryView), in its order.
VIEW_COLUMNS = (DirectoryEntry.id, DirectoryEntry.slot, DirectoryEntry.name, DirectoryEntry.organization,
                DirectoryEntry.kind, DirectoryEntry.status, Destination.e164, Destination.extension,
                DirectoryEntry.last_used, DirectoryEntry.verified_on, DirectoryEntry.version,
                DirectoryEntry.pending_change_id, DirectoryEntry.inbox)


def _with_destinations(*columns):
    """Entries' columns beside their destination's (None for an entry without a number)."""
    return select(*columns).select_from(DirectoryEntry).outerjoin(
        Destination, Destination.id == DirectoryEntry.destination_id)


SHARED_BOOK = ""


class DirectoryRepository(Repository):
    """Slots are looked up in one speed-dial book (`book`: a device's, or the shared one);
    entries by id, and the change requests, are the same in every book."""

    def __init__(self, session, book: str = SHARED_BOOK):
        super().__init__(session)
        self.book = book

    def get(self, entry_id: int | None) -> DirectoryEntry | None:
        return self._session.get(DirectoryEntry, entry_id) if entry_id is not None else None

    def by_ids(self, entry_ids: set[int]) -> dict[int, DirectoryEntry]:
        if not entry_ids:
            return {}
        return {e.id: e for e in self._session.scalars(select(DirectoryEntry).where(DirectoryEntry.id.in_(entry_ids)))}

    def active_destinations(self) -> list[tuple[str | None, str]]:
        """(E.164, organisation) of every active entry."""
        return [tuple(row) for row in self._session.execute(
            _with_destinations(Destination.e164, DirectoryEntry.organization).where(DirectoryEntry.status == "active"))]

    def version(self) -> tuple:
        """Changes whenever an entry is added, removed or edited (an ORM edit bumps its version):
        what is built from the whole directory is rebuilt only then."""
        return tuple(self._session.execute(
            select(func.count(DirectoryEntry.id), func.max(DirectoryEntry.id), func.sum(DirectoryEntry.version))).one())

    def mark_used(self, entry_id: int, day: dt.date) -> None:
        """Operational metadata, not a directory change: the entry's version (and so the
        approvals bound to it) stays."""
        self._session.execute(update(DirectoryEntry).where(DirectoryEntry.id == entry_id)
                              .values(last_used=day).execution_options(synchronize_session=False))

    def views_by_slot(self, slot: int) -> list[tuple]:
        return self._views(DirectoryEntry.slot == slot)

    def views_by_number(self, e164: str) -> list[tuple]:
        return self._views(Destination.e164 == e164)

    def _views(self, condition) -> list[tuple]:
        return [tuple(row) for row in self._session.execute(_with_destinations(*VIEW_COLUMNS).where(condition, self._in_book))]

    @property
    def _in_book(self):
        return DirectoryEntry.book == self.book

    def by_slot(self, slot: int) -> DirectoryEntry | None:
        return self._session.scalar(select(DirectoryEntry).where(DirectoryEntry.slot == slot, self._in_book))

    def by_slots(self) -> dict[int, DirectoryEntry]:
        return {e.slot: e for e in self._session.scalars(select(DirectoryEntry).where(self._in_book))}

    def is_empty(self) -> bool:
        return self._session.scalar(select(DirectoryEntry.id).where(self._in_book).limit(1)) is None

    def every_book_entries(self) -> list[tuple]:
        """(id, book, slot, name, e164, extension) of every entry in use, in every book."""
        return [tuple(row) for row in self._session.execute(
            _with_destinations(DirectoryEntry.id, DirectoryEntry.book, DirectoryEntry.slot, DirectoryEntry.name,
                               Destination.e164, Destination.extension).where(DirectoryEntry.status != "retired"))]

    def former_numbers(self) -> dict[int, set[str]]:
        """By entry id, the numbers its history changed away from."""
        former: dict[int, set[str]] = {}
        for entry_id, before, after in self._session.execute(
                select(DirectoryChange.entry_id, DirectoryChange.before, DirectoryChange.after)):
            old = (before or {}).get("e164")
            if old and old != (after or {}).get("e164"):
                former.setdefault(entry_id, set()).add(old)
        return former

    def books(self) -> list[str]:
        """Every book that has an entry, the shared one first."""
        return list(self._session.scalars(select(DirectoryEntry.book).distinct().order_by(DirectoryEntry.book)))

    def entries(self, include_retired: bool = False, search: str = "") -> list[DirectoryEntry]:
        """By slot; `search` in the name, the organisation or the number."""
        query = (select(DirectoryEntry).outerjoin(Destination, Destination.id == DirectoryEntry.destination_id)
                 .where(self._in_book).order_by(DirectoryEntry.slot))
        if not include_retired:
            query = query.where(DirectoryEntry.status != "retired")
        if search:
            pattern = f"%{search}%"
            query = query.where(
                DirectoryEntry.name.like(pattern)
                | DirectoryEntry.organization.like(pattern)
                | Destination.e164.like(pattern)
            )
        return list(self._session.scalars(query))

    def new_entry(self, slot: int) -> DirectoryEntry:
        entry = DirectoryEntry(book=self.book, slot=slot)
        self._session.add(entry)
        return entry

    def record_change(self, entry: DirectoryEntry, *, actor: str, action: str, before: dict | None, after: dict,
                      note: str, request_id: int | None) -> None:
        self._session.add(DirectoryChange(entry=entry, actor=actor, action=action, before=before, after=after,
                                          note=note, request_id=request_id))

    # -- change requests (held for a second administrator)

    def open_request(self, origin: str, actor: str, summary: str) -> ChangeRequest:
        """A new change request, flushed: it has its id for the entries it holds."""
        request = ChangeRequest(origin=origin, requested_by=actor, summary=summary)
        self._session.add(request)
        self._session.flush()
        return request

    def request(self, change_id: int | None) -> ChangeRequest | None:
        return self._session.get(ChangeRequest, change_id) if change_id is not None else None

    def request_changes(self, request_id: int) -> list[DirectoryChange]:
        """The history rows a change request made, in order."""
        return list(self._session.scalars(select(DirectoryChange).where(DirectoryChange.request_id == request_id)
                                          .order_by(DirectoryChange.id)))

    def pending_requests(self) -> list[ChangeRequest]:
        return list(self._session.scalars(select(ChangeRequest).where(ChangeRequest.state == "pending")
                                          .order_by(ChangeRequest.id)))

    def recently_decided(self, limit: int = 20) -> list[ChangeRequest]:
        return list(self._session.scalars(select(ChangeRequest).where(ChangeRequest.state != "pending")
                                          .order_by(ChangeRequest.decided_at.desc(), ChangeRequest.id.desc())
                                          .limit(limit)))

    def requests_for_slot(self, slot: int) -> list[ChangeRequest]:
        return list(self._session.scalars(
            select(ChangeRequest).join(DirectoryChange, DirectoryChange.request_id == ChangeRequest.id)
            .join(DirectoryEntry, DirectoryEntry.id == DirectoryChange.entry_id).where(DirectoryEntry.slot == slot, self._in_book)
            .distinct().order_by(ChangeRequest.id.desc())))

    def flush(self) -> None:
        self._session.flush()

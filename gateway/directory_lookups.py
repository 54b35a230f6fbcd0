"""The directory as the destination rules see it (gateway.screening.EntryView): the worker's
screening and the intake's RCPT check ask the same way. Each lookup is one short read-only query
on a bare connection (no ORM session, no write lock: the intake asks once per recipient, on its
hot path, beside its own commits)."""

from __future__ import annotations

from sqlalchemy import select

from directory.schema import DirectoryEntry
from gateway.screening import DirectoryLookups, EntryView

_COLUMNS = (DirectoryEntry.id, DirectoryEntry.slot, DirectoryEntry.name, DirectoryEntry.organization,
            DirectoryEntry.kind, DirectoryEntry.status, DirectoryEntry.e164, DirectoryEntry.extension,
            DirectoryEntry.last_used, DirectoryEntry.verified_on, DirectoryEntry.version,
            DirectoryEntry.pending_change_id)


def lookups(app) -> DirectoryLookups:
    reader = app.engine.execution_options(read_only=True)  # SQLite: no write lock (gateway.db)

    def read(condition) -> list[EntryView]:
        with reader.connect() as connection:
            return [EntryView(*row) for row in connection.execute(select(*_COLUMNS).where(condition))]

    def entry_by_slot(slot: int) -> EntryView | None:
        return next(iter(read(DirectoryEntry.slot == slot)), None)

    def entries_by_number(e164: str) -> list[EntryView]:
        return read(DirectoryEntry.e164 == e164)

    return DirectoryLookups(app.profile, entry_by_slot, entries_by_number)

"""The directory as the destination rules see it (gateway.screening.EntryView), each lookup in
its own short transaction: the worker's screening and the intake's RCPT check ask the same way."""

from __future__ import annotations

from sqlalchemy import select

from directory.schema import DirectoryEntry
from gateway.screening import DirectoryLookups, EntryView


def entry_view(entry: DirectoryEntry) -> EntryView:
    return EntryView(entry.id, entry.slot, entry.name, entry.organization, entry.kind, entry.status, entry.e164,
                     entry.extension, entry.last_used, entry.verified_on, entry.version)


def lookups(app) -> DirectoryLookups:
    def entry_by_slot(slot: int) -> EntryView | None:
        with app.session() as session:
            entry = session.scalar(select(DirectoryEntry).where(DirectoryEntry.slot == slot))
            return entry_view(entry) if entry else None

    def entries_by_number(e164: str) -> list[EntryView]:
        with app.session() as session:
            return [entry_view(e) for e in session.scalars(select(DirectoryEntry).where(DirectoryEntry.e164 == e164))]

    return DirectoryLookups(app.profile, entry_by_slot, entries_by_number)

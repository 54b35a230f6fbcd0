"""The directory as the destination rules see it (gateway.core.screening.EntryView): the worker's
screening and the intake's RCPT check ask the same way. Each lookup is its own short read-only
unit of work (no write lock: the intake asks once per recipient, on its hot path, beside its own
commits)."""

from __future__ import annotations

from gateway.core.screening import DirectoryLookups, EntryView
from gateway.storage.repositories.directory import SHARED_BOOK


def lookups(app, book: str = SHARED_BOOK, profile=None) -> DirectoryLookups:
    """In one speed-dial book (a device's own, or the shared one), read with `profile` (default `[pbx]`)."""
    def entry_by_slot(slot: int) -> EntryView | None:
        with app.unit_of_work(read_only=True) as uow:
            return next((EntryView(*row) for row in uow.in_book(book).directory.views_by_slot(slot)), None)

    def entries_by_number(e164: str) -> list[EntryView]:
        with app.unit_of_work(read_only=True) as uow:
            return [EntryView(*row) for row in uow.in_book(book).directory.views_by_number(e164)]

    return DirectoryLookups(profile or app.profile, entry_by_slot, entries_by_number)

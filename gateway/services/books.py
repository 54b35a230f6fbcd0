"""Which speed-dial book a command or a job works on, and the PBX profile it is read with: a
device's own book (read with its site's profile), or the shared book every device without its
own dials from (the single book of a single-site install, read with `[pbx]`)."""

from __future__ import annotations

from dataclasses import dataclass

import datetime as dt

from directory.audit import Finding, audit
from directory.cross_audit import Book, BookEntry, CrossFinding, cross_audit
from directory.entries import audit_items
from directory.profile import PbxProfile
from gateway.services.sites import profile_of
from gateway.storage.repositories.directory import SHARED_BOOK
from gateway.storage.uow import UnitOfWork


class BookChoiceError(ValueError):
    """No book can be chosen without guessing (the message is Japanese, for the CLI)."""


@dataclass(frozen=True)
class DeviceBook:
    device: str | None
    book: str
    site: str | None
    profile: PbxProfile

    @property
    def label(self) -> str:
        """Whose book and which site's reading, for the report."""
        whose = f"機器 {self.device} の宛先表" if self.device and self.book != SHARED_BOOK else "共用の宛先表"
        return f"{whose}（拠点 {self.site or 'main'} の PBX で読む）"


def choose(uow: UnitOfWork, device: str | None, configured: PbxProfile, *, own: bool = False) -> DeviceBook:
    """`device`'s book (`own`: giving it its own book first, as an import for it does); without a
    device, the only device's book, or the shared book while no device has its own."""
    if device is not None:
        found = uow.users.device(device)
        if found is None:
            raise BookChoiceError(f"機器 {device} は登録されていません（faxgate devices add）")
        if own and found.book is None:
            found.book = found.name
        return _of(uow, found, configured)
    devices = uow.users.devices()
    if len(devices) == 1:
        return _of(uow, devices[0], configured)
    if all(d.book is None for d in devices):
        return shared(uow, configured)
    raise BookChoiceError("機器ごとの宛先表があります: --device で機器を指定してください")


def shared(uow: UnitOfWork, configured: PbxProfile) -> DeviceBook:
    return DeviceBook(None, SHARED_BOOK, None, profile_of(uow, None, configured))


def _of(uow: UnitOfWork, device, configured: PbxProfile) -> DeviceBook:
    return DeviceBook(device.name, device.book if device.book is not None else SHARED_BOOK, device.site,
                      profile_of(uow, device.site, configured))


def every_book(uow: UnitOfWork, configured: PbxProfile) -> list[DeviceBook]:
    """Every book in use, each with the profile it is read with: the devices' own, and the shared
    one when it has entries (read with `main`'s profile)."""
    books = [_of(uow, d, configured) for d in uow.users.devices() if d.book is not None]
    if not uow.in_book(SHARED_BOOK).directory.is_empty():
        books.insert(0, shared(uow, configured))
    return books


def city_books(uow: UnitOfWork) -> list[Book]:
    """Every book's entries in use, for the audit across books (directory.cross_audit)."""
    former = uow.directory.former_numbers()
    sites = {d.name: d.site for d in uow.users.devices()}
    rows: dict[str, list[BookEntry]] = {}
    for entry_id, book, slot, name, e164, extension in uow.directory.every_book_entries():
        rows.setdefault(book, []).append(BookEntry(slot, name, e164, extension, frozenset(former.get(entry_id, ()))))
    return [Book(book, sites.get(book), tuple(entries)) for book, entries in sorted(rows.items())]


def audit_every_book(uow: UnitOfWork, configured: PbxProfile, as_of: dt.date, stale_days: int
                     ) -> tuple[list[tuple[DeviceBook, int, list[Finding]]], list[CrossFinding]]:
    """Each book audited alone with its own site's reading (book, entries, findings), then what only
    shows across books."""
    reports = []
    for book in every_book(uow, configured):
        items = audit_items(uow.in_book(book.book), book.profile)
        reports.append((book, len(items), audit(items, book.profile, as_of, stale_days)))
    return reports, cross_audit(city_books(uow))

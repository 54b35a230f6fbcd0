"""The audit across every device's book (一斉点検, city-wide): what each book is fine with alone
but the city is not. Pure: takes each book's entries, returns findings.

- ``same_destination_different_slots``: one destination under different slots on different
  devices (staff who move between devices press the wrong key).
- ``slot_differs_between_books``: one slot reaching different numbers on two devices.
- ``corrected_elsewhere``: a book still dials a number that another book has corrected away from
  for the same destination (same name).
"""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field

CROSS_CODES = ("same_destination_different_slots", "slot_differs_between_books", "corrected_elsewhere")

LABELS_JA = {
    "same_destination_different_slots": "同じ宛先が機器ごとに別の登録番号",
    "slot_differs_between_books": "同じ登録番号が機器ごとに別の番号",
    "corrected_elsewhere": "他の機器で訂正済みの古い番号",
}


@dataclass(frozen=True)
class BookEntry:
    slot: int
    name: str
    e164: str | None
    extension: str | None = None
    # Numbers this entry had before a change (the history): corrected away from.
    former_numbers: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True)
class Book:
    label: str  # the device, or "" for the shared book
    site: str | None
    entries: tuple[BookEntry, ...]


@dataclass(frozen=True)
class CrossFinding:
    code: str
    number: str | None
    places: tuple[tuple[str, int], ...]  # (book, slot) involved, in order
    detail: str  # Japanese

    def involves(self, book: str) -> bool:
        return any(label == book for label, _ in self.places)

    def to_json(self) -> dict:
        return {"code": self.code, "number": self.number, "detail": self.detail,
                "places": [{"device": label or None, "slot": slot} for label, slot in self.places]}


def cross_audit(books: list[Book]) -> list[CrossFinding]:
    """Linear in the entries (one pass to index, one to report): every book of a city at once."""
    by_number: dict[str, list[tuple[str, int]]] = defaultdict(list)
    by_slot: dict[int, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    corrected: dict[tuple[str, str], list[tuple[str, int, str]]] = defaultdict(list)  # (name, old) → (book, slot, new)
    for book in books:
        for entry in book.entries:
            if entry.e164:
                by_number[entry.e164].append((book.label, entry.slot))
                by_slot[entry.slot][entry.e164].append(book.label)
            for old in entry.former_numbers:
                if old != entry.e164:
                    corrected[(_name_key(entry.name), old)].append((book.label, entry.slot, entry.e164 or ""))
    findings = []
    for number, places in by_number.items():
        slots = {slot for _, slot in places}
        if len(slots) > 1 and len({label for label, _ in places}) > 1:
            findings.append(CrossFinding("same_destination_different_slots", number, tuple(sorted(places)),
                                         f"{number} の登録番号が機器ごとに違います: " + _where(places)))
    for slot, numbers in by_slot.items():
        if len(numbers) > 1:
            places = [(label, slot) for labels in numbers.values() for label in labels]
            findings.append(CrossFinding("slot_differs_between_books", None, tuple(sorted(places)),
                                         f"登録番号 {slot} が機器ごとに別の番号です: " + "、".join(
                                             f"{'/'.join(_device(l) for l in sorted(labels))} → {number}"
                                             for number, labels in sorted(numbers.items()))))
    for book in books:
        for entry in book.entries:
            for label, slot, new in corrected.get((_name_key(entry.name), entry.e164 or ""), ()):
                if label != book.label:
                    findings.append(CrossFinding(
                        "corrected_elsewhere", entry.e164, ((book.label, entry.slot), (label, slot)),
                        f"{_device(book.label)} の登録番号 {entry.slot}「{entry.name}」は {entry.e164} のままですが、"
                        f"{_device(label)} の登録番号 {slot} では {new} に訂正されています"))
    return sorted(findings, key=lambda f: (CROSS_CODES.index(f.code), f.places))


def _name_key(name: str) -> str:
    return "".join(unicodedata.normalize("NFKC", name).split()).casefold()


def _device(label: str) -> str:
    return f"機器 {label}" if label else "共用の宛先表"


def _where(places) -> str:
    return "、".join(f"{_device(label)} {slot}" for label, slot in sorted(places))

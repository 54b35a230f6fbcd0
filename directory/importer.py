"""Turn the rows of an MFD address book into directory entries, or say exactly why not.

The plan is pure: it reads every row through the PBX profile and validates it, and it is
applied only when no row has an error (an import is all-or-nothing). A row whose dial string
is faulty is not an error: it comes in as ``needs_review`` with its problems, never active.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass, field, fields

from directory.formats.book import Book, BookRow
from directory.dialplan import DialReading, DialStringError, read_dial_string
from directory.digits import ForeignDigitError, ascii_digits, slot_number
from directory.profile import PbxProfile

KINDS = ("external", "internal")
MAX_SLOT = 99999


@dataclass(frozen=True)
class RowError:
    line: int
    message: str


@dataclass(frozen=True)
class Candidate:
    """A validated row: what the entry for this slot should become."""

    line: int
    slot: int
    name: str
    organization: str
    kind: str
    dial: str
    extension: str | None
    last_used: dt.date | None
    verified_on: dt.date | None
    reading: DialReading | None

    @property
    def e164(self) -> str | None:
        """The canonical number: what the string reaches, or, when that is wrong, what it meant."""
        if self.reading is None:
            return None
        return self.reading.intended if self.reading.blocked else self.reading.reaches

    @property
    def review_reasons(self) -> tuple[str, ...]:
        reasons = self.reading.problems if self.reading and self.reading.blocked else ()
        if self.kind == "internal" and not (self.extension or (self.reading and self.reading.extension)):
            reasons += ("internal_without_extension",)
        return reasons

    @property
    def status(self) -> str:
        return "needs_review" if self.review_reasons else "active"


@dataclass
class ImportPlan:
    format: str
    candidates: list[Candidate] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    skipped: list[tuple[int, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def parse_date(text: str) -> dt.date | None:
    text = text.strip()
    if not text:
        return None
    return dt.date.fromisoformat(text.replace("/", "-"))


def plan_import(book: Book, profile: PbxProfile) -> ImportPlan:
    plan = ImportPlan(book.format, skipped=list(book.skipped), warnings=list(book.warnings))
    first_line_of_slot: dict[int, int] = {}
    for row in book.rows:
        try:
            candidate = _candidate(row, profile)
        except _RowInvalid as exc:
            plan.errors.append(RowError(row.line, str(exc)))
            continue
        if candidate.slot in first_line_of_slot:
            plan.errors.append(
                RowError(
                    row.line,
                    f"登録番号 {candidate.slot} が {first_line_of_slot[candidate.slot]} 行目と重複しています "
                    f"(slot {candidate.slot} repeats line {first_line_of_slot[candidate.slot]})",
                )
            )
            continue
        first_line_of_slot[candidate.slot] = row.line
        plan.candidates.append(candidate)
    return plan


class _RowInvalid(ValueError):
    pass


# Control characters (NUL, C1 such as U+0085) and the Unicode line and paragraph separators: no
# field of an address book holds them, and they break what is stored, drawn and displayed.
_CONTROL_CATEGORIES = ("Cc", "Zl", "Zp")


def has_control_character(text: str) -> bool:
    return any(unicodedata.category(char) in _CONTROL_CATEGORIES for char in text)


def _control_character(row: BookRow) -> str:
    for column in fields(BookRow):
        value = getattr(row, column.name)
        if column.name == "defect" or not isinstance(value, str):
            continue
        for position, char in enumerate(value, start=1):
            if unicodedata.category(char) in _CONTROL_CATEGORIES:
                return (f"{column.name} の {position} 文字目に制御文字 U+{ord(char):04X} があります"
                        f" (control character U+{ord(char):04X} in {column.name}, character {position})")
    return ""


def _candidate(row: BookRow, profile: PbxProfile) -> Candidate:
    if row.defect:
        raise _RowInvalid(row.defect)
    control = _control_character(row)
    if control:
        raise _RowInvalid(control)
    slot = slot_number(row.slot)
    if slot is None or not 1 <= slot <= MAX_SLOT:
        raise _RowInvalid(
            f"登録番号 {row.slot!r} は 1〜{MAX_SLOT} の数字ではありません (slot must be a number 1-{MAX_SLOT})"
        )
    if not row.name:
        raise _RowInvalid("宛先名が空です (name is empty)")
    kind = row.kind.lower() or ("internal" if row.extension and not row.dial else "external")
    if kind not in KINDS:
        raise _RowInvalid(f"種別 {row.kind!r} は external か internal です (kind must be external or internal)")
    try:
        extension = ascii_digits(row.extension) or None
    except ForeignDigitError as exc:
        raise _RowInvalid(f"内線番号 {row.extension!r}: {exc}") from None
    if extension and not (extension.isascii() and extension.isdigit() and len(extension) == profile.extension_length):
        raise _RowInvalid(
            f"内線番号 {extension!r} は {profile.extension_length} 桁の数字ではありません "
            f"(extension must be {profile.extension_length} digits)"
        )
    if not row.dial and not extension:
        raise _RowInvalid("ファクス番号が空です (fax number is empty)")
    reading, dial = None, row.dial
    if row.dial:
        try:
            dial = ascii_digits(row.dial)  # stored as the device dials it: ０３ is 03
            reading = read_dial_string(dial, profile)
        except (ForeignDigitError, DialStringError) as exc:
            raise _RowInvalid(f"ファクス番号 {row.dial!r}: {exc}") from None
    dates = {}
    for label, text in (("last_used", row.last_used), ("verified_on", row.verified_on)):
        try:
            dates[label] = parse_date(text)
        except ValueError:
            raise _RowInvalid(f"{label} {text!r} は YYYY-MM-DD の日付ではありません (not a date)") from None
    return Candidate(
        line=row.line,
        slot=slot,
        name=row.name,
        organization=row.organization,
        kind=kind,
        dial=dial,
        extension=extension or (reading.extension if reading else None),
        last_used=dates["last_used"],
        verified_on=dates["verified_on"],
        reading=reading,
    )

"""What an administrator may propose in the web app, as plain rules: adding an entry, changing
its number or reactivating it, each with the date the number was confirmed and a reason. The
proposal is then a change request like any other door's: directory.changes decides who may
approve it (never the proposer)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from directory.dialplan import DialStringError, read_dial_string
from directory.digits import ForeignDigitError, ascii_digits
from directory.importer import KINDS, MAX_SLOT, has_control_character
from directory.profile import PbxProfile

ACTIONS = ("add", "change_number", "reactivate")


@dataclass(frozen=True)
class Draft:
    action: str
    slot: int | None
    name: str = ""
    organization: str = ""
    kind: str = "external"
    dial: str = ""  # as the devices would dial it
    extension: str = ""
    verified_on: dt.date | None = None  # when the proposer confirmed the number with the recipient
    note: str = ""  # why: the maker's reason, for the checker


@dataclass(frozen=True)
class EntryFacts:
    status: str
    version: int
    e164: str | None
    pending_change: int | None = None  # a change to it already waits for a second administrator


def draft_problems(draft: Draft, entry: EntryFacts | None, profile: PbxProfile, today: dt.date) -> list[str]:
    """Codes of everything wrong with a draft; empty when it may be proposed."""
    if draft.action not in ACTIONS:
        return ["unknown_action"]
    if draft.slot is None or not 1 <= draft.slot <= MAX_SLOT:
        return ["slot_invalid"]
    problems = []
    if draft.action == "add":
        if entry is not None:
            problems.append("slot_taken")
        if not draft.name.strip():
            problems.append("name_missing")
        if draft.kind not in KINDS:
            problems.append("kind_invalid")
        if not draft.dial.strip() and not (draft.kind == "internal" and draft.extension):
            problems.append("dial_missing")
    elif entry is None:
        problems.append("no_such_entry")
    elif entry.pending_change is not None:
        problems.append("entry_pending")
    elif draft.action == "change_number" and not draft.dial.strip():
        problems.append("dial_missing")
    elif draft.action == "reactivate" and entry.status != "retired":
        problems.append("not_retired")
    if any(has_control_character(text) for text in (draft.name, draft.organization, draft.dial, draft.extension,
                                                     draft.note)):
        problems.append("control_characters")
    if draft.dial.strip() and draft.action != "reactivate":
        problems.extend(_dial_problems(draft.dial, entry if draft.action == "change_number" else None, profile))
    if draft.extension and not _extension_ok(draft.extension, profile):
        problems.append("extension_invalid")
    if draft.verified_on is None:
        problems.append("verified_on_missing")
    elif draft.verified_on > today:
        problems.append("verified_on_future")
    if not draft.note.strip():
        problems.append("note_missing")
    return problems


def _extension_ok(extension: str, profile: PbxProfile) -> bool:
    try:
        digits = ascii_digits(extension)  # １２３４ as typed; ²²²² or ١٢٣٤ no PBX dials
    except ForeignDigitError:
        return False
    return digits.isascii() and digits.isdigit() and len(digits) == profile.extension_length


def _dial_problems(dial: str, entry: EntryFacts | None, profile: PbxProfile) -> list[str]:
    try:
        reading = read_dial_string(dial, profile)
    except DialStringError:
        return ["dial_unreadable"]
    if reading.blocked:
        return ["dial_blocked"]
    # An entry awaiting review keeps the number it was meant to dial; writing that number
    # correctly is the fix, not a repeat.
    if entry is not None and entry.status != "needs_review" and reading.reaches == entry.e164:
        return ["same_number"]
    return []

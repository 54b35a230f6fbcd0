"""Two administrators for every change that makes an entry dialable or changes where it goes.

Every door (import, `directory set`/`reactivate`, the web app) makes the change at once through
directory.entries, which holds the entries it touches (``pending_change_id``) under one change
request: no fax goes to a held entry. Another administrator approves (the entries become usable)
or rejects (every entry is put back as it was; one the change added is retired, keeping its
history). The maker never decides their own change, and a change whose entries were edited
since cannot be approved: the approver would not be approving what they saw.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from directory.entries import INCIDENT_REASON, record_change, snapshot

DATE_FIELDS = ("last_used", "number_since", "verified_on")


@dataclass(frozen=True)
class Decision:
    status: int  # 200 done | 403 not this person | 409 not any more
    code: str  # approved | rejected | not_admin | self_decision | decided | entry_changed | reason_missing


def decide(*, state: str, requested_by: str, by: str, by_is_admin: bool, approve: bool, reason: str = "",
           entries_unchanged: bool = True) -> Decision:
    if not by_is_admin:
        return Decision(403, "not_admin")
    if state != "pending":
        return Decision(409, "decided")
    if by == requested_by:
        return Decision(403, "self_decision")
    if not approve:
        return Decision(200, "rejected") if reason.strip() else Decision(422, "reason_missing")
    if not entries_unchanged:
        return Decision(409, "entry_changed")
    return Decision(200, "approved")


@dataclass(frozen=True)
class Item:
    """One entry of a change: as it was before the change, and as the change left it."""

    entry: object  # the directory entry (gateway.storage.directory_tables.DirectoryEntry)
    before: dict | None
    after: dict


# Every function here takes a unit of work (see directory.entries).


def items(uow, request) -> list[Item]:
    first: dict = {}
    last: dict = {}
    for row in uow.directory.request_changes(request.id):
        first.setdefault(row.entry_id, row)
        last[row.entry_id] = row
    return [Item(first[entry_id].entry, first[entry_id].before, last[entry_id].after)
            for entry_id in sorted(first, key=lambda e: first[e].entry.slot)]


def settle(uow, request, by: str, by_is_admin: bool, approve: bool, note: str,
           now: dt.datetime) -> Decision:
    """Approve or reject a change request in the caller's unit of work."""
    held = items(uow, request)
    unchanged = all(item.entry.pending_change_id == request.id and snapshot(item.entry) == item.after for item in held)
    decision = decide(state=request.state, requested_by=request.requested_by, by=by, by_is_admin=by_is_admin,
                      approve=approve, reason=note, entries_unchanged=unchanged)
    if decision.status != 200:
        return decision
    # Kept in Japanese like the rest of the directory's history.
    why = f"変更 #{request.id}（{request.requested_by}）を{'承認' if approve else '却下'}: {note.strip()}".rstrip(": ")
    for item in held:
        entry = item.entry
        if entry.pending_change_id != request.id:
            continue
        before = snapshot(entry)
        if not approve:
            _put_back(entry, item.before)
        entry.pending_change_id = None
        record_change(uow, entry, by, "approved" if approve else "rejected", before, why, request)
    request.state = "approved" if approve else "rejected"
    request.decided_by, request.decided_at, request.decision_note = by, now, note.strip()
    uow.directory.flush()
    return decision


def _put_back(entry, before: dict | None) -> None:
    """The entry as it was before the change; one the change added is retired (its history stays,
    and jobs that were stopped for it still point at it). A suspension for an incident stays."""
    if before is None:
        entry.status = "retired"
        return
    suspensions = [r for r in entry.review_reasons or [] if r.startswith(INCIDENT_REASON)]
    for name, value in before.items():
        if name in DATE_FIELDS and value:
            value = dt.date.fromisoformat(value)
        setattr(entry, name, value)
    missing = [r for r in suspensions if r not in entry.review_reasons]
    if missing:
        entry.review_reasons = [*entry.review_reasons, *missing]
        if entry.status == "active":
            entry.status = "needs_review"

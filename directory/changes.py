"""Two administrators for every change that makes an entry dialable or changes where it goes.

Every door (import, `directory set`/`reactivate`, the web app) makes the change at once through
directory.store, which holds the entries it touches (``pending_change_id``) under one change
request: no fax goes to a held entry. Another administrator approves (the entries become usable)
or rejects (every entry is put back as it was; one the change added is retired, keeping its
history). The maker never decides their own change, and a change whose entries were edited
since cannot be approved: the approver would not be approving what they saw.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from directory.schema import ChangeRequest, DirectoryChange, DirectoryEntry
from directory.store import INCIDENT_REASON, record_change, snapshot

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

    entry: DirectoryEntry
    before: dict | None
    after: dict


def items(session: Session, request: ChangeRequest) -> list[Item]:
    rows = session.scalars(select(DirectoryChange).where(DirectoryChange.request_id == request.id)
                           .order_by(DirectoryChange.id))
    first: dict[int, DirectoryChange] = {}
    last: dict[int, DirectoryChange] = {}
    for row in rows:
        first.setdefault(row.entry_id, row)
        last[row.entry_id] = row
    return [Item(first[entry_id].entry, first[entry_id].before, last[entry_id].after)
            for entry_id in sorted(first, key=lambda e: first[e].entry.slot)]


def pending_requests(session: Session) -> list[ChangeRequest]:
    return list(session.scalars(select(ChangeRequest).where(ChangeRequest.state == "pending").order_by(ChangeRequest.id)))


def recently_decided(session: Session, limit: int = 20) -> list[ChangeRequest]:
    return list(session.scalars(select(ChangeRequest).where(ChangeRequest.state != "pending")
                                .order_by(ChangeRequest.decided_at.desc(), ChangeRequest.id.desc()).limit(limit)))


def requests_for_slot(session: Session, slot: int) -> list[ChangeRequest]:
    return list(session.scalars(
        select(ChangeRequest).join(DirectoryChange, DirectoryChange.request_id == ChangeRequest.id)
        .join(DirectoryEntry, DirectoryEntry.id == DirectoryChange.entry_id).where(DirectoryEntry.slot == slot)
        .distinct().order_by(ChangeRequest.id.desc())))


def settle(session: Session, request: ChangeRequest, by: str, by_is_admin: bool, approve: bool, note: str,
           now: dt.datetime) -> Decision:
    """Approve or reject a change request in the caller's transaction."""
    held = items(session, request)
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
        record_change(session, entry, by, "approved" if approve else "rejected", before, why, request)
    request.state = "approved" if approve else "rejected"
    request.decided_by, request.decided_at, request.decision_note = by, now, note.strip()
    session.flush()
    return decision


def _put_back(entry: DirectoryEntry, before: dict | None) -> None:
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

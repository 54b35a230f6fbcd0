"""Directory changes proposed in the web app: a draft checked by gateway.web.proposals is made
through directory.store like a change from the command line, so it waits for a second
administrator as a change request of directory.changes, the one notion every door shares."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from directory.addressbook import Book, BookRow
from directory.importer import plan_import
from directory.profile import PbxProfile
from directory.schema import ChangeRequest, DirectoryEntry
from directory.store import ChangeRefused, apply_import, change_entry, open_request
from gateway import directory_changes
from gateway.models import User
from gateway.web import proposals
from gateway.web.proposals import Draft, EntryFacts


class DraftInvalid(ValueError):
    def __init__(self, problems: list[str]):
        super().__init__(", ".join(problems))
        self.problems = problems


def entry_facts(session: Session, slot: int | None) -> EntryFacts | None:
    entry = session.scalar(select(DirectoryEntry).where(DirectoryEntry.slot == slot)) if slot else None
    return EntryFacts(entry.status, entry.version, entry.e164, entry.pending_change_id) if entry else None


def propose(session: Session, draft: Draft, user: User, profile: PbxProfile, today: dt.date) -> ChangeRequest:
    if user.role != "admin":
        raise DraftInvalid(["not_admin"])
    problems = proposals.draft_problems(draft, entry_facts(session, draft.slot), profile, today)
    if problems:
        raise DraftInvalid(problems)
    actor = directory_changes.actor_of(user)
    # The proposer confirmed the number with the recipient: that is the entry's verification.
    verified = {"verified_on": draft.verified_on, "verified_by": user.name}
    try:
        with session.begin_nested():  # a refused change leaves nothing behind
            request = _make(session, draft, actor, verified, profile)
    except ChangeRefused as exc:
        raise DraftInvalid(["change_refused"]) from exc
    directory_changes.audit_requested(session, request)
    return request


def _make(session: Session, draft: Draft, actor: str, verified: dict, profile: PbxProfile) -> ChangeRequest:
    request = open_request(session, "web", actor, draft.note.strip())
    if draft.action == "add":
        row = BookRow(line=1, slot=str(draft.slot), name=draft.name.strip(), dial=draft.dial.strip(),
                      organization=draft.organization.strip(), kind=draft.kind, extension=draft.extension.strip())
        apply_import(session, plan_import(Book("proposal", rows=[row]), profile), actor, f"変更 #{request.id}",
                     request=request)
        change_entry(session, draft.slot, actor, profile, request.summary, request=request, **verified)
    elif draft.action == "change_number":  # a retired entry stays retired: reactivating is its own change
        change_entry(session, draft.slot, actor, profile, request.summary, request=request, dial=draft.dial.strip(),
                     **verified)
    else:
        change_entry(session, draft.slot, actor, profile, request.summary, request=request, status="active", **verified)
    return request

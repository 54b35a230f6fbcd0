"""Directory changes proposed in the web app: a draft checked by gateway.core.directory_proposals is made
through directory.entries like a change from the command line, so it waits for a second
administrator as a change request of directory.changes, the one notion every door shares."""

from __future__ import annotations

import datetime as dt

from directory.entries import ChangeRefused, apply_import, change_entry, open_request
from directory.formats.book import Book, BookRow
from directory.importer import plan_import
from directory.profile import PbxProfile
from gateway.services import directory_changes
from gateway.storage.directory_tables import ChangeRequest
from gateway.storage.tables import User
from gateway.storage.uow import UnitOfWork
from gateway.core import directory_proposals as proposals
from gateway.core.directory_proposals import Draft, EntryFacts


class DraftInvalid(ValueError):
    def __init__(self, problems: list[str]):
        super().__init__(", ".join(problems))
        self.problems = problems


def entry_facts(uow: UnitOfWork, slot: int | None) -> EntryFacts | None:
    entry = uow.directory.by_slot(slot) if slot else None
    return EntryFacts(entry.status, entry.version, entry.e164, entry.pending_change_id) if entry else None


def propose(uow: UnitOfWork, draft: Draft, user: User, profile: PbxProfile, today: dt.date) -> ChangeRequest:
    if user.role != "admin":
        raise DraftInvalid(["not_admin"])
    problems = proposals.draft_problems(draft, entry_facts(uow, draft.slot), profile, today)
    if problems:
        raise DraftInvalid(problems)
    actor = directory_changes.actor_of(user)
    # The proposer confirmed the number with the recipient: that is the entry's verification.
    verified = {"verified_on": draft.verified_on, "verified_by": user.name}
    try:
        with uow.savepoint():  # a refused change leaves nothing behind
            request = _make(uow, draft, actor, verified, profile)
    except ChangeRefused as exc:
        raise DraftInvalid(["change_refused"]) from exc
    directory_changes.audit_requested(uow, request)
    return request


def _make(uow: UnitOfWork, draft: Draft, actor: str, verified: dict, profile: PbxProfile) -> ChangeRequest:
    request = open_request(uow, "web", actor, draft.note.strip())
    if draft.action == "add":
        row = BookRow(line=1, slot=str(draft.slot), name=draft.name.strip(), dial=draft.dial.strip(),
                      organization=draft.organization.strip(), kind=draft.kind, extension=draft.extension.strip())
        apply_import(uow, plan_import(Book("proposal", rows=[row]), profile), actor, f"変更 #{request.id}",
                     request=request)
        change_entry(uow, draft.slot, actor, profile, request.summary, request=request, **verified)
    elif draft.action == "change_number":  # a retired entry stays retired: reactivating is its own change
        change_entry(uow, draft.slot, actor, profile, request.summary, request=request, dial=draft.dial.strip(),
                     **verified)
    else:
        change_entry(uow, draft.slot, actor, profile, request.summary, request=request, status="active", **verified)
    return request

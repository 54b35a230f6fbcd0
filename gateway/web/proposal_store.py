"""Directory change proposals in the database: the rules of gateway.web.proposals applied to
stored proposals, each step an audit event; an approved change goes through directory.store."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from directory.addressbook import Book, BookRow
from directory.importer import plan_import
from directory.profile import PbxProfile
from directory.schema import DirectoryEntry
from directory.store import ChangeRefused, apply_import, change_entry
from gateway import auditlog
from gateway.confirmation import Person
from gateway.models import User
from gateway.web import proposals
from gateway.web.models import DirectoryProposal
from gateway.web.proposals import Decision, Draft, EntryFacts


class DraftInvalid(ValueError):
    def __init__(self, problems: list[str]):
        super().__init__(", ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Outcome:
    decision: Decision
    refused_change: str = ""  # why directory.store would not make the change (Japanese)


def entry_facts(session: Session, slot: int | None) -> EntryFacts | None:
    entry = session.scalar(select(DirectoryEntry).where(DirectoryEntry.slot == slot)) if slot else None
    return EntryFacts(entry.status, entry.version, entry.e164) if entry else None


def propose(session: Session, draft: Draft, user: User, profile: PbxProfile, today: dt.date) -> DirectoryProposal:
    if user.role != "admin":
        raise DraftInvalid(["not_admin"])
    entry = entry_facts(session, draft.slot)
    problems = proposals.draft_problems(draft, entry, profile, today)
    if problems:
        raise DraftInvalid(problems)
    proposal = DirectoryProposal(
        action=draft.action, slot=draft.slot, name=draft.name.strip(), organization=draft.organization.strip(),
        kind=draft.kind, dial=draft.dial.strip(), extension=draft.extension.strip(), verified_on=draft.verified_on,
        entry_version=entry.version if entry else None, note=draft.note.strip(), proposed_by=user.id,
    )
    session.add(proposal)
    session.flush()
    auditlog.append(session, f"user:{user.name}", "directory.proposed", f"proposal:{proposal.id}", proposal.note,
                    change=proposal.action, slot=proposal.slot)
    return proposal


def decide(session: Session, proposal: DirectoryProposal, user: User, approve: bool, note: str,
           profile: PbxProfile, now: dt.datetime) -> Outcome:
    decision = proposals.decide(
        state=proposal.state, proposer_id=proposal.proposed_by, person=Person(user.id, user.role, user.department),
        approve=approve, entry_version_then=proposal.entry_version, entry_now=entry_facts(session, proposal.slot),
    )
    actor = f"user:{user.name}"
    auditlog.append(session, actor, "directory.proposal_decision_attempt", f"proposal:{proposal.id}", note,
                    approve=approve, status=decision.status, code=decision.code)
    if decision.status != 200:
        return Outcome(decision)
    if approve:
        try:
            with session.begin_nested():
                _apply(session, proposal, user, profile)
        except ChangeRefused as exc:
            return Outcome(Decision(409, "change_refused"), str(exc))
    proposal.state = "approved" if approve else "refused"
    proposal.decided_by, proposal.decided_at, proposal.decision_note = user.id, now, note.strip()
    auditlog.append(session, actor, f"directory.proposal_{proposal.state}", f"proposal:{proposal.id}", note,
                    change=proposal.action, slot=proposal.slot, proposer=proposal.proposer.name)
    return Outcome(decision)


def _apply(session: Session, proposal: DirectoryProposal, approver: User, profile: PbxProfile) -> None:
    actor = f"user:{approver.name}"
    # Kept in Japanese like the rest of the directory's history.
    note = f"変更提案 #{proposal.id}（提案 {proposal.proposer.name}、承認 {approver.name}）: {proposal.note}"
    if proposal.action == "add":
        row = BookRow(line=1, slot=str(proposal.slot), name=proposal.name, dial=proposal.dial,
                      organization=proposal.organization, kind=proposal.kind, extension=proposal.extension)
        plan = plan_import(Book("proposal", rows=[row]), profile)
        if plan.errors:
            raise ChangeRefused("; ".join(error.message for error in plan.errors))
        apply_import(session, plan, actor, f"変更提案 #{proposal.id}")
    # The proposer confirmed the number with the recipient: that is the entry's verification.
    changes = {"verified_on": proposal.verified_on, "verified_by": proposal.proposer.name}
    if proposal.action == "change_number":
        changes["dial"] = proposal.dial  # a retired entry stays retired: reactivating is its own proposal
    else:
        changes["status"] = "active"
    change_entry(session, proposal.slot, actor, profile, note, **changes)


def pending(session: Session) -> list[DirectoryProposal]:
    return list(session.scalars(select(DirectoryProposal).where(DirectoryProposal.state == "pending")
                                .order_by(DirectoryProposal.id)))


def recently_decided(session: Session, limit: int = 20) -> list[DirectoryProposal]:
    return list(session.scalars(select(DirectoryProposal).where(DirectoryProposal.state != "pending")
                                .order_by(DirectoryProposal.decided_at.desc()).limit(limit)))

"""Directory pages for administrators: search, an entry with its history and findings, the bulk
audit to work through, and change proposals that take effect when a second admin approves."""

from __future__ import annotations

import re
from collections import defaultdict

from fastapi import APIRouter, Depends, Form, Request

from directory.audit import ACTIONS_JA, LABELS_JA, audit
from directory.entries import EntryNotFound, audit_items, effective_dial, get_entry, list_entries
from directory.digits import slot_number
from directory.importer import parse_date
from gateway.services import books, directory_changes
from gateway.services.jobs import utcnow
from gateway.core import access
from gateway.entrypoints.web import labels
from gateway.services import directory_proposals as proposal_store
from gateway.entrypoints.web.core import Refusal, Viewer, Web, office_today
from gateway.entrypoints.web.i18n import N_
from gateway.core.directory_proposals import ACTIONS, Draft


def _shown(uow, change) -> dict:
    """A change request as the API describes it, with times the templates show in office time."""
    return {**directory_changes.change_json(uow, change), "requested_at": change.requested_at,
            "decided_at": change.decided_at}


def add_directory_routes(router: APIRouter, web: Web) -> None:
    app = web.app
    poster = web.poster()

    def require_admin(viewer: Viewer) -> None:
        if not access.may_manage_directory(viewer.person):
            raise Refusal(viewer, N_("Only administrators may manage the directory."), 403)

    def book_of(uow, viewer: Viewer, device: str):
        """`?device=NAME`: that device's book, read with its site's PBX; else the shared book."""
        if not device:
            return books.shared(uow, app.profile)
        try:
            return books.choose(uow, device, app.profile)
        except books.BookChoiceError:
            raise Refusal(viewer, N_("There is no device with this name."), 404) from None

    def findings_by_slot(uow, book) -> dict[int, list]:
        found = audit(audit_items(uow.in_book(book.book), book.profile), book.profile, office_today(),
                      app.policy.stale_days)
        by_slot = defaultdict(list)
        for finding in found:
            by_slot[finding.slot].append(finding)
        return by_slot

    @router.get("/directory")
    def directory(request: Request, q: str = "", device: str = "", viewer: Viewer = Depends(web.viewer)):
        require_admin(viewer)
        query = q.strip()[:100]
        with app.unit_of_work(read_only=True) as uow:
            book = book_of(uow, viewer, device)
            scoped = uow.in_book(book.book)
            entries = {e.slot: e for e in list_entries(scoped, include_retired=True, search=query)}
            digits = re.sub(r"[\s\-()]", "", query)
            if digits.isdigit():  # a number as people write it: 03-5432-1111 is stored as +81354321111
                entries |= {e.slot: e for e in list_entries(scoped, include_retired=True, search=digits.lstrip("0"))}
            findings = findings_by_slot(uow, book)
            rows = [(entry, effective_dial(entry, book.profile), len(findings.get(slot, [])))
                    for slot, entry in sorted(entries.items())]
            waiting = len(uow.directory.pending_requests())
        return web.render(request, viewer, "directory.html", rows=rows, q=query, waiting=waiting, book=book)

    @router.get("/directory/audit")
    def directory_audit(request: Request, device: str = "", viewer: Viewer = Depends(web.viewer)):
        require_admin(viewer)
        with app.unit_of_work(read_only=True) as uow:
            book = book_of(uow, viewer, device)
            findings = findings_by_slot(uow, book)
        return web.render(request, viewer, "directory_audit.html", findings=sorted(findings.items()),
                          finding_labels=LABELS_JA, finding_actions=ACTIONS_JA, book=book)

    @router.get("/directory/entries/{slot}")
    def entry_page(request: Request, slot: int, device: str = "", viewer: Viewer = Depends(web.viewer)):
        require_admin(viewer)
        with app.unit_of_work(read_only=True) as uow:
            book = book_of(uow, viewer, device)
            try:
                entry = get_entry(uow.in_book(book.book), slot)
            except EntryNotFound:
                raise Refusal(viewer, N_("There is no entry with this speed-dial number."), 404) from None
            page = web.render(
                request, viewer, "entry.html", entry=entry, dial=effective_dial(entry, book.profile),
                history=list(reversed(entry.changes)), findings=findings_by_slot(uow, book).get(slot, []),
                finding_labels=LABELS_JA, finding_actions=ACTIONS_JA,
                proposals=uow.in_book(book.book).directory.requests_for_slot(slot), book=book,
            )
        return page

    def proposals_page(request: Request, viewer: Viewer, status: int = 200, notice: str | None = None,
                       error: dict | None = None):
        with app.unit_of_work(read_only=True) as uow:
            page = web.render(request, viewer, "proposals.html", status=status, notice=notice, error=error,
                              pending=[_shown(uow, c) for c in uow.directory.pending_requests()],
                              decided=[_shown(uow, c) for c in uow.directory.recently_decided()],
                              me=directory_changes.actor_of(uow.users.get(viewer.user_id)))
        return page

    @router.get("/directory/proposals")
    def proposals(request: Request, notice: str = "", viewer: Viewer = Depends(web.viewer)):
        require_admin(viewer)
        return proposals_page(request, viewer, notice=labels.PROPOSAL_MESSAGES.get(notice))

    def proposal_form(request: Request, viewer: Viewer, draft: Draft, problems: list[str], status: int = 200):
        with app.unit_of_work(read_only=True) as uow:
            entry = None
            if draft.slot and draft.action != "add":
                try:
                    entry = get_entry(uow, draft.slot)
                except EntryNotFound:
                    entry = None
            page = web.render(request, viewer, "proposal_form.html", status=status, draft=draft, problems=problems,
                              entry=entry, actions=ACTIONS, today=office_today())
        return page

    @router.get("/directory/proposals/new")
    def new_proposal(request: Request, action: str = "add", slot: str = "", viewer: Viewer = Depends(web.viewer)):
        require_admin(viewer)
        draft = Draft(action if action in ACTIONS else "add", slot_number(slot))
        return proposal_form(request, viewer, draft, [])

    @router.post("/directory/proposals")
    def propose(
        request: Request, action: str = Form(""), slot: str = Form(""), name: str = Form(""),
        organization: str = Form(""), kind: str = Form("external"), dial: str = Form(""), extension: str = Form(""),
        verified_on: str = Form(""), note: str = Form(""), viewer: Viewer = Depends(poster),
    ):
        require_admin(viewer)
        try:
            verified = parse_date(verified_on)
        except ValueError:
            verified = None
        draft = Draft(action, slot_number(slot), name[:200], organization[:200], kind,
                      dial[:64], extension.strip()[:16], verified, note[:2000])
        with app.unit_of_work() as uow:
            try:
                proposal_store.propose(uow, draft, uow.users.get(viewer.user_id), app.profile, office_today())
            except proposal_store.DraftInvalid as invalid:
                problems = invalid.problems
            else:
                problems = []
        if problems:
            return proposal_form(request, viewer, draft, problems, status=422)
        return web.redirect("/directory/proposals?notice=proposed")

    def decide(request: Request, change_id: int, viewer: Viewer, approve: bool, note: str):
        with app.unit_of_work() as uow:
            decision = directory_changes.settle(uow, change_id, uow.users.get(viewer.user_id), approve,
                                                note[:2000], utcnow())
        if decision.status == 404:
            raise Refusal(viewer, N_("There is no such proposal."), 404)
        if decision.status == 200:
            return web.redirect(f"/directory/proposals?notice={decision.code}")
        return proposals_page(request, viewer, status=decision.status,
                              error={"headline": labels.PROPOSAL_MESSAGES[decision.code], "detail": ""})

    @router.post("/directory/proposals/{proposal_id}/approve")
    def approve(request: Request, proposal_id: int, note: str = Form(""), viewer: Viewer = Depends(poster)):
        require_admin(viewer)
        return decide(request, proposal_id, viewer, True, note)

    @router.post("/directory/proposals/{proposal_id}/refuse")
    def refuse(request: Request, proposal_id: int, note: str = Form(""), viewer: Viewer = Depends(poster)):
        require_admin(viewer)
        return decide(request, proposal_id, viewer, False, note)

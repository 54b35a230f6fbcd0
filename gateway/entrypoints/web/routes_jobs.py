"""Job pages: my faxes, what waits for my confirmation, stopped faxes, a job with its page
previews and findings, and the confirmation form (through gateway.services.confirm, as the API)."""

from __future__ import annotations

from dataclasses import replace

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from gateway.services import confirm as approvals
from gateway.core.confirmation import PAGES_NOT_VIEWED
from gateway.services.jobs import utcnow
from gateway.storage.tables import Job
from gateway.core import access
from gateway.entrypoints.web import job_views
from gateway.services import notices, queues
from gateway.entrypoints.web.core import PAGE_HEADERS, Refusal, Viewer, Web
from gateway.entrypoints.web.i18n import N_
from gateway.services.previews import PagesGone, check_pages_shown, thumbnail
from policies.categories import NAMES_JA
from policies.documents.model import DocumentUnreadable

ANSWER_HEADLINES = {
    403: N_("You may not confirm this fax."),
    409: N_("This fax cannot be confirmed by you now."),
    422: N_("The number you entered does not match the destination. Check it against the document and the request."),
}
REJECT_HEADLINE = N_("The fax could not be rejected.")
INBOX_HEADLINE = N_("The fax could not be switched to in-house delivery.")
MASKED_HEADLINE = N_("The masked version could not be sent.")
NOTICES = {
    "confirmed": N_("Your confirmation was recorded. The fax now waits for an approver."),
    "masked": N_("The masked version is a new fax in place of the stopped one. It is checked again; then you and an approver confirm it."),
    "inbox": N_("The in-house delivery is a new fax in place of the stopped one. It is checked again; then you and an approver confirm it."),
    "approved": N_("Confirmed by the submitter and an approver: the fax will be sent."),
    "rejected": N_("The fax was rejected and will not be sent."),
    "uploaded": N_("Your fax was taken. It is checked now; then you and an approver confirm its destination."),
    "incident": N_("Your report was recorded. The privacy office and the approvers have been told."),
}
NOT_SENT_OUTCOMES = {
    "blocked": N_("Stopped by the checks before sending: nothing was sent."),
    "failed": N_("The fax server did not take it: nothing was sent."),
    "rejected": N_("Rejected: it will not be sent."),
    "expired": N_("It waited too long for its confirmations and will not be sent."),
    "delivery_unknown": N_("The connection to the fax server broke while sending: it may not have gone out. "
                           "An administrator checks with the fax server."),
}
PAGES_NOT_SEEN = N_("Look at every page of the document, one at a time, before entering the number.")


def add_job_routes(router: APIRouter, web: Web) -> None:
    app = web.app
    poster = web.poster()

    def visible_job(uow, job_id: str, viewer: Viewer) -> Job:
        job = uow.jobs.get(job_id)
        if job is None:
            raise Refusal(viewer, N_("There is no such fax."), 404)
        if not access.may_see_job(viewer.person, job.submitter_id, job.department):
            raise Refusal(viewer, N_("You may not see this fax."), 403)
        return job

    def show(request: Request, viewer: Viewer, job_id: str, template: str, status: int = 200, **values) -> Response:
        with app.unit_of_work(read_only=True) as uow:
            job = job_views.detail(uow, visible_job(uow, job_id, viewer), viewer.person, utcnow(), app.policy)
            mail_notices = notices.of_job(uow, job_id)
        return web.render(request, viewer, template, status=status, job=job, category_names=NAMES_JA,
                          mail_notices=mail_notices, **values)

    @router.get("/")
    def home(viewer: Viewer = Depends(web.viewer)):
        if viewer.role == "auditor":
            return web.redirect("/audit")
        return web.redirect("/confirmations" if viewer.pending else "/jobs")

    @router.get("/jobs")
    def my_jobs(request: Request, viewer: Viewer = Depends(web.viewer)):
        with app.unit_of_work(read_only=True) as uow:
            rows = job_views.summaries(uow, queues.my_jobs(uow, viewer.person), viewer.person, utcnow(), app.policy)
        return web.render(request, viewer, "job_list.html", rows=rows, heading=N_("My faxes"),
                          empty=N_("You have not sent any fax through faxgate yet."), send_link=True)

    @router.get("/confirmations")
    def waiting(request: Request, viewer: Viewer = Depends(web.viewer)):
        with app.unit_of_work(read_only=True) as uow:
            rows = job_views.summaries(uow, queues.waiting_for(uow, viewer.person, utcnow(), app.policy), viewer.person, utcnow(), app.policy)
        return web.render(request, viewer, "job_list.html", rows=rows, heading=N_("Waiting for my confirmation"),
                          empty=N_("Nothing is waiting for your confirmation."), confirm_links=True)

    @router.get("/blocked")
    def blocked(request: Request, viewer: Viewer = Depends(web.viewer)):
        with app.unit_of_work(read_only=True) as uow:
            rows = job_views.summaries(uow, queues.blocked_for(uow, viewer.person), viewer.person, utcnow(), app.policy)
        return web.render(request, viewer, "blocked.html", rows=rows)

    @router.get("/not-sent")
    def not_sent(request: Request, viewer: Viewer = Depends(web.viewer)):
        with app.unit_of_work() as uow:
            rows = queues.not_sent_for(uow, viewer.user_id, viewer.name)
            cards = job_views.summaries(uow, [row.job for row in rows], viewer.person, utcnow(), app.policy)
            told = queues.mark_seen(uow, viewer.name, rows)
        return web.render(request, replace(viewer, not_sent=viewer.not_sent - told), "not_sent.html",
                          rows=list(zip(rows, cards)), outcomes=NOT_SENT_OUTCOMES)

    @router.get("/jobs/{job_id}")
    def job_page(request: Request, job_id: str, notice: str = "", viewer: Viewer = Depends(web.viewer)):
        if viewer.not_sent:  # the submitter opening a fax that was not sent has been told
            with app.unit_of_work() as uow:
                rows = [row for row in queues.not_sent_for(uow, viewer.user_id, viewer.name) if row.job.id == job_id]
                viewer = replace(viewer, not_sent=viewer.not_sent - queues.mark_seen(uow, viewer.name, rows))
        return show(request, viewer, job_id, "job.html", notice=NOTICES.get(notice), error=None)

    def rendered_pages(job_id: str, viewer: Viewer) -> tuple[str, list[bytes] | None]:
        with app.unit_of_work(read_only=True) as uow:
            job = visible_job(uow, job_id, viewer)
            content_sha256, findings = job.content_sha256, list(job.findings or [])
            hide_number = approvals.cover_number_hidden(uow, job, viewer.user_id, app.policy)
            state, since = job.state, job.updated_at
        try:
            check_pages_shown(state, since, app.policy, utcnow())  # the policy's [retention] preview_days
            return content_sha256, web.previews.of_job(app.unit_of_work, job_id, content_sha256, findings, hide_number)
        except (DocumentUnreadable, PagesGone):
            return content_sha256, None

    @router.get("/jobs/{job_id}/pages/{page}.png")
    def page_image(job_id: str, page: int, viewer: Viewer = Depends(web.viewer)):
        """A page at fax resolution: serving it counts as this person having looked at it."""
        content_sha256, pngs = rendered_pages(job_id, viewer)
        if pngs is None or not 1 <= page <= len(pngs):
            return Response(status_code=404, headers=PAGE_HEADERS)
        with app.unit_of_work() as uow:
            uow.page_views.record(viewer.user_id, job_id, content_sha256, page)
        return Response(pngs[page - 1], media_type="image/png", headers=PAGE_HEADERS)

    @router.get("/jobs/{job_id}/thumbnails/{page}.png")
    def page_thumbnail(job_id: str, page: int, viewer: Viewer = Depends(web.viewer)):
        """Too small to read: never counts as the page looked at."""
        _, pngs = rendered_pages(job_id, viewer)
        if pngs is None or not 1 <= page <= len(pngs):
            return Response(status_code=404, headers=PAGE_HEADERS)
        return Response(thumbnail(pngs[page - 1]), media_type="image/png", headers=PAGE_HEADERS)

    # The confirmation in steps that each fit an MFD panel: every page on its own at a readable
    # size (its image counts as seen), then the number entry, then the result.
    @router.get("/jobs/{job_id}/confirm/pages/{page}")
    def confirm_page_step(request: Request, job_id: str, page: int, viewer: Viewer = Depends(web.viewer)):
        with app.unit_of_work(read_only=True) as uow:
            job = job_views.detail(uow, visible_job(uow, job_id, viewer), viewer.person, utcnow(), app.policy)
        if not 1 <= page <= job.pages:
            raise Refusal(viewer, N_("The fax has no such page."), 404)
        findings = [finding for finding in job.findings if finding.get("page") == page]
        return web.render(request, viewer, "confirm_page.html", job=job, page=page, page_findings=findings,
                          category_names=NAMES_JA)

    def number_step(request: Request, viewer: Viewer, job_id: str, status: int = 200, error: dict | None = None) -> Response:
        with app.unit_of_work(read_only=True) as uow:
            stored = visible_job(uow, job_id, viewer)
            seen = uow.page_views.pages_seen(viewer.user_id, job_id, stored.content_sha256)
            job = job_views.detail(uow, stored, viewer.person, utcnow(), app.policy)
        unseen = [number for number in range(1, job.pages + 1) if number not in seen]
        return web.render(request, viewer, "confirm.html", status=status, job=job, unseen=unseen,
                          category_names=NAMES_JA, notice=None, error=error)

    @router.get("/jobs/{job_id}/confirm")
    def confirm_form(request: Request, job_id: str, viewer: Viewer = Depends(web.viewer)):
        return number_step(request, viewer, job_id)

    @router.post("/jobs/{job_id}/confirm")
    def confirm(request: Request, job_id: str, number: str = Form(""), viewer: Viewer = Depends(poster)):
        with app.unit_of_work() as uow:
            job = visible_job(uow, job_id, viewer)
            answer = approvals.confirm(uow, job, uow.users.get(viewer.user_id), number[:64], app.policy)
            headline = PAGES_NOT_SEEN if answer.code == PAGES_NOT_VIEWED else ANSWER_HEADLINES.get(answer.status)
            state = job.state
        if answer.status == 200:
            return web.redirect(f"/jobs/{job_id}/confirm/done?notice={'approved' if state == 'approved' else 'confirmed'}")
        # A mismatch needs no more words than its headline; the other refusals say which rule.
        detail = "" if answer.status == 422 else answer.message_ja
        return number_step(request, viewer, job_id, status=answer.status, error={"headline": headline, "detail": detail})

    @router.get("/jobs/{job_id}/confirm/done")
    def confirm_result(request: Request, job_id: str, notice: str = "", viewer: Viewer = Depends(web.viewer)):
        return show(request, viewer, job_id, "confirm_done.html", notice=NOTICES.get(notice), error=None)

    @router.post("/jobs/{job_id}/masked")
    def send_masked(request: Request, job_id: str, viewer: Viewer = Depends(poster)):
        with app.unit_of_work(read_only=True) as uow:
            visible_job(uow, job_id, viewer)
        answer = approvals.send_masked(app.unit_of_work, job_id, viewer.user_id, app.screen_settings)
        if answer.status == 200:
            return web.redirect(f"/jobs/{answer.message_ja}?notice=masked")
        return show(request, viewer, job_id, "job.html", status=answer.status, notice=None,
                    error={"headline": MASKED_HEADLINE, "detail": answer.message_ja})

    @router.post("/jobs/{job_id}/inbox")
    def send_by_inbox(request: Request, job_id: str, viewer: Viewer = Depends(poster)):
        with app.unit_of_work() as uow:
            answer = approvals.send_by_inbox(uow, visible_job(uow, job_id, viewer), uow.users.get(viewer.user_id))
        if answer.status == 200:
            return web.redirect(f"/jobs/{answer.message_ja}?notice=inbox")
        return show(request, viewer, job_id, "job.html", status=answer.status, notice=None,
                    error={"headline": INBOX_HEADLINE, "detail": answer.message_ja})

    @router.post("/jobs/{job_id}/reject")
    def reject(request: Request, job_id: str, reason: str = Form(""), viewer: Viewer = Depends(poster)):
        with app.unit_of_work() as uow:
            job = visible_job(uow, job_id, viewer)
            answer = approvals.reject(uow, job, uow.users.get(viewer.user_id), reason[:500])
        if answer.status == 200:
            return web.redirect(f"/jobs/{job_id}?notice=rejected")
        return show(request, viewer, job_id, "job.html", status=answer.status, notice=None,
                    error={"headline": REJECT_HEADLINE, "detail": answer.message_ja})

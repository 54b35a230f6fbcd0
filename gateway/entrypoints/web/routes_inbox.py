"""In-house delivery (庁内便) in the web app: the section's inbox, one delivery's pages, its
download (the exact approved bytes) and the acknowledgement, for the staff of the destination
section only (gateway.services.inbox decides and writes the audit trail)."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from gateway.entrypoints.web.core import PAGE_HEADERS, Refusal, Viewer, Web
from gateway.entrypoints.web.i18n import N_
from gateway.services import inbox
from gateway.services.previews import PagesGone
from policies.documents.model import DocumentUnreadable

NOT_YOURS = N_("There is no such in-house delivery for your section.")
GONE = N_("The document was deleted at the end of its retention period.")


def add_inbox_routes(router: APIRouter, web: Web) -> None:
    app = web.app
    poster = web.poster()

    def opened(viewer: Viewer, job_id: str, how) -> object:
        try:
            with app.unit_of_work() as uow:
                return how(uow, uow.users.get(viewer.user_id), job_id)
        except inbox.NotForYou:
            raise Refusal(viewer, NOT_YOURS, 404) from None

    @router.get("/inbox")
    def inbox_page(request: Request, viewer: Viewer = Depends(web.viewer)):
        with app.unit_of_work(read_only=True) as uow:
            items = inbox.items_for(uow, uow.users.get(viewer.user_id))
        return web.render(request, viewer, "inbox.html", items=items)

    @router.get("/inbox/{job_id}")
    def item_page(request: Request, job_id: str, viewer: Viewer = Depends(web.viewer)):
        item = opened(viewer, job_id, inbox.view)
        try:
            pages = len(web.previews.of_job(app.unit_of_work, job_id, item.sha256, [], False))
        except (DocumentUnreadable, PagesGone):
            pages = 0
        return web.render(request, viewer, "inbox_item.html", item=item, pages=pages)

    @router.get("/inbox/{job_id}/pages/{page}.png")
    def page_image(job_id: str, page: int, viewer: Viewer = Depends(web.viewer)):
        item = opened(viewer, job_id, lambda uow, user, job: inbox.view_page(uow, user, job, page))
        try:
            pngs = web.previews.of_job(app.unit_of_work, job_id, item.sha256, [], False)
        except (DocumentUnreadable, PagesGone):
            raise Refusal(viewer, GONE, 410) from None
        if not 1 <= page <= len(pngs):
            raise Refusal(viewer, NOT_YOURS, 404)
        return Response(pngs[page - 1], media_type="image/png", headers=PAGE_HEADERS)

    @router.get("/inbox/{job_id}/document")
    def document(job_id: str, viewer: Viewer = Depends(web.viewer)):
        item, data = opened(viewer, job_id, inbox.download)
        if data is None:
            raise Refusal(viewer, GONE, 410)
        return Response(data, media_type=item.content_type, headers={
            **PAGE_HEADERS, "Content-Disposition": f"attachment; filename*=UTF-8''{quote(item.filename)}"})

    @router.post("/inbox/{job_id}/acknowledge")
    def acknowledge(job_id: str, viewer: Viewer = Depends(poster)):
        opened(viewer, job_id, inbox.acknowledge)
        return web.redirect(f"/inbox/{job_id}")

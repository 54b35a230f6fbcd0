"""The page "ファクスを送る": staff upload a PDF or TIFF and choose its destination from the
directory by search (no number can be typed as a destination); the job then goes the way of an
SMTP job (gateway.services.upload). Two plain forms, so it works without scripts and on a phone:
the search (GET) and the upload (POST, multipart)."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import Response

from gateway.entrypoints.web.core import PAGE_HEADERS, Viewer, Web
from gateway.entrypoints.web.i18n import N_
from gateway.services.device_notice import notice_pdf
from gateway.services.upload import UploadRefused, choices_in_book, device_choices, upload

UPLOAD_HEADLINE = N_("The fax was not taken.")
NO_DESTINATION = N_("Choose the destination from the directory first: search, then pick one.")


def add_send_routes(router: APIRouter, web: Web) -> None:
    app = web.app
    poster = web.poster()

    def page(request: Request, viewer: Viewer, q: str, device: str = "", status: int = 200, error: dict | None = None,
             chosen: str = ""):
        with app.unit_of_work(read_only=True) as uow:
            devices = device_choices(uow)
            device = device if devices and device in devices else ""
            choices = choices_in_book(uow, app, device, q)
        return web.render(request, viewer, "send.html", status=status, q=q, choices=choices, error=error,
                          chosen=chosen, devices=devices, device=device, notice=None,
                          max_mb=app.config.smtp.max_message_mb)

    @router.get("/send")
    def send_form(request: Request, q: str = "", device: str = "", viewer: Viewer = Depends(web.viewer)):
        return page(request, viewer, q[:100], device[:100])

    @router.post("/send")
    async def send(request: Request, slot: str = Form(""), q: str = Form(""), device: str = Form(""),
                   document: UploadFile | None = File(None), viewer: Viewer = Depends(poster)):
        q, device = q[:100], device[:100]
        if not slot:
            return page(request, viewer, q, device, 400, {"headline": NO_DESTINATION, "detail": ""})
        data = await document.read(app.message_limits.max_message_bytes + 1) if document else b""
        with app.unit_of_work(read_only=True) as uow:
            email = uow.users.get(viewer.user_id).email
        peer = request.client.host if request.client else ""
        try:
            job_id = await asyncio.to_thread(upload, app, email, data, (document.filename if document else "") or "",
                                             slot, device or None, peer)
        except UploadRefused as refused:
            detail = refused.japanese if web.language(request) == "ja" else refused.english
            return page(request, viewer, q, device, refused.status, {"headline": UPLOAD_HEADLINE, "detail": detail}, slot)
        return web.redirect(f"/jobs/{job_id}?notice=uploaded")

    @router.get("/notice.pdf")
    def device_notice(viewer: Viewer = Depends(web.viewer)):
        """The A4 notice for beside each MFD, from the configuration (as `faxgate notice print`)."""
        return Response(notice_pdf(app), media_type="application/pdf",
                        headers={**PAGE_HEADERS, "Content-Disposition": 'attachment; filename="faxgate-notice.pdf"'})

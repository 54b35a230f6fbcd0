"""`POST /api/jobs`: a document uploaded with a staff token becomes a job the way an SMTP
message does (gateway.services.upload)."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from starlette.datastructures import UploadFile

from gateway.services.upload import UploadRefused, refused_with, upload

FORM_OVERHEAD = 64 * 1024  # the form's other fields and part headers beside the document


def upload_router(app, session_user) -> APIRouter:
    router = APIRouter()

    @router.post("/api/jobs", status_code=201)
    async def create_job(request: Request, user_id: int = Depends(session_user)):
        limit = app.message_limits.max_message_bytes
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit + FORM_OVERHEAD:  # refused before any of it is read
            return _answer(refused_with("552 5.3.4", "Message too big", "メールが大きすぎます"))
        try:
            form = await request.form()
        except Exception:  # not a multipart form at all (or a broken one)
            return _answer(UploadRefused(400, "form_malformed", "501 5.5.4",
                                         "Send a multipart form: document, slot (and device)",
                                         "multipart 形式で document（文書）と slot（登録番号）を送ってください"))
        document, slot, device = form.get("document"), form.get("slot"), form.get("device")
        if not isinstance(document, UploadFile):
            return _answer(UploadRefused(400, "no_document", "554 5.6.0", "No PDF or TIFF attachment: nothing to fax",
                                         "PDF または TIFF の添付がないため、送る内容がありません"))
        data = await document.read(limit + 1)  # one byte over is enough to refuse it
        with app.unit_of_work(read_only=True) as uow:
            email = uow.users.get(user_id).email
        peer = request.client.host if request.client else ""
        try:
            job_id = await asyncio.to_thread(upload, app, email, data, document.filename or "", str(slot or ""),
                                             str(device) if isinstance(device, str) else None, peer)
        except UploadRefused as refused:
            return _answer(refused)
        return {"id": job_id}

    return router


def _answer(refused: UploadRefused) -> JSONResponse:
    return JSONResponse(refused.as_json(), status_code=refused.status)

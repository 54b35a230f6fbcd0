"""In-house delivery (庁内便) through the API, for the staff of the destination section only
(gateway.services.inbox decides and writes the audit trail, as for the web app):

    GET  /api/inbox                      what the caller's section received
    GET  /api/inbox/{job_id}             one delivery (recorded as viewed)
    GET  /api/inbox/{job_id}/document    the approved bytes (recorded as downloaded, with their SHA-256)
    POST /api/inbox/{job_id}/acknowledge receipt acknowledged; the first acknowledgement stands
"""

from __future__ import annotations

from dataclasses import asdict
from urllib.parse import quote

from fastapi import APIRouter, Depends, HTTPException
from fastapi.responses import Response

from gateway.services import inbox

NOT_YOURS = "あなたの課あての庁内便にはありません (no such in-house delivery for your section)"


def _json(item: inbox.Item) -> dict:
    return {name: value.isoformat() if hasattr(value, "isoformat") else value for name, value in asdict(item).items()}


def inbox_router(app, session_user) -> APIRouter:
    router = APIRouter()

    def opened(user_id: int, job_id: str, how):
        try:
            with app.unit_of_work() as uow:
                return how(uow, uow.users.get(user_id), job_id)
        except inbox.NotForYou:
            raise HTTPException(404, NOT_YOURS) from None

    @router.get("/api/inbox")
    def list_inbox(user_id: int = Depends(session_user)):
        with app.unit_of_work(read_only=True) as uow:
            return {"deliveries": [_json(item) for item in inbox.items_for(uow, uow.users.get(user_id))]}

    @router.get("/api/inbox/{job_id}")
    def get_delivery(job_id: str, user_id: int = Depends(session_user)):
        return _json(opened(user_id, job_id, inbox.view))

    @router.get("/api/inbox/{job_id}/document")
    def get_document(job_id: str, user_id: int = Depends(session_user)):
        item, data = opened(user_id, job_id, inbox.download)
        if data is None:
            raise HTTPException(410, "保存期間を過ぎて文書は削除されました (purged at the end of its retention)")
        return Response(data, media_type=item.content_type, headers={
            "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff", "Content-Security-Policy": "default-src 'none'",
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(item.filename)}"})

    @router.post("/api/inbox/{job_id}/acknowledge")
    def acknowledge(job_id: str, user_id: int = Depends(session_user)):
        return _json(opened(user_id, job_id, inbox.acknowledge))

    return router

"""HTTP API for directory changes: a second administrator approves or rejects what another
made (an import, an edit, a web proposal); the rules are directory.changes'."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from gateway.services import directory_changes
from gateway.services.jobs import utcnow
from gateway.storage.tables import User


class ApproveBody(BaseModel):
    note: str = Field(default="", max_length=2000)


class RejectBody(BaseModel):
    reason: str = Field(min_length=1, max_length=2000)


def directory_router(app, session_user) -> APIRouter:
    router = APIRouter()

    def admin(uow, user_id: int) -> User:
        user = uow.users.get(user_id)
        if user.role != "admin":
            raise HTTPException(403, directory_changes.MESSAGES_JA["not_admin"])
        return user

    @router.get("/api/directory/changes")
    def list_changes(user_id: int = Depends(session_user)):
        with app.unit_of_work(read_only=True) as uow:
            admin(uow, user_id)
            return [directory_changes.change_json(uow, c) for c in uow.directory.pending_requests()]

    def settle(change_id: int, user_id: int, approve: bool, note: str):
        with app.unit_of_work() as uow:
            decision = directory_changes.settle(uow, change_id, admin(uow, user_id), approve, note, utcnow())
            answer = directory_changes.change_json(uow, uow.directory.request(change_id)) \
                if decision.status == 200 else None
        if answer is None:
            return JSONResponse({"detail": directory_changes.MESSAGES_JA[decision.code], "code": decision.code},
                                status_code=decision.status)
        return answer

    @router.post("/api/directory/changes/{change_id}/approve")
    def approve(change_id: int, body: ApproveBody | None = None, user_id: int = Depends(session_user)):
        return settle(change_id, user_id, True, body.note if body else "")

    @router.post("/api/directory/changes/{change_id}/reject")
    def reject(change_id: int, body: RejectBody, user_id: int = Depends(session_user)):
        return settle(change_id, user_id, False, body.reason)

    return router

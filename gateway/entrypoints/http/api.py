"""The HTTP API (FastAPI): JSON, `Authorization: Bearer <token>`."""

from __future__ import annotations

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from gateway.core import access
from gateway.services import confirm as approvals
from gateway.entrypoints.http.directory import directory_router
from gateway.entrypoints.http.inbox import inbox_router
from gateway.entrypoints.http.incidents import incident_router
from gateway.entrypoints.http.stats import stats_router
from gateway.entrypoints.http.uploads import upload_router
from gateway.storage.tables import Job, User
from gateway.services.users import user_for_token
from gateway.entrypoints.http.health import health_router
from gateway.services.jobs import utcnow
from gateway.services.previews import PagePreviews, PagesGone, check_pages_shown
from gateway.entrypoints.web.router import web_router
from gateway.core.states import JobState
from policies.documents.model import DocumentUnreadable


class ConfirmBody(BaseModel):
    number: str = Field(min_length=1, max_length=64)


class RejectBody(BaseModel):
    reason: str = Field(min_length=1, max_length=500)


def create_api(app) -> FastAPI:
    api = FastAPI(title="faxgate", version="0.1.0", description="Fax-transmission safety gateway API")
    api.include_router(web_router(app))
    api.include_router(health_router(app))
    previews = PagePreviews(app.load_document)

    def session_user(request: Request):
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise HTTPException(401, "認証が必要です (Authorization: Bearer <token>)",
                                headers={"WWW-Authenticate": "Bearer"})
        with app.unit_of_work(read_only=True) as uow:
            user = user_for_token(uow, token.strip())
            if user is None:
                raise HTTPException(401, "トークンが無効です (invalid token)", headers={"WWW-Authenticate": "Bearer"})
            return user.id

    def load(uow, job_id: str, user: User, to_read: bool = True) -> Job:
        job = uow.jobs.get(job_id)
        if job is None:
            raise HTTPException(404, "送信が見つかりません (no such job)")
        if to_read and not _may_see(user, job):
            raise HTTPException(403, "この送信を見る権限がありません")
        return job

    @api.get("/api/jobs/{job_id}")
    def get_job(job_id: str, user_id: int = Depends(session_user)):
        with app.unit_of_work(read_only=True) as uow:
            job = load(uow, job_id, uow.users.get(user_id))
            return shown(uow, job, user_id)

    def shown(uow, job: Job, user_id: int) -> dict:
        return approvals.job_json(uow, job, reveal_number=approvals.may_see_number(uow, job, user_id, app.policy))

    @api.get("/api/jobs/{job_id}/pages/{page}.png")
    def job_page(job_id: str, page: int, user_id: int = Depends(session_user)):
        """The page as the recipient will see it (fax resolution, black and white), but for the
        number on faxgate's own cover sheet while this user must still re-enter it blind; fetching
        it counts as this user having looked at it (confirming needs every page looked at)."""
        with app.unit_of_work(read_only=True) as uow:
            job = load(uow, job_id, uow.users.get(user_id))
            content_sha256 = job.content_sha256
            hide_number = approvals.cover_number_hidden(uow, job, user_id, app.policy)
            state, since = job.state, job.updated_at
        try:
            check_pages_shown(state, since, app.policy, utcnow())  # the policy's [retention] preview_days
            pngs = previews.of_job(app.unit_of_work, job_id, content_sha256, [], hide_number)
        except PagesGone as exc:
            raise HTTPException(410, f"{exc.message_ja} ({exc.message_en})") from None
        except DocumentUnreadable:
            raise HTTPException(404, "この文書のページは表示できません (the document cannot be rendered)") from None
        if not 1 <= page <= len(pngs):
            raise HTTPException(404, f"ページ {page} はありません（全{len(pngs)}ページ）")
        with app.unit_of_work() as uow:
            uow.page_views.record(user_id, job_id, content_sha256, page)
        return Response(pngs[page - 1], media_type="image/png", headers={"Cache-Control": "no-store"})

    @api.post("/api/jobs/{job_id}/confirm")
    def confirm_job(job_id: str, body: ConfirmBody, user_id: int = Depends(session_user)):
        with app.unit_of_work() as uow:
            user = uow.users.get(user_id)
            job = load(uow, job_id, user, to_read=False)  # the confirmation rules answer 403 themselves
            answer = approvals.confirm(uow, job, user, body.number, app.policy)
            result = shown(uow, job, user_id) if answer.status == 200 else None
        if result is None:
            refusal = {"detail": answer.message_ja} | ({"code": answer.code} if answer.code else {})
            return JSONResponse(refusal, status_code=answer.status)
        return result

    @api.post("/api/jobs/{job_id}/reject")
    def reject_job(job_id: str, body: RejectBody, user_id: int = Depends(session_user)):
        with app.unit_of_work() as uow:
            user = uow.users.get(user_id)
            job = load(uow, job_id, user, to_read=False)
            answer = approvals.reject(uow, job, user, body.reason)
            result = shown(uow, job, user_id) if answer.status == 200 else None
        if result is None:
            return JSONResponse({"detail": answer.message_ja}, status_code=answer.status)
        return result

    @api.post("/api/jobs/{job_id}/masked")
    def send_masked(job_id: str, user_id: int = Depends(session_user)):
        """Replace a job blocked for personal data with its auto-masked version (a new job)."""
        with app.unit_of_work(read_only=True) as uow:
            load(uow, job_id, uow.users.get(user_id))
        answer = approvals.send_masked(app.unit_of_work, job_id, user_id, app.screen_settings)
        if answer.status != 200:
            return JSONResponse({"detail": answer.message_ja}, status_code=answer.status)
        return {"id": job_id, "state": JobState.REJECTED, "masked_job": answer.message_ja}

    @api.post("/api/jobs/{job_id}/inbox")
    def send_by_inbox(job_id: str, user_id: int = Depends(session_user)):
        """Replace a job blocked for personal data with its in-house delivery (a new job)."""
        with app.unit_of_work() as uow:
            user = uow.users.get(user_id)
            answer = approvals.send_by_inbox(uow, load(uow, job_id, user), user)
        if answer.status != 200:
            return JSONResponse({"detail": answer.message_ja}, status_code=answer.status)
        return {"id": job_id, "state": JobState.REJECTED, "inbox_job": answer.message_ja}

    api.include_router(incident_router(app, session_user, _may_see))
    api.include_router(inbox_router(app, session_user))
    api.include_router(directory_router(app, session_user))
    api.include_router(upload_router(app, session_user))
    api.include_router(stats_router(app, session_user))

    @api.get("/api/jobs/{job_id}/record.pdf")
    def job_record(job_id: str, user_id: int = Depends(session_user)):
        with app.unit_of_work(read_only=True) as uow:
            job = load(uow, job_id, uow.users.get(user_id))  # the record shows the pages: same access
            record = uow.records.latest_for_job(job_id)
            if record is None:
                raise HTTPException(404, "署名付き記録はまだありません（送信が終わると作られます）")
            if not approvals.may_see_number(uow, job, user_id, app.policy):  # it names the number dialled
                raise HTTPException(403, "この送信の確認が済むまで、宛先番号の載った記録は渡せません")
            return Response(record.pdf, media_type="application/pdf",
                            headers={"Content-Disposition": f'attachment; filename="faxgate-{job_id}-{record.state}.pdf"'})

    return api


def _may_see(user: User, job: Job) -> bool:
    """gateway.core.access.may_see_job, the one rule of every door, for an account and a stored job."""
    return access.may_see_job(approvals.person_of(user), job.submitter_id, job.department)

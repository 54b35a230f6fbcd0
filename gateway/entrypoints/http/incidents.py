"""HTTP API for wrong sends: anyone who may see a job can report that it went astray; the
incident's facts, judgements and drafts are for the privacy office: admins and privacy
officers keep them, auditors read them."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Depends, HTTPException
from fastapi.responses import JSONResponse, PlainTextResponse
from pydantic import BaseModel, Field

from gateway.core.office_time import OFFICE_TIME
from gateway.incidents import actions as incident_actions, service as incidents
from gateway.storage.tables import Incident, Job

OFFICE_ROLES = ("admin", "auditor")


class ReportBody(BaseModel):
    reached: str = Field(min_length=1, max_length=500)  # where it went, as far as known
    detail: str = Field(default="", max_length=4000)
    learned_at: dt.datetime | None = None


class IncidentChanges(BaseModel):
    persons: int | None = Field(default=None, ge=0)
    malicious: bool | None = None
    financial_risk: bool | None = None
    preliminary_due: dt.date | None = None
    preliminary_filed_on: dt.date | None = None
    final_filed_on: dt.date | None = None
    narrative: dict[str, str] | None = None
    state: str | None = None
    reason: str = ""


def _refused(exc: incidents.IncidentRefused) -> JSONResponse:
    return JSONResponse({"detail": exc.message_ja, "detail_en": exc.message_en}, status_code=exc.status)


def incident_router(app, session_user, may_see) -> APIRouter:
    router = APIRouter()

    @router.post("/api/jobs/{job_id}/incident", status_code=201)
    def report_wrong_send(job_id: str, body: ReportBody, user_id: int = Depends(session_user)):
        with app.unit_of_work(read_only=True) as uow:
            actor = uow.users.get(user_id).name

        def allowed(uow, job: Job) -> None:
            # The person as they are in the same unit of work as the job.
            if not may_see(uow.users.get(user_id), job):
                raise incidents.IncidentRefused(403, "この送信を見る権限がないため報告できません", "you may not see this job")

        learned = body.learned_at
        if learned is not None and learned.tzinfo is None:
            learned = learned.replace(tzinfo=OFFICE_TIME)
        try:
            incident_id, created = incident_actions.report_wrong_send(
                app, job_id, actor=actor, reached=body.reached, detail=body.detail, learned_at=learned, may_report=allowed)
        except incidents.IncidentRefused as exc:
            return _refused(exc)
        with app.unit_of_work(read_only=True) as uow:
            result = incidents.incident_json(uow.incidents.get(incident_id), app.policy)
        return JSONResponse(result, status_code=201 if created else 200)

    def office_incident(uow, incident_id: int, user_id: int) -> Incident:
        user = uow.users.get(user_id)
        if user.role not in OFFICE_ROLES and not user.privacy_officer:
            raise HTTPException(403, "事案は管理者・個人情報保護担当・監査担当だけが扱えます")
        incident = uow.incidents.get(incident_id)
        if incident is None:
            raise HTTPException(404, "事案が見つかりません (no such incident)")
        return incident

    @router.get("/api/incidents/{incident_id}")
    def get_incident(incident_id: int, user_id: int = Depends(session_user)):
        with app.unit_of_work(read_only=True) as uow:
            return incidents.incident_json(office_incident(uow, incident_id, user_id), app.policy)

    @router.patch("/api/incidents/{incident_id}")
    def change_incident(incident_id: int, body: IncidentChanges, user_id: int = Depends(session_user)):
        changes = body.model_dump(exclude_unset=True)
        narrative, state, reason = changes.pop("narrative", None), changes.pop("state", None), changes.pop("reason", "")
        try:
            with app.unit_of_work() as uow:
                incident = office_incident(uow, incident_id, user_id)
                user = uow.users.get(user_id)
                if user.role != "admin" and not user.privacy_officer:
                    raise HTTPException(403, "事案の記録を変えられるのは管理者と個人情報保護担当だけです")
                incidents.update_incident(uow, incident, user.name, narrative=narrative,
                                          state=state, reason=reason, **changes)
                return incidents.incident_json(incident, app.policy)
        except incidents.IncidentRefused as exc:
            return _refused(exc)

    @router.get("/api/incidents/{incident_id}/drafts/{which}")
    def incident_draft(incident_id: int, which: str, user_id: int = Depends(session_user)):
        try:
            with app.unit_of_work(read_only=True) as uow:
                text = incidents.draft(uow, office_incident(uow, incident_id, user_id), app.policy, which)
        except incidents.IncidentRefused as exc:
            return _refused(exc)
        return PlainTextResponse(text, headers={"Content-Disposition": f'attachment; filename="incident-{incident_id}-{which}.txt"'})

    return router

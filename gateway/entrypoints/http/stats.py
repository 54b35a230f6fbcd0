"""`GET /api/stats?from=YYYY-MM-DD&to=YYYY-MM-DD`: the privacy office's statistics as JSON
(gateway.services.statistics), for privacy officers and auditors."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Query

from gateway.core import access
from gateway.core.office_time import OFFICE_TIME
from gateway.services import confirm as approvals
from gateway.services import statistics
from gateway.services.jobs import utcnow


def stats_router(app, session_user) -> APIRouter:
    router = APIRouter()

    @router.get("/api/stats")
    def stats(start: str | None = Query(None, alias="from", max_length=10), end: str | None = Query(None, alias="to", max_length=10),
              user_id: int = Depends(session_user)):
        with app.unit_of_work(read_only=True) as uow:
            if not access.may_see_statistics(approvals.person_of(uow.users.get(user_id))):
                raise HTTPException(403, "統計を見られるのは個人情報保護担当者と監査担当者だけです")
        try:
            first, last = statistics.period(start, end, utcnow().astimezone(OFFICE_TIME).date())
        except statistics.PeriodError as exc:
            raise HTTPException(400, str(exc)) from None
        with app.unit_of_work(read_only=True) as uow:
            return statistics.report(uow, first, last).as_json()

    return router

"""Operations endpoints: liveness, readiness (the database answers, its schema is current and
records can be signed),
and Prometheus metrics in the text exposition format (no client library needed): jobs by state
and queue ages from the database, screening time and relay results counted by this process."""

from __future__ import annotations

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from sqlalchemy import func, select

from gateway import db
from gateway.jobs import as_utc, utcnow
from gateway.jobstates import STATES
from gateway.models import Job


def health_router(app) -> APIRouter:
    router = APIRouter()

    @router.get("/healthz", include_in_schema=False)
    def live():
        return {"status": "ok"}

    @router.get("/readyz", include_in_schema=False)
    def ready():
        try:
            current = db.current_revision(app.engine)
        except Exception:  # the database is unreachable: not ready, and no internals in the answer
            return Response('{"status":"database unavailable"}', status_code=503, media_type="application/json")
        if current != db.head_revision():
            return Response('{"status":"schema out of date"}', status_code=503, media_type="application/json")
        problem = app.signing_problem()
        if problem is not None:  # intake goes on, but every ended job waits for its signed record
            return JSONResponse({"status": "signing key unusable", "code": problem.code,
                                 "reason": problem.message_en, "reason_ja": problem.message_ja}, status_code=503)
        warning = app.signing_expiry_warning()  # still ready: records keep being signed until the date
        return {"status": "ready", "warnings": [warning[1]]} if warning else {"status": "ready"}

    @router.get("/metrics", include_in_schema=False)
    def metrics():
        with app.session() as session:
            counts = dict(session.execute(select(Job.state, func.count()).group_by(Job.state)).all())
            oldest = session.scalar(select(func.min(Job.created_at)).where(Job.state.in_(("received", "screening"))))
            waiting = session.scalar(select(func.min(Job.updated_at)).where(Job.state == "awaiting_confirmation"))
            approved = session.scalar(select(func.min(Job.updated_at)).where(Job.state == "approved"))
        now = utcnow()
        lines = ["# HELP faxgate_jobs Jobs by state.", "# TYPE faxgate_jobs gauge"]
        lines += [f'faxgate_jobs{{state="{state}"}} {counts.get(state, 0)}' for state in STATES]
        for name, help_text, since in (
            ("faxgate_screening_queue_age_seconds", "Age of the oldest job waiting to be screened.", oldest),
            ("faxgate_confirmation_wait_seconds", "Longest wait for a confirmation.", waiting),
            ("faxgate_relay_queue_age_seconds",
             "Age of the oldest approved job waiting for the fax server (since approval or its last try).", approved),
        ):
            age = (now - as_utc(since)).total_seconds() if since else 0
            lines += [f"# HELP {name} {help_text}", f"# TYPE {name} gauge", f"{name} {age:.3f}"]
        lines += app.metrics.render()
        return Response("\n".join(lines) + "\n", media_type="text/plain; version=0.0.4")

    return router

"""Operations endpoints: liveness, readiness (the database answers, its schema is current, the
key-encryption key opens its data and records can be signed),
and Prometheus metrics in the text exposition format (no client library needed): jobs by state
and queue ages from the database, screening time and relay results counted by this process."""

from __future__ import annotations

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from gateway.storage import db
from gateway.services.jobs import utcnow
from gateway.core.states import STATES, JobState
from gateway.entrypoints.worker import RECORDED_STATES


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
        locked = app.at_rest_problem()
        if locked is not None:  # nothing can be stored or read: intake answers 451, the worker waits
            return JSONResponse({"status": "key-encryption key unusable", "code": locked.code,
                                 "reason": locked.message_en, "reason_ja": locked.message_ja}, status_code=503)
        problem = app.signing_problem()
        if problem is not None:  # intake goes on, but every ended job waits for its signed record
            return JSONResponse({"status": "signing key unusable", "code": problem.code,
                                 "reason": problem.message_en, "reason_ja": problem.message_ja}, status_code=503)
        warnings = []
        expiry = app.signing_expiry_warning()  # still ready: records keep being signed until the date
        if expiry:
            warnings.append(expiry[1])
        with app.unit_of_work(read_only=True) as uow:  # still ready: the other jobs' records go on
            set_aside = uow.jobs.without_record_set_aside(RECORDED_STATES)
            notices_set_aside = uow.notices.set_aside_count()
        if set_aside:
            warnings.append(f"the signed record of {len(set_aside)} job(s) failed repeatedly and was set aside"
                            f" (see the audit trail, record.set_aside): {', '.join(set_aside[:20])}")
        if notices_set_aside:
            warnings.append(f"{notices_set_aside} notice(s) by mail could not be delivered and were set aside"
                            " (see the audit trail, notice.set_aside)")
        return {"status": "ready", "warnings": warnings} if warnings else {"status": "ready"}

    @router.get("/metrics", include_in_schema=False)
    def metrics():
        with app.unit_of_work(read_only=True) as uow:
            counts = uow.jobs.counts_by_state()
            oldest = uow.jobs.oldest_created((JobState.RECEIVED, JobState.SCREENING))
            waiting = uow.jobs.oldest_updated(JobState.AWAITING_CONFIRMATION)
            approved = uow.jobs.oldest_updated(JobState.APPROVED)
            set_aside = uow.jobs.without_record_set_aside(RECORDED_STATES)
            notices_set_aside = uow.notices.set_aside_count()
        now = utcnow()
        lines = ["# HELP faxgate_jobs Jobs by state.", "# TYPE faxgate_jobs gauge"]
        lines += [f'faxgate_jobs{{state="{state}"}} {counts.get(state, 0)}' for state in STATES]
        for name, help_text, since in (
            ("faxgate_screening_queue_age_seconds", "Age of the oldest job waiting to be screened.", oldest),
            ("faxgate_confirmation_wait_seconds", "Longest wait for a confirmation.", waiting),
            ("faxgate_relay_queue_age_seconds",
             "Age of the oldest approved job waiting for the fax server (since approval or its last try).", approved),
        ):
            age = (now - since).total_seconds() if since else 0
            lines += [f"# HELP {name} {help_text}", f"# TYPE {name} gauge", f"{name} {age:.3f}"]
        lines += ["# HELP faxgate_records_set_aside Jobs whose signed record failed repeatedly and was set aside.",
                  "# TYPE faxgate_records_set_aside gauge", f"faxgate_records_set_aside {len(set_aside)}"]
        lines += ["# HELP faxgate_notices_set_aside Notices by mail that could not be delivered and were set aside.",
                  "# TYPE faxgate_notices_set_aside gauge", f"faxgate_notices_set_aside {notices_set_aside}"]
        lines += app.metrics.render()
        return Response("\n".join(lines) + "\n", media_type="text/plain; version=0.0.4")

    return router
